/**
 * Consensus benchmarks (`npm run bench -- consensus`):
 *
 * 1. A whole cluster in one process with real `node:crypto` Ed25519 vote signatures, a perfect network of
 *    one tick per hop, and a mempool that always holds requests (100 bytes each): decided requests per
 *    second and decision latency (ticks and milliseconds per height) for n = 4, 7, 16 and batch sizes 1
 *    and 100. Floor: the Ed25519 signing and verification one height needs at minimum, measured in the
 *    same run (every replica signs a prevote and a precommit and verifies the proposal and 2(n−1) votes).
 * 2. The pure core alone: one `step` delivering a vote (verification stubbed), against the floor of
 *    encoding that vote's sign-bytes.
 */
import { performance } from 'node:perf_hooks';
import {
  type ConsensusMessage,
  type ConsensusState,
  type Effect,
  type Verifier,
  VoteType,
  fixedSchedule,
  initialState,
  makeCommittee,
  step,
  voteSignBytes,
} from '../src/core/consensus/index.js';
import { cheapKeys, ed25519Keys } from '../sim/keys.js';
import { measure, printTable, type Measurement } from './harness.js';

const TIMEOUTS = { propose: 30, prevote: 15, precommit: 15, delta: 10, rebroadcast: 1_000 };

interface ClusterRun {
  readonly heights: number;
  readonly requests: number;
  readonly wallMs: number;
  readonly ticks: number;
}

/** Runs n replicas until `heights` heights are decided everywhere; returns wall time and ticks. */
function runCluster(n: number, batch: number, heights: number): ClusterRun {
  const keys = ed25519Keys(n, `bench-${n}`);
  const committee = makeCommittee(keys.identities.map((k) => ({ publicKey: k.publicKey, power: 1 })));
  const schedule = fixedSchedule(committee);
  const request = new Uint8Array(100).fill(7);
  let seq = 0;
  const states: ConsensusState[] = keys.identities.map((id) =>
    initialState(
      { chainId: 'bench', publicKey: id.publicKey, sign: id.sign, verify: keys.verify, timeouts: TIMEOUTS },
      schedule,
    ),
  );
  const decided = new Array<number>(n).fill(0);
  let requests = 0;
  // (tick, replica, event) queue: one tick per hop; FIFO within a tick.
  let now = 0;
  const queue = new Map<number, { to: number; run: () => void }[]>();
  const at = (t: number, to: number, run: () => void): void => {
    let q = queue.get(t);
    if (q === undefined) queue.set(t, (q = []));
    q.push({ to, run });
  };
  const exec = (i: number, effects: readonly Effect[]): void => {
    for (const e of effects) {
      if (e.type === 'broadcast') {
        const m: ConsensusMessage = e.message;
        for (let j = 0; j < n; j++)
          if (j !== i) at(now + 1, j, () => deliver(j, { type: 'message', message: m }));
      } else if (e.type === 'schedule-timeout') {
        at(now + e.afterTicks, i, () => deliver(i, { type: 'timeout', timeout: e.timeout }));
      } else if (e.type === 'get-value') {
        const reqs: Uint8Array[] = [];
        for (let k = 0; k < batch; k++) {
          const r = request.slice();
          new DataView(r.buffer).setUint32(0, seq++);
          reqs.push(r);
        }
        at(now, i, () =>
          deliver(i, { type: 'value', height: e.height, round: e.round, requests: reqs, timeMs: now + 1 }),
        );
      } else if (e.type === 'decide') {
        const height = e.block.header.height;
        at(now, i, () => deliver(i, { type: 'committed', height }));
        decided[i]!++;
        if (i === 0) requests += e.block.requests.length;
      }
    }
  };
  const deliver = (i: number, ev: Parameters<typeof step>[1]): void => {
    const r = step(states[i]!, ev);
    states[i] = r.state;
    exec(i, r.effects);
  };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) deliver(i, { type: 'start' });
  while (Math.min(...decided) < heights) {
    const q = queue.get(now);
    if (q !== undefined) {
      queue.delete(now);
      for (const item of q) item.run();
    } else {
      now++;
    }
  }
  return { heights, requests, wallMs: performance.now() - t0, ticks: now };
}

