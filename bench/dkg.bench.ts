/**
 * Log-DKG wall time (all three service keys) for n = 4, 7, 16 (t = ⌊(n−1)/3⌋) in one thread on the mcl
 * backend: n participants make their epoch keys and deals, one replicated state machine applies them
 * (the first 2t+1 become candidates and are fully checked), every participant checks its shares
 * (complaint phase), the session finalizes, and every participant derives its shares. In a cluster each
 * replica runs its state machine and its own participant in parallel, so the per-replica critical path
 * (one deal, the state machine, one participant's checks and derivation) is printed too.
 *
 * Floor: the scalar multiplications and strict decodes the protocol cannot avoid, counted per phase and
 * priced at their cost measured in the same run (mcl G2 for the BLS keys, noble ed25519 for the FROST
 * key, noble ristretto255 for share encryption):
 *
 *   deal (per dealer)            G2: 2(t+1) commitments + 2 PoK nonces; ed: (t+1) + 1; ristretto: 1 + n
 *   check a candidate deal       G2: 2(t+1) decodes + 2 PoK checks (a 2-term MSM ≥ one mul);
 *                                ed: (t+1) decodes + 2 PoK muls
 *   check own share (per deal)   ristretto: 1 (K = esk·R); G2: 2 (s·g2); ed: 1
 *   derive (per participant)     ristretto: |QUAL|; G2: 2; ed: 1
 *
 * Targets (ARCHITECTURE.md §6): < 1 s / < 3 s / < 15 s for n = 4 / 7 / 16 (wall time). Ratios compare CPU
 * time (process user + system) with a floor priced in CPU time, so a loaded VM does not distort them; the
 * per-phase columns are wall times and the per-replica path is scaled to CPU time.
 *
 * `npm run bench -- dkg`.
 */
import { performance } from 'node:perf_hooks';
import type { BlsBackend } from '../src/crypto/bls/backend.js';
import { loadBlsBackend } from '../src/crypto/bls/load.js';
import { BLS_FR } from '../src/crypto/bls/threshold.js';
import { ED25519, RISTRETTO255 } from '../src/crypto/group.js';
import { deterministicRandom } from '../src/crypto/rand.js';
import { generateEpochKey } from '../src/crypto/share-encryption.js';
import type { DkgParams } from '../src/core/sessions/dkg/index.js';
import {
  DkgSession,
  complaintsFor,
  deriveShares,
  makeDealBody,
  makeEpochKeyBody,
} from '../src/core/sessions/dkg/index.js';

interface Phases {
  epochKeys: number;
  deals: number;
  apply: number;
  complaints: number;
  finalize: number;
  derive: number;
  total: number;
  /** CPU time of the whole run (process user + system), ms. */
  cpu: number;
}

