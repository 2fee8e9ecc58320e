import { toHex } from '../../src/crypto/bytes.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { MACHINE_LIMITS, replySignBytes } from '../../src/core/machine/index.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { ClientOptions, Outcome } from '../../src/sdk/index.js';
import { OmegaClient } from '../../src/sdk/index.js';
import { CHAIN, FakeCluster } from './fake-cluster.js';

let cluster: FakeCluster;
beforeEach(async () => {
  cluster = await FakeCluster.start(4);
});
afterEach(async () => {
  await cluster.stop();
});

function newClient(seed: string, over: Partial<ClientOptions> = {}): OmegaClient {
  const random = deterministicRandom(seed);
  return new OmegaClient({
    cluster: cluster.config(),
    secretKey: random(32),
    random,
    timeoutMs: 5_000,
    ...over,
  });
}

function expectOk(o: Outcome): Extract<Outcome, { outcome: 'ok' }> {
  expect(o.outcome, JSON.stringify(o)).toBe('ok');
  return o as Extract<Outcome, { outcome: 'ok' }>;
}

const payload = new TextEncoder().encode('hello omega');

describe('f+1 matching signed results', () => {
  it('accepts a ping answered by f+1 replicas with the same signed result, and every replica applied it identically', async () => {
    const c = newClient('alice');
    const ok = expectOk(await c.ping(payload));
    expect(new TextDecoder().decode(ok.result.output)).toBe('hello omega');
    expect(ok.result.signatures.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ok.result.signatures.map((s) => s.replicaIndex)).size).toBe(ok.result.signatures.length);
    for (const s of ok.result.signatures) {
      const key = cluster.replicas[s.replicaIndex - 1]!.publicKey;
      expect(ed25519.verify(s.signature, replySignBytes(CHAIN, ok.result.resultBytes), key)).toBe(true);
    }
    expect(ok.culprits).toEqual([]);
    const hashes = cluster.replicas.map((r) => toHex(r.machine.stateHash()));
    expect(new Set(hashes).size).toBe(1);
  });

  it('works with fanout "all" and with the minimum fanout f+1', async () => {
    expectOk(await newClient('a', { fanout: 'all' }).ping(payload));
    expectOk(await newClient('b', { fanout: 1 }).ping(payload));
  });

  it('re-sending the same envelope is safe: replicas answer with the recorded result, applied once', async () => {
    const c = newClient('alice');
    const built = c.buildEnvelope('ping', payload);
    const first = expectOk(await c.submitEnvelope(built));
    const again = expectOk(await c.submitEnvelope(built));
    expect(again.result.resultBytes).toEqual(first.result.resultBytes);
    expect(cluster.replicas[0]!.machine.seenCount).toBe(1);
  });
});

describe('Byzantine replicas never decide alone', () => {
  for (const behaviour of ['forge', 'bad-signature', 'unbound', 'lie-reject'] as const) {
    it(`one ${behaviour} replica: still ok from the honest ones, with the honest output`, async () => {
      for (const bad of [1, 2, 3, 4]) {
        cluster.reset();
        cluster.set(bad, behaviour);
        const ok = expectOk(await newClient(`byz-${behaviour}-${bad}`).ping(payload));
        expect(new TextDecoder().decode(ok.result.output)).toBe('hello omega');
        expect(ok.result.signatures.map((s) => s.replicaIndex)).not.toContain(bad);
      }
    });
  }

  it('names a replica whose reply signature does not verify (culprits), and does not count it', async () => {
    cluster.set(2, 'bad-signature');
    cluster.set(3, 'hang');
    cluster.set(4, 'hang');
    const o = await newClient('alice', { fanout: 'all', timeoutMs: 1_000 }).ping(payload);
    expect(o.outcome).toBe('unknown');
    expect(o.culprits).toEqual([2]);
  });

  it('a forged result signed by one replica is never accepted alone (others down): unknown, not ok', async () => {
    cluster.set(1, 'forge');
    for (const i of [2, 3, 4]) cluster.set(i, 'down');
    const o = await newClient('alice').ping(payload);
    expect(o.outcome).toBe('unknown');
  });

  it('a single honest result is not enough either (f+1 = 2 needed): unknown', async () => {
    for (const i of [2, 3, 4]) cluster.set(i, 'down');
    expect((await newClient('alice').ping(payload)).outcome).toBe('unknown');
  });

  it('two Byzantine-looking rejections are needed for fail: one lying replica cannot fail a good request', async () => {
    cluster.set(1, 'lie-reject');
    expectOk(await newClient('alice', { fanout: 'all' }).ping(payload));
  });
});

