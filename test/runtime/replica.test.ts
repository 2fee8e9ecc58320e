/**
 * In-process cluster of four real replicas (SQLite stores, TLS mesh, HTTP API) on loopback, driven by the
 * SDK: the replica glue end to end, and the ReplicaNode contract against a real replica.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { replicaNodeContract } from '../api/replica-node-contract.js';
import { decodeResult } from '../../src/core/machine/index.js';
import { startReplica, type RunningReplica } from '../../src/runtime/replica/index.js';
import { clientFor, makeTestCluster, silentLogger, type TestCluster } from './replica-helpers.js';
import type { OmegaClient } from '../../src/sdk/index.js';

const FAST = { logger: silentLogger, tickMs: 10, meshLimits: { reconnectMaxMs: 500 } } as const;

let shared: Promise<{ cluster: TestCluster; replicas: RunningReplica[]; client: OmegaClient }> | undefined;

function sharedCluster() {
  shared ??= (async () => {
    const cluster = await makeTestCluster(4, 'inproc');
    const replicas = await Promise.all(cluster.configs.map((c) => startReplica(c, FAST)));
    const urls = new Map(replicas.map((r) => [r.index, r.apiUrl]));
    return { cluster, replicas, client: clientFor(cluster.configs, urls, 'replica-inproc') };
  })();
  return shared;
}

afterAll(async () => {
  if (shared === undefined) return;
  const { cluster, replicas } = await shared;
  await Promise.all(replicas.map((r) => r.close()));
  cluster.remove();
});

describe('replica: in-process 4-replica cluster', () => {
  it('the SDK pings through the whole stack and gets f+1 matching signed replies', async () => {
    const { client, replicas } = await sharedCluster();
    const payload = Uint8Array.from([7, 7, 7]);
    const outcome = await client.ping(payload);
    expect(outcome.outcome).toBe('ok');
    if (outcome.outcome !== 'ok') return;
    expect(outcome.result.output).toEqual(payload);
    expect(outcome.culprits).toEqual([]);
    expect(outcome.result.height).toBeGreaterThanOrEqual(1);
    // Every replica decided the same height (they agree on the log).
    const heights = replicas.map((r) => r.status().height);
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(outcome.result.height - 1);
  }, 30_000);

  it('many concurrent pings all succeed and are batched into blocks', async () => {
    const { client } = await sharedCluster();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.ping(Uint8Array.from([i]))),
    );
    for (const [i, o] of outcomes.entries()) {
      expect(o.outcome).toBe('ok');
      if (o.outcome === 'ok') expect(o.result.output).toEqual(Uint8Array.from([i]));
    }
  }, 30_000);

  it('status reports connected peers and readiness', async () => {
    const { replicas } = await sharedCluster();
    for (const r of replicas) {
      const s = r.status();
      expect(s.peers).toHaveLength(3);
      expect(s.peers.every((p) => p.connected)).toBe(true);
      expect(r.node.isReady()).toBe(true);
    }
  }, 30_000);
});

describe('replica: restart from disk and block sync (in-process)', () => {
  it('a stopped replica restarts from its store, catches up by block sync, and restarts again from its snapshot plus replay', async () => {
    const { cluster, replicas, client } = await sharedCluster();
    await replicas[3]!.close();
    for (let i = 0; i < 4; i++) expect((await client.ping(Uint8Array.from([50 + i]))).outcome).toBe('ok');
    const target = replicas[0]!.status().height;
    const options = { ...FAST, snapshotEvery: 2 };
    const restarted = await startReplica(cluster.configs[3]!, options);
    replicas[3] = restarted;
    const deadline = Date.now() + 15_000;
    while (restarted.status().height < target && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(restarted.status().height).toBeGreaterThanOrEqual(target);
    // Restart once more: the machine comes back from the latest snapshot plus the blocks after it.
    const before = restarted.status().height;
    await restarted.close();
    const again = await startReplica(cluster.configs[3]!, { ...FAST, snapshotEvery: 1_000 });
    replicas[3] = again;
    expect(again.status().height).toBeGreaterThanOrEqual(before);
    const outcome = await client.ping(Uint8Array.from([60]));
    expect(outcome.outcome).toBe('ok');
  }, 40_000);

  it('a re-sent envelope decided before a restart gets its original reply (cache refilled by replay)', async () => {
    const { cluster, replicas, client } = await sharedCluster();
    const envelope = client.buildEnvelope('ping', Uint8Array.from([61])).bytes;
    const original = await replicas[0]!.node.submit(envelope);
    const decidedAt = decodeResult(original.resultBytes).height;
    const deadline = Date.now() + 10_000;
    while (replicas[3]!.status().height < decidedAt && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await replicas[3]!.close();
    // snapshotEvery 1,000: the block holding the envelope lies after the latest snapshot and is replayed.
    replicas[3] = await startReplica(cluster.configs[3]!, { ...FAST, snapshotEvery: 1_000 });
    const again = await replicas[3].node.submit(envelope);
    expect(again.replicaIndex).toBe(4);
    expect(again.resultBytes).toEqual(original.resultBytes);
    expect(decodeResult(again.resultBytes).status).toEqual({ ok: true, output: Uint8Array.from([61]) });
  }, 40_000);
});

replicaNodeContract('real replica (in-process cluster)', async () => {
  const { replicas, client } = await sharedCluster();
  return { node: replicas[0]!.node, ping: (body) => client.buildEnvelope('ping', body).bytes };
});
