/**
 * Mempool gossip (src/runtime/replica/mempool.ts): the wire format is strict, and an envelope a client
 * gave to one replica reaches the others' mempools — so any proposer can include it — without a
 * decision (two replicas of four cannot decide, so the mempools are observed before anything is decided).
 */
import { afterAll, expect, it } from 'vitest';
import { isOmegaError } from '../../src/errors.js';
import { startReplica, type RunningReplica } from '../../src/runtime/replica/index.js';
import { GossipBatcher, decodeGossip, encodeGossip } from '../../src/runtime/replica/mempool.js';
import { clientFor, makeTestCluster, silentLogger, type TestCluster } from './replica-helpers.js';

let cluster: TestCluster | undefined;
const replicas: RunningReplica[] = [];

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  cluster?.remove();
});

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return isOmegaError(e) ? e.code : String(e);
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

it('gossip bodies round-trip and malformed ones are rejected with stable codes', () => {
  const envelopes = [Uint8Array.from([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(7)];
  expect(decodeGossip(encodeGossip(envelopes))).toEqual(envelopes);
  const good = encodeGossip(envelopes);
  expect(codeOf(() => decodeGossip(Uint8Array.from([2, ...good.subarray(1)])))).toBe('UNSUPPORTED_VERSION');
  expect(codeOf(() => decodeGossip(good.subarray(0, good.length - 1)))).toBe('INVALID_ENCODING');
  expect(codeOf(() => decodeGossip(Uint8Array.from([...good, 0])))).toBe('INVALID_ENCODING');
  // A count above maxBatchCount is refused before anything is allocated.
  expect(codeOf(() => decodeGossip(Uint8Array.from([1, 0xff, 0xff, 0xff, 0xff])))).toBe('LIMIT_EXCEEDED');
  expect(codeOf(() => decodeGossip(new Uint8Array(0)))).toBe('INVALID_ENCODING');
});

it('the batcher sends one body per event-loop turn with everything admitted in it', async () => {
  const sent: Uint8Array[][] = [];
  const b = new GossipBatcher((body) => sent.push(decodeGossip(body)));
  b.add(Uint8Array.from([1]));
  b.add(Uint8Array.from([2]));
  expect(sent).toEqual([]);
  await new Promise((r) => setImmediate(r));
  expect(sent).toEqual([[Uint8Array.from([1]), Uint8Array.from([2])]]);
  b.close();
  b.add(Uint8Array.from([3]));
  await new Promise((r) => setImmediate(r));
  expect(sent.length).toBe(1);
});

it('an envelope submitted to one replica reaches a peer mempool by gossip', async () => {
  cluster = await makeTestCluster(4, 'gossip');
  for (const config of cluster.configs.slice(0, 2)) {
    replicas.push(await startReplica(config, { logger: silentLogger, tickMs: 10, decisionTimeoutMs: 5_000 }));
  }
  const [r1, r2] = replicas as [RunningReplica, RunningReplica];
  const connected = () => r1.status().peers.some((p) => p.index === 2 && p.connected);
  expect(await until(connected, 10_000)).toBe(true);
  const client = clientFor(cluster.configs, new Map([[1, r1.apiUrl]]), 'gossip');
  const pending = r1.node
    .submit(client.buildEnvelope('ping', Uint8Array.from([9])).bytes)
    .catch(() => undefined);
  expect(r2.status().queues.mempool).toBe(0);
  expect(await until(() => r2.status().queues.mempool === 1, 5_000)).toBe(true);
  // Two of four replicas cannot decide: the forwarded copy waits in the mempool, with no waiter of its own.
  expect(r2.status().height).toBe(0);
  await Promise.all(replicas.splice(0).map((r) => r.close()));
  await pending;
}, 30_000);