describe('faults: retries, then unknown', () => {
  it('two replicas down (of n = 4, f = 1): retries the others and succeeds', async () => {
    cluster.set(1, 'down');
    cluster.set(2, 'down');
    // Different seeds start the contact order at different replicas.
    for (const seed of ['s1', 's2', 's3', 's4']) expectOk(await newClient(seed).ping(payload));
  });

  it('replicas that accept and never answer do not stall a minimal fanout: hedging brings in the others', async () => {
    cluster.set(1, 'hang');
    cluster.set(2, 'hang');
    for (const seed of ['h1', 'h2', 'h3', 'h4']) {
      expectOk(await newClient(seed, { fanout: 2, hedgeMs: 50 }).ping(payload));
    }
  });

  it('replicas that never answer: unknown at the deadline', async () => {
    for (const i of [1, 2, 3, 4]) cluster.set(i, 'hang');
    const started = Date.now();
    const o = await newClient('alice', { timeoutMs: 300 }).ping(payload);
    expect(o.outcome).toBe('unknown');
    expect(Date.now() - started).toBeLessThan(3_000);
    if (o.outcome === 'unknown') expect(o.reason).toMatch(/within 300 ms/);
  });

  it('DECISION_TIMEOUT everywhere: unknown (the request may still take effect), never fail', async () => {
    for (const i of [1, 2, 3, 4]) cluster.set(i, 'timeout');
    const o = await newClient('alice').ping(payload);
    expect(o.outcome).toBe('unknown');
    if (o.outcome === 'unknown') expect(o.reason).toMatch(/DECISION_TIMEOUT/);
  });

  it('a replay whose first result was not collected is unknown (it took effect), not ok and not fail', async () => {
    const c = newClient('alice');
    const built = c.buildEnvelope('ping', payload);
    expectOk(await c.submitEnvelope(built));
    for (const r of cluster.replicas) r.forgetReplies();
    const o = await c.submitEnvelope(built);
    expect(o.outcome).toBe('unknown');
    if (o.outcome === 'unknown') expect(o.reason).toMatch(/already applied/);
  });
});

describe('fail only when certain', () => {
  it('f+1 replicas reject an unknown operation before ordering: fail UNKNOWN_OPERATION', async () => {
    const o = await newClient('alice').request(0x4242, payload);
    expect(o).toMatchObject({ outcome: 'fail', code: 'UNKNOWN_OPERATION' });
  });

  it('f+1 signed error results (block time before the window opens): fail REQUEST_NOT_YET_VALID', async () => {
    cluster.clock = () => Date.now() - 20 * 60 * 1000;
    const o = await newClient('alice').ping(payload);
    expect(o).toMatchObject({ outcome: 'fail', code: 'REQUEST_NOT_YET_VALID' });
  });

  it('a request no replica would accept is refused locally, with nothing sent', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const c = newClient('alice', { fetch: counting });
    expect(await c.ping(new Uint8Array(MACHINE_LIMITS.pingBytesMax + 1))).toMatchObject({
      outcome: 'fail',
      code: 'LIMIT_EXCEEDED',
    });
    expect(await c.ping(payload, { validityMs: 11 * 60 * 1000 })).toMatchObject({
      outcome: 'fail',
      code: 'INVALID_WINDOW',
    });
    expect(calls).toBe(0);
  });
});

describe('configuration', () => {
  it('rejects n < 3f+1, duplicate indices, bad keys and non-http URLs', () => {
    const good = cluster.config();
    const secretKey = new Uint8Array(32).fill(1);
    const bad = [
      { ...good, f: 2 },
      { ...good, replicas: good.replicas.map((r) => ({ ...r, index: 1 })) },
      { ...good, replicas: good.replicas.map((r) => ({ ...r, publicKey: new Uint8Array(31) })) },
      { ...good, replicas: good.replicas.map((r) => ({ ...r, url: 'file:///etc/passwd' })) },
    ];
    for (const c of bad) expect(() => new OmegaClient({ cluster: c, secretKey })).toThrow(/INVALID_/);
    expect(() => new OmegaClient({ cluster: good, secretKey: new Uint8Array(16) })).toThrow(/INVALID_LENGTH/);
  });
});

describe('malformed replies name their sender', () => {
  const tampers: [string, (res: Response) => Promise<Response>][] = [
    ['an oversized body', () => Promise.resolve(new Response('x'.repeat(300_000), { status: 200 }))],
    ['a body that is not JSON', () => Promise.resolve(new Response('not json', { status: 200 }))],
    [
      'an extra field',
      async (res) =>
        new Response(JSON.stringify({ ...((await res.json()) as object), extra: 1 }), { status: 200 }),
    ],
    [
      'another replica index',
      async (res) =>
        new Response(JSON.stringify({ ...((await res.json()) as object), replicaIndex: 2 }), { status: 200 }),
    ],
    [
      'an undecodable result',
      async (res) =>
        new Response(JSON.stringify({ ...((await res.json()) as object), result: 'AAAA' }), { status: 200 }),
    ],
  ];
  for (const [name, tamper] of tampers) {
    it(`a reply with ${name} is not counted and its sender is a culprit`, async () => {
      cluster.set(3, 'hang');
      cluster.set(4, 'hang');
      const replica1 = cluster.config().replicas[0]!.url;
      const tampering: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        return url.startsWith(replica1) ? tamper(res) : res;
      };
      const o = await newClient('alice', { fanout: 'all', timeoutMs: 1_000, fetch: tampering }).ping(payload);
      expect(o.outcome).toBe('unknown');
      expect(o.culprits).toEqual([1]);
    });
  }
});
