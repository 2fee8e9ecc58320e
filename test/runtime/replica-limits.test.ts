/**
 * Admission limits of a real replica that cannot decide (alone in a 4-replica cluster): a full mempool
 * refuses with OVERLOADED and admits nothing; an admitted request with no decision ends DECISION_TIMEOUT;
 * malformed envelopes are refused with their stable code before admission.
 */
import { afterAll, expect, it } from 'vitest';
import { isOmegaError } from '../../src/errors.js';
import { startReplica, type RunningReplica } from '../../src/runtime/replica/index.js';
import { clientFor, makeTestCluster, silentLogger, type TestCluster } from './replica-helpers.js';

let cluster: TestCluster | undefined;
let replica: RunningReplica | undefined;
let idle: { cluster: TestCluster; replicas: RunningReplica[] } | undefined;

afterAll(async () => {
  await replica?.close();
  cluster?.remove();
  await Promise.all(idle?.replicas.map((r) => r.close()) ?? []);
  idle?.cluster.remove();
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isOmegaError(e) ? e.code : String(e);
  }
}

it('a full mempool refuses with OVERLOADED; an undecided request ends DECISION_TIMEOUT; bad envelopes keep their code', async () => {
  cluster = await makeTestCluster(4, 'limits');
  replica = await startReplica(cluster.configs[0]!, {
    logger: silentLogger,
    tickMs: 10,
    mempoolMax: 1,
    decisionTimeoutMs: 300,
  });
  const client = clientFor(cluster.configs, new Map([[1, replica.apiUrl]]), 'replica-limits');
  expect(replica.node.isReady()).toBe(false);
  const first = replica.node.submit(client.buildEnvelope('ping', Uint8Array.from([1])).bytes);
  const second = replica.node.submit(client.buildEnvelope('ping', Uint8Array.from([2])).bytes);
  expect(await codeOf(second)).toBe('OVERLOADED');
  expect(await codeOf(first)).toBe('DECISION_TIMEOUT');
  expect(replica.status().queues.mempool).toBe(1);
  const envelope = client.buildEnvelope('ping', Uint8Array.from([3])).bytes;
  const tampered = Uint8Array.from(envelope);
  tampered[tampered.length - 1]! ^= 1;
  expect(await codeOf(replica.node.submit(tampered))).toBe('BAD_SIGNATURE');
  expect(await codeOf(replica.node.submit(envelope.subarray(0, 10)))).toBe('INVALID_ENCODING');
}, 30_000);

it('an idle cluster holds empty proposals back: at most one empty block per half propose timeout', async () => {
  const c = await makeTestCluster(4, 'idle');
  // propose timeout 100 ticks of 10 ms: an empty proposal waits 50 ticks = 500 ms for a request.
  const timeouts = { propose: 100, prevote: 10, precommit: 10, delta: 5, rebroadcast: 20 };
  const replicas = await Promise.all(
    c.configs.map((config) => startReplica(config, { logger: silentLogger, tickMs: 10, timeouts })),
  );
  idle = { cluster: c, replicas };
  // Ready, and past the bootstrap DKG and the first FROST commitments (their transactions fill the
  // first blocks).
  const settled = (r: RunningReplica) => {
    const k = r.node.serviceKeys();
    return r.node.isReady() && k.holdsShares && k.frost !== null && k.frost.queued.every((q) => q >= 4);
  };
  const deadline = Date.now() + 30_000;
  while (!replicas.every(settled) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const start = replicas[0]!.status().height;
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 2_000));
  const elapsed = Date.now() - t0;
  // Without the hold-back this cluster decides an empty block every few tens of ms.
  expect(replicas[0]!.status().height - start).toBeLessThanOrEqual(Math.floor(elapsed / 500) + 1);
  // A request arriving while a proposal is held back is proposed at once.
  const client = clientFor(c.configs, new Map(replicas.map((r) => [r.index, r.apiUrl])), 'replica-idle');
  const outcome = await client.ping(Uint8Array.from([1]));
  expect(outcome.outcome).toBe('ok');
}, 60_000);
