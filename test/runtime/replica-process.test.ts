/**
 * The issue's multi-process tests: four replica processes (`src/runtime/replica/main.ts`, real SQLite
 * stores, TLS mesh, HTTP API) on loopback, driven by the SDK.
 * - SIGKILL one replica: requests still succeed (n = 4 tolerates f = 1).
 * - Restart it: it catches up by block sync (its height reaches the others') and serves signed replies.
 * - Stop two of four: requests end `unknown` (no quorum, no wrong answers); they succeed again when one
 *   returns.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { decodeResult, envelopeHash, replySignBytes } from '../../src/core/machine/index.js';
import { nodeEd25519Verify } from '../../src/api/ed25519.js';
import { fromBase64url, toBase64url } from '../../src/sdk/index.js';
import {
  clientFor,
  height,
  makeTestCluster,
  ready,
  spawnReplica,
  stop,
  until,
  type Proc,
  type TestCluster,
} from './replica-helpers.js';

let cluster: TestCluster | undefined;
const procs = new Map<number, Proc>();

afterAll(async () => {
  await Promise.all([...procs.values()].map((p) => stop(p, 'SIGTERM')));
  cluster?.remove();
});

const urls = () => new Map([...procs.entries()].map(([i, p]) => [i, p.apiUrl]));

// The steps share one cluster and run in order (vitest runs a file's tests sequentially).
describe('replica processes (4 on loopback)', () => {
  it('four processes start and the SDK pings through them', async () => {
    cluster = await makeTestCluster(4, 'procs');
    const started = await Promise.all(cluster.configFiles.map((f) => spawnReplica(f)));
    started.forEach((p, i) => procs.set(i + 1, p));
    const all = started.map((p) => p.apiUrl);
    expect(await until(async () => (await Promise.all(all.map(ready))).every(Boolean), 15_000)).toBe(true);
    const first = await clientFor(cluster.configs, urls(), 'replica-procs-1', 8_000).ping(
      Uint8Array.from([1]),
    );
    expect(first.outcome, JSON.stringify(first)).toBe('ok');
  }, 40_000);

  it('SIGKILL one replica: requests still succeed', async () => {
    const c = cluster!;
    await stop(procs.get(4)!, 'SIGKILL');
    const client = clientFor(c.configs, urls(), 'replica-procs-2', 8_000);
    for (let i = 0; i < 5; i++) {
      const o = await client.ping(Uint8Array.from([10 + i]));
      expect(o.outcome, JSON.stringify(o)).toBe('ok');
      if (o.outcome === 'ok') expect(o.result.output).toEqual(Uint8Array.from([10 + i]));
    }
  }, 40_000);

  it("the killed replica restarts from disk, catches up by block sync to the others' height, and serves signed replies", async () => {
    const c = cluster!;
    const target = await height(procs.get(1)!.apiUrl);
    procs.set(4, await spawnReplica(c.configFiles[3]!));
    const url4 = procs.get(4)!.apiUrl;
    expect(await until(async () => (await height(url4)) >= target, 20_000)).toBe(true);
    expect(await until(() => ready(url4), 10_000)).toBe(true);
    const client = clientFor(c.configs, urls(), 'replica-procs-3', 8_000);
    const envelope = client.buildEnvelope('ping', Uint8Array.from([42])).bytes;
    const res = await fetch(`${url4}/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: envelope,
      signal: AbortSignal.timeout(15_000),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { result: string; replicaIndex: number; signature: string };
    const resultBytes = fromBase64url(body.result);
    const result = decodeResult(resultBytes);
    expect(body.replicaIndex).toBe(4);
    expect(toBase64url(result.envelopeHash)).toBe(toBase64url(envelopeHash(envelope)));
    expect(result.status).toEqual({ ok: true, output: Uint8Array.from([42]) });
    const cfg = c.configs[0]!.cluster;
    const signBytes = replySignBytes(cfg.chainId, resultBytes);
    expect(nodeEd25519Verify(cfg.replicas[3]!.publicKey, signBytes, fromBase64url(body.signature))).toBe(
      true,
    );
  }, 60_000);

  it('two of four down: requests end unknown and nothing is decided; one returns: requests succeed again', async () => {
    const c = cluster!;
    await Promise.all([stop(procs.get(3)!, 'SIGTERM'), stop(procs.get(4)!, 'SIGKILL')]);
    procs.delete(4);
    const before = await Promise.all([1, 2].map((i) => height(procs.get(i)!.apiUrl)));
    const stalled = await clientFor(c.configs, urls(), 'replica-procs-4', 3_000).ping(Uint8Array.from([99]));
    expect(stalled.outcome, JSON.stringify(stalled)).toBe('unknown');
    const after = await Promise.all([1, 2].map((i) => height(procs.get(i)!.apiUrl)));
    expect(after).toEqual(before);

    procs.set(3, await spawnReplica(c.configFiles[2]!));
    const back = [1, 2, 3].map((i) => procs.get(i)!.apiUrl);
    expect(await until(async () => (await Promise.all(back.map(ready))).every(Boolean), 15_000)).toBe(true);
    const recovered = await clientFor(c.configs, urls(), 'replica-procs-5', 20_000).ping(
      Uint8Array.from([100]),
    );
    expect(recovered.outcome, JSON.stringify(recovered)).toBe('ok');
  }, 60_000);
});