/** The signatures one height costs at minimum: per replica, 2 signs and 1 + 2(n−1) verifies. */
function cryptoFloor(n: number): () => void {
  const keys = ed25519Keys(n, `floor-${n}`);
  const msg = voteSignBytes('bench', {
    type: VoteType.prevote,
    height: 1,
    round: 0,
    blockHash: new Uint8Array(32),
    validator: 0,
  });
  const sig = keys.identities[0]!.sign(msg);
  const pk = keys.identities[0]!.publicKey;
  return () => {
    for (let i = 0; i < n; i++) {
      keys.identities[i]!.sign(msg);
      keys.identities[i]!.sign(msg);
      for (let k = 0; k < 1 + 2 * (n - 1); k++) keys.verify(pk, msg, sig);
    }
  };
}

export async function run(): Promise<void> {
  const rows: { name: string; m: Measurement; floor: Measurement }[] = [];
  const summary: string[] = [];
  for (const n of [4, 7, 16]) {
    const floor = await measure(`Ed25519 work of one height, n=${n}`, cryptoFloor(n), { minTimeMs: 500 });
    for (const batch of [1, 100]) {
      const heights = n === 16 ? 20 : 50;
      runCluster(n, batch, 3); // warm-up
      // The median of three runs (a shared VM drifts between runs).
      const runs = [0, 1, 2].map(() => runCluster(n, batch, heights)).sort((a, b) => a.wallMs - b.wallMs);
      const r = runs[1]!;
      const msPerHeight = r.wallMs / r.heights;
      const m: Measurement = {
        name: `height n=${n} batch=${batch}`,
        msPerOp: msPerHeight,
        opsPerSec: 1000 / msPerHeight,
        samples: r.heights,
      };
      rows.push({ name: m.name, m, floor });
      summary.push(
        `| ${n} | ${batch} | ${((r.requests / r.wallMs) * 1000).toFixed(0)} | ${(r.ticks / r.heights).toFixed(2)} | ${msPerHeight.toFixed(2)} |`,
      );
    }
  }
  printTable('Consensus: one decided height, whole cluster in one process (real Ed25519)', rows);
  console.log('\n| n | batch | decided requests/s | latency ticks/height | latency ms/height |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const s of summary) console.log(s);

  // The pure core per step: deliver one prevote to a replica (signature check stubbed out).
  const keys = cheapKeys(7, 'core');
  const committee = makeCommittee(keys.identities.map((k) => ({ publicKey: k.publicKey, power: 1 })));
  const yes: Verifier = () => true;
  let s = initialState(
    {
      chainId: 'bench',
      publicKey: keys.identities[0]!.publicKey,
      sign: keys.identities[0]!.sign,
      verify: yes,
      timeouts: TIMEOUTS,
    },
    fixedSchedule(committee),
  );
  s = step(s, { type: 'start' }).state;
  const votes = [1, 2, 3].map((v) => {
    const u = { type: VoteType.prevote, height: 1, round: 0, blockHash: undefined, validator: v } as const;
    const m: ConsensusMessage = { kind: 'vote', vote: { ...u, signature: new Uint8Array(64) } };
    return m;
  });
  let k = 0;
  const coreStep = await measure('core step: deliver one vote (n=7)', () => {
    step(s, { type: 'message', message: votes[k++ % votes.length]! });
  });
  const floorEnc = await measure('encode the vote sign-bytes', () => {
    voteSignBytes('bench', {
      type: VoteType.prevote,
      height: 1,
      round: 0,
      blockHash: undefined,
      validator: 1,
    });
  });
  printTable('Consensus core: cost per step', [{ name: coreStep.name, m: coreStep, floor: floorEnc }]);
}
