/**
 * The SDK with a pinned service public key, against test doubles that speak the real wire protocol
 * (HTTP API + certified replies, test/sdk/fake-cluster.ts): one certified reply suffices; a forged or
 * altered reply — altered result bytes under a real certificate, a certificate under another key, the
 * real certificate of another request, garbage — is refused and its sender named; the honest answer
 * still wins; with only liars answering the outcome is `unknown`. Never `ok` with a forged result.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCertificate } from '../../src/core/replies/index.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { isOmegaError } from '../../src/errors.js';
import type { ClientOptions, ClusterConfig, Outcome } from '../../src/sdk/index.js';
import { OmegaClient } from '../../src/sdk/index.js';
import type { Behaviour } from './fake-cluster.js';
import { FakeCluster, OTHER_SERVICE_SECRET, SERVICE_EPOCH, servicePublicKeyOf } from './fake-cluster.js';

let cluster: FakeCluster;
beforeEach(async () => {
  cluster = await FakeCluster.start(4, { serviceKey: true });
});
afterEach(async () => {
  await cluster.stop();
});

function client(seed: string, over: Partial<ClientOptions> = {}): OmegaClient {
  const random = deterministicRandom(seed);
  return new OmegaClient({
    cluster: cluster.config(),
    secretKey: random(32),
    random,
    timeoutMs: 5_000,
    ...over,
  });
}

const payload = new TextEncoder().encode('certified');
const FORGED = new TextEncoder().encode('forged');
const LIARS: Behaviour[] = ['cert-altered-result', 'cert-other-key', 'cert-other-request', 'cert-garbage'];

function neverForged(o: Outcome): void {
  if (o.outcome === 'ok') expect(o.result.output).not.toEqual(FORGED);
}

describe('SDK with a pinned service key', () => {
  it('accepts one certified reply (fanout 1) and returns the certificate as evidence', async () => {
    const o = await client('one', { fanout: 1 }).ping(payload);
    expect(o.outcome, JSON.stringify(o)).toBe('ok');
    if (o.outcome !== 'ok') return;
    expect(o.result.output).toEqual(payload);
    expect(o.result.signatures).toHaveLength(1);
    const cert = decodeCertificate(o.result.certificate!);
    expect(cert.epoch).toBe(SERVICE_EPOCH);
    expect(cert.height).toBe(o.result.height);
  });

  it('refuses every kind of forged or altered certified reply, names the liar, and takes the honest answer', async () => {
    // Warm-up request so 'cert-other-request' has another request's real certificate to replay.
    expect((await client('warm').ping(Uint8Array.from([1]))).outcome).toBe('ok');
    for (const liar of LIARS) {
      cluster.reset();
      cluster.set(1, liar);
      cluster.set(2, liar);
      cluster.set(3, liar);
      // The only honest replica answers last, so every lie is judged first.
      cluster.set(4, 'slow');
      const o = await client(`liars-${liar}`, { fanout: 'all' }).ping(payload);
      neverForged(o);
      expect(o.outcome, `${liar}: ${JSON.stringify(o)}`).toBe('ok');
      if (o.outcome !== 'ok') continue;
      expect(o.result.output).toEqual(payload);
      expect(o.result.signatures[0]!.replicaIndex).toBe(4);
      expect(o.culprits, liar).toEqual([1, 2, 3]);
    }
  });

  it('with only liars answering, the outcome is unknown and every liar is named — never ok', async () => {
    expect((await client('warm').ping(Uint8Array.from([1]))).outcome).toBe('ok');
    for (const liar of LIARS) {
      cluster.reset();
      for (const r of [1, 2, 3]) cluster.set(r, liar);
      cluster.set(4, 'down');
      const o = await client(`only-${liar}`, { fanout: 'all' }).ping(payload);
      neverForged(o);
      expect(o.outcome, `${liar}: ${JSON.stringify(o)}`).toBe('unknown');
      expect(o.culprits, liar).toEqual([1, 2, 3]);
    }
  });

  it('an uncertified reply does not count, even from f+1 replicas (no replica’s word is enough)', async () => {
    for (const r of [1, 2, 3, 4]) cluster.set(r, 'uncertified');
    const o = await client('uncertified', { fanout: 'all', timeoutMs: 2_000 }).ping(payload);
    expect(o.outcome).toBe('unknown');
    // Not a fault: the block may not have been certified in time.
    expect(o.culprits).toEqual([]);
    cluster.set(2, 'honest');
    const ok = await client('one-certified', { fanout: 'all' }).ping(payload);
    expect(ok.outcome).toBe('ok');
  });

  it('a client pinning another service key refuses the real service’s certificates', async () => {
    const config: ClusterConfig = {
      ...cluster.config(),
      servicePublicKey: servicePublicKeyOf(OTHER_SERVICE_SECRET),
    };
    const o = await client('wrong-pin', { cluster: config, fanout: 'all' }).ping(payload);
    expect(o.outcome).toBe('unknown');
    expect(o.culprits).toEqual([1, 2, 3, 4]);
  });

  it('without a pinned key the same cluster is judged by the f+1 rule (certificates are ignored)', async () => {
    const { servicePublicKey: _, ...unpinned } = cluster.config();
    cluster.set(1, 'cert-altered-result');
    const o = await client('unpinned', { cluster: unpinned, fanout: 'all' }).ping(payload);
    neverForged(o);
    expect(o.outcome).toBe('ok');
    if (o.outcome === 'ok') expect(o.result.certificate).toBeUndefined();
  });

  it('refuses to start with a malformed service public key', () => {
    const base = cluster.config();
    const bad = (pk: Uint8Array) => {
      try {
        new OmegaClient({ cluster: { ...base, servicePublicKey: pk }, secretKey: new Uint8Array(32) });
      } catch (e) {
        if (isOmegaError(e)) return e.code;
        throw e;
      }
      return 'none';
    };
    expect(bad(new Uint8Array(48))).toBe('INVALID_LENGTH');
    expect(bad(new Uint8Array(96))).toBe('INVALID_ENCODING');
    const identity = new Uint8Array(96);
    identity[0] = 0xc0;
    expect(bad(identity)).toBe('IDENTITY_POINT');
  });
});