/** Process CPU time in ms: on a shared, loaded VM it is far steadier than wall time. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** One full DKG; returns the wall time of each phase (ms). */
function fullDkg(backend: BlsBackend, n: number, seed: string): Phases {
  const t = Math.floor((n - 1) / 3);
  const rng = deterministicRandom(seed);
  const params: DkgParams = {
    chainId: 'omega-bench',
    epoch: 0,
    attempt: 0,
    committee: Array.from({ length: n }, () => rng(32)),
    threshold: t,
    complaintWindowMs: 5_000,
    dealingWindowMs: 60_000,
  };
  let now = performance.now();
  const lap = () => {
    const prev = now;
    now = performance.now();
    return now - prev;
  };
  const start = now;
  const cpuStart = cpuMs();
  const s = DkgSession.start(params, backend);
  const epochKeys = Array.from({ length: n }, () => generateEpochKey(rng));
  s.onBlock({ height: 1, timeMs: 1_000 });
  epochKeys.forEach((k, i) => s.applyEpochKey(i + 1, makeEpochKeyBody(s, k), { height: 1, timeMs: 1_000 }));
  const phases: Partial<Phases> = { epochKeys: lap() };
  const bodies = epochKeys.map((_, i) => makeDealBody(s, i + 1, rng));
  phases.deals = lap();
  s.onBlock({ height: 2, timeMs: 2_000 });
  bodies.forEach((body, i) => {
    try {
      s.applyDeal(i + 1, body, { height: 2, timeMs: 2_000 });
    } catch {
      // Deals after the candidate set is full are refused (DKG_WRONG_PHASE) before any check.
    }
  });
  phases.apply = lap();
  let complaints = 0;
  epochKeys.forEach((k, i) => (complaints += complaintsFor(s, i + 1, k.secretKey).length));
  if (complaints !== 0) throw new Error('an honest run produced complaints');
  phases.complaints = lap();
  s.onBlock({ height: 3, timeMs: 8_000 });
  if (s.phase !== 'done') throw new Error(`DKG ended in ${s.phase}`);
  phases.finalize = lap();
  epochKeys.forEach((k, i) => deriveShares(s, i + 1, k.secretKey));
  phases.derive = lap();
  phases.total = now - start;
  phases.cpu = cpuMs() - cpuStart;
  return phases as Phases;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<void> {
  const backend = await loadBlsBackend({ prefer: 'mcl' });
  const rng = deterministicRandom('dkg-bench-floor');
  // Unit costs (median ms), measured in this run.
  const fresh = Array.from({ length: 400 }, () => backend.g2MulBase(BLS_FR.random(rng)));
  let next = 0;
  const edPoint = ED25519.encode(ED25519.mulBase(ED25519.field.random(rng)));
  const ristPoint = RISTRETTO255.mulBase(RISTRETTO255.field.random(rng));
  /** Median CPU ms per call over 5 batches of `k` calls. */
  const cpuCost = (f: () => unknown, k = 40): number => {
    for (let i = 0; i < 5; i++) f();
    const per: number[] = [];
    for (let b = 0; b < 5; b++) {
      const c0 = cpuMs();
      for (let i = 0; i < k; i++) f();
      per.push((cpuMs() - c0) / k);
    }
    return median(per);
  };
  const unit = {
    g2Mul: cpuCost(() => backend.g2MulBase(BLS_FR.random(rng))),
    g2Decode: cpuCost(() => backend.validateG2(fresh[next++ % fresh.length]!), 60),
    edMul: cpuCost(() => ED25519.mulBase(ED25519.field.random(rng))),
    edDecode: cpuCost(() => ED25519.decode(edPoint)),
    ristMul: cpuCost(() => RISTRETTO255.mul(ristPoint, RISTRETTO255.field.random(rng))),
  };
  console.log(
    `\nUnit costs (CPU ms, median, ${backend.name}): G2 mul ${unit.g2Mul.toFixed(3)}, G2 decode ${unit.g2Decode.toFixed(3)}, ` +
      `ed25519 mul ${unit.edMul.toFixed(3)}, ed25519 decode ${unit.edDecode.toFixed(3)}, ristretto255 mul ${unit.ristMul.toFixed(3)}`,
  );

  const floor = (n: number) => {
    const t = Math.floor((n - 1) / 3);
    const c = 2 * t + 1;
    const deal = (2 * (t + 1) + 2) * unit.g2Mul + (t + 2) * unit.edMul + (n + 1) * unit.ristMul;
    const check = 2 * (t + 1) * unit.g2Decode + 2 * unit.g2Mul + (t + 1) * unit.edDecode + 2 * unit.edMul;
    const own = unit.ristMul + 2 * unit.g2Mul + unit.edMul;
    const derive = c * unit.ristMul + 2 * unit.g2Mul + unit.edMul;
    return {
      total: n * deal + c * check + n * (c - 1) * own + n * derive,
      replica: deal + c * check + (c - 1) * own + derive,
    };
  };

  console.log('\n### Log-DKG, all three keys (one thread, mcl)\n');
  console.log(
    '| n | t | full DKG wall ms | full DKG CPU ms | floor CPU ms | ratio | per-replica path ms | its floor | ratio | target | deals | apply | own checks | finalize | derive |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|');
  const targets: Record<number, number> = { 4: 1_000, 7: 3_000, 16: 15_000 };
  for (const n of [4, 7, 16]) {
    const reps = n === 16 ? 3 : 5;
    fullDkg(backend, n, `warmup-${n}`);
    const runs = Array.from({ length: reps }, (_, k) => fullDkg(backend, n, `run-${n}-${k}`));
    const m = (key: keyof Phases) => median(runs.map((r) => r[key]));
    const total = m('total');
    const cpu = m('cpu');
    // Wall-clock phases scaled to CPU time (the load of a shared VM inflates wall time uniformly).
    const scale = cpu / total;
    // The critical path of one replica: its own deal, the state machine, its own checks and derivation.
    const replica =
      (m('deals') / n + m('apply') + m('complaints') / n + m('finalize') + m('derive') / n) * scale;
    const f = floor(n);
    const t = Math.floor((n - 1) / 3);
    console.log(
      `| ${n} | ${t} | ${total.toFixed(0)} | ${cpu.toFixed(0)} | ${f.total.toFixed(0)} | ${(cpu / f.total).toFixed(2)}× | ` +
        `${replica.toFixed(0)} | ${f.replica.toFixed(0)} | ${(replica / f.replica).toFixed(2)}× | ` +
        `${total < targets[n]! ? '✓' : '✗'} < ${targets[n]! / 1000} s | ${m('deals').toFixed(0)} | ${m('apply').toFixed(0)} | ` +
        `${m('complaints').toFixed(0)} | ${m('finalize').toFixed(0)} | ${m('derive').toFixed(0)} |`,
    );
  }
}
