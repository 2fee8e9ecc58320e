import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../../src/errors.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import {
  MACHINE_LIMITS,
  decodeEnvelope,
  decodeResult,
  replySignBytes,
} from '../../src/core/machine/index.js';
import { API_ROUTES, ReplicaMetrics, createApiServer } from '../../src/api/index.js';
import { CHAIN, client, envelope } from '../machine/helpers.js';
import { FakeNode } from './fake-node.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');

let node: FakeNode;
let app: FastifyInstance;
let logs: string[];
let metrics: ReplicaMetrics;

beforeEach(async () => {
  node = new FakeNode();
  logs = [];
  metrics = new ReplicaMetrics({ processMetrics: false });
  app = await createApiServer(node, {
    logger: { level: 'info', stream: { write: (l) => logs.push(l) } },
    metrics,
  });
});
afterEach(async () => {
  await app.close();
});

async function submitJson(payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

function expectRejected(res: { statusCode: number; json(): any }, status: number, code: string): void {
  expect(res.statusCode, JSON.stringify(res.json())).toBe(status);
  expect(res.json().error.code).toBe(code);
  expect(typeof res.json().error.message).toBe('string');
}

describe('POST /v1/requests', () => {
  it('submits a valid envelope (JSON) and answers with the replica-signed result bound to it', async () => {
    const alice = client('alice');
    const req = envelope(alice, { body: Uint8Array.from([9, 8, 7]) });
    const res = await submitJson({ envelope: b64(req) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['replicaIndex', 'result', 'signature']);
    const resultBytes = new Uint8Array(Buffer.from(body.result, 'base64url'));
    expect(
      ed25519.verify(
        Buffer.from(body.signature, 'base64url'),
        replySignBytes(CHAIN, resultBytes),
        node.publicKey,
      ),
    ).toBe(true);
    const result = decodeResult(resultBytes);
    expect(result.status).toEqual({ ok: true, output: Uint8Array.from([9, 8, 7]) });
    expect(result.principal).toEqual(alice.publicKey);
    expect(node.submitted).toHaveLength(1);
  });

  it('accepts the raw envelope as application/octet-stream', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: { 'content-type': 'application/octet-stream' },
      payload: Buffer.from(envelope(client('alice'))),
    });
    expect(res.statusCode).toBe(200);
    expect(decodeResult(Buffer.from(res.json().result, 'base64url')).status.ok).toBe(true);
  });

  describe('bad input is rejected with its documented code, nothing reaches the node, the replica keeps serving', () => {
    const alice = client('alice');
    const valid = () => b64(envelope(alice));
    const cases: [string, () => Promise<any>, number, string][] = [
      ['malformed JSON', () => submitJson('{"envelope": "abc"'), 400, 'INVALID_REQUEST'],
      ['empty JSON body', () => submitJson(''), 400, 'INVALID_REQUEST'],
      ['a JSON array', () => submitJson([valid()]), 400, 'INVALID_REQUEST'],
      ['an unknown field', () => submitJson({ envelope: valid(), extra: 1 }), 400, 'INVALID_REQUEST'],
      ['a missing field', () => submitJson({}), 400, 'INVALID_REQUEST'],
      [
        'a number where bytes belong (no coercion)',
        () => submitJson({ envelope: 12345 }),
        400,
        'INVALID_REQUEST',
      ],
      [
        'base64 with characters outside base64url',
        () => submitJson({ envelope: 'ab+/cd==' }),
        400,
        'INVALID_REQUEST',
      ],
      [
        'non-canonical base64url (stray trailing bits)',
        () => submitJson({ envelope: 'AB' }),
        400,
        'INVALID_ENCODING',
      ],
      [
        'a prototype-poisoning key',
        () => submitJson(`{"envelope":"${valid()}","__proto__":{"x":1}}`),
        400,
        'INVALID_REQUEST',
      ],
      [
        'an oversized JSON body',
        () => submitJson({ envelope: 'A'.repeat(MACHINE_LIMITS.envelopeBytesMax * 2) }),
        413,
        'LIMIT_EXCEEDED',
      ],
      [
        'an envelope string longer than the largest envelope',
        () => submitJson({ envelope: 'A'.repeat(Math.ceil((MACHINE_LIMITS.envelopeBytesMax * 4) / 3) + 4) }),
        413,
        'LIMIT_EXCEEDED',
      ],
      [
        'an oversized raw body',
        () =>
          app.inject({
            method: 'POST',
            url: '/v1/requests',
            headers: { 'content-type': 'application/octet-stream' },
            payload: Buffer.alloc(MACHINE_LIMITS.envelopeBytesMax * 2),
          }),
        413,
        'LIMIT_EXCEEDED',
      ],
      [
        'a raw envelope one byte over the limit',
        () =>
          app.inject({
            method: 'POST',
            url: '/v1/requests',
            headers: { 'content-type': 'application/octet-stream' },
            payload: Buffer.alloc(MACHINE_LIMITS.envelopeBytesMax + 1),
          }),
        413,
        'LIMIT_EXCEEDED',
      ],
      [
        'a text/plain body',
        () =>
          app.inject({
            method: 'POST',
            url: '/v1/requests',
            headers: { 'content-type': 'text/plain' },
            payload: valid(),
          }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'garbage envelope bytes',
        () => submitJson({ envelope: b64(Uint8Array.from([1, 2, 3])) }),
        400,
        'INVALID_ENCODING',
      ],
      [
        'a bad signature',
        () => {
          const bad = envelope(alice);
          bad[bad.length - 1]! ^= 1;
          return submitJson({ envelope: b64(bad) });
        },
        400,
        'BAD_SIGNATURE',
      ],
      [
        'another chain',
        () => submitJson({ envelope: b64(envelope(alice, { chainId: 'x' })) }),
        400,
        'WRONG_CHAIN',
      ],
      [
        'an unknown operation',
        () => submitJson({ envelope: b64(envelope(alice, { operation: 0x4242 })) }),
        400,
        'UNKNOWN_OPERATION',
      ],
      [
        'an over-long validity window',
        () => submitJson({ envelope: b64(envelope(alice, { notBeforeMs: 0, notAfterMs: 10 ** 12 })) }),
        400,
        'INVALID_WINDOW',
      ],
      [
        'an unsupported version',
        () => {
          const v = envelope(alice);
          v[0] = 9;
          return submitJson({ envelope: b64(v) });
        },
        400,
        'UNSUPPORTED_VERSION',
      ],
    ];
    for (const [name, send, status, code] of cases) {
      it(`${name} → ${status} ${code}`, async () => {
        expectRejected(await send(), status, code);
        expect(node.submitted).toHaveLength(0);
        expect(node.machine.height).toBe(0);
        const ok = await submitJson({ envelope: valid() });
        expect(ok.statusCode).toBe(200);
      });
    }
  });

  it('an expired window is not judged by the API clock but by the block time: a signed REQUEST_EXPIRED result, nothing applied', async () => {
    node.timeMs = 2_000_000;
    const res = await submitJson({ envelope: b64(envelope(client('alice'))) });
    expect(res.statusCode).toBe(200);
    expect(decodeResult(Buffer.from(res.json().result, 'base64url')).status).toEqual({
      ok: false,
      code: 'REQUEST_EXPIRED',
    });
    expect(node.machine.seenCount).toBe(0);
  });

  it('a replayed request id (new envelope, same id) gets a signed DUPLICATE_REQUEST result and is applied once', async () => {
    const alice = client('alice');
    const first = envelope(alice);
    const replay = envelope(alice, {
      requestId: decodeEnvelope(first).requestId,
      body: new Uint8Array(5),
    });
    const ok = decodeResult(
      new Uint8Array(Buffer.from((await submitJson({ envelope: b64(first) })).json().result, 'base64url')),
    );
    expect(ok.status.ok).toBe(true);
    const again = decodeResult(
      new Uint8Array(Buffer.from((await submitJson({ envelope: b64(replay) })).json().result, 'base64url')),
    );
    expect(again.requestId).toEqual(ok.requestId);
    expect(again.status).toEqual({ ok: false, code: 'DUPLICATE_REQUEST' });
    expect(node.machine.seenCount).toBe(1);
  });

  it('a replica that is not ready answers 503 NOT_READY without submitting', async () => {
    node.ready = false;
    expectRejected(await submitJson({ envelope: b64(envelope(client('alice'))) }), 503, 'NOT_READY');
    expect(node.submitted).toHaveLength(0);
  });

  it('maps node rejections: OVERLOADED → 503, DECISION_TIMEOUT → 504', async () => {
    node.behaviour = 'overloaded';
    expectRejected(await submitJson({ envelope: b64(envelope(client('alice'))) }), 503, 'OVERLOADED');
    node.behaviour = 'timeout';
    expectRejected(await submitJson({ envelope: b64(envelope(client('alice'))) }), 504, 'DECISION_TIMEOUT');
  });

  it('an unexpected node failure is 500 INTERNAL without leaking its message, and the server keeps serving', async () => {
    node.behaviour = 'bug';
    const res = await submitJson({ envelope: b64(envelope(client('alice'))) });
    expectRejected(res, 500, 'INTERNAL');
    expect(res.body).not.toContain('secret internal detail');
    node.behaviour = 'apply';
    expect((await submitJson({ envelope: b64(envelope(client('alice'))) })).statusCode).toBe(200);
  });
});

describe('other routes', () => {
  it('unknown routes and wrong methods are 404 NOT_FOUND', async () => {
    expectRejected(await app.inject({ method: 'GET', url: '/v1/nope' }), 404, 'NOT_FOUND');
    expectRejected(await app.inject({ method: 'GET', url: '/v1/requests' }), 404, 'NOT_FOUND');
  });

  it('query parameters are unknown fields: 400 INVALID_REQUEST', async () => {
    expectRejected(await app.inject({ method: 'GET', url: '/v1/info?debug=1' }), 400, 'INVALID_REQUEST');
    const res = await app.inject({
      method: 'POST',
      url: '/v1/requests?x=1',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ envelope: b64(envelope(client('alice'))) }),
    });
    expectRejected(res, 400, 'INVALID_REQUEST');
    expect(node.submitted).toHaveLength(0);
  });

  it('GET /v1/info and /v1/status report the node', async () => {
    const info = (await app.inject({ method: 'GET', url: '/v1/info' })).json();
    expect(info).toEqual({
      chainId: CHAIN,
      replicaIndex: 1,
      n: 4,
      f: 1,
      replicas: [{ index: 1, publicKey: b64(node.publicKey) }],
    });
    const status = (await app.inject({ method: 'GET', url: '/v1/status' })).json();
    expect(status).toEqual({
      height: 0,
      round: 0,
      peers: [
        { index: 2, connected: true },
        { index: 3, connected: false },
      ],
      lastDecisionTimeMs: null,
      lagHeights: 0,
      queues: { mempool: 3 },
    });
  });

  it('GET /v1/service-keys reports the DKG phase, then the keys with fingerprints (bytes as base64url)', async () => {
    const waiting = (await app.inject({ method: 'GET', url: '/v1/service-keys' })).json();
    expect(waiting).toMatchObject({ phase: 'waiting-for-members', epochKeys: 2, keys: null });
    const signing = new Uint8Array(96).fill(1);
    const certificate = new Uint8Array(32).fill(3);
    node.serviceKeysInfo = {
      ...node.serviceKeysInfo,
      phase: 'done',
      holdsShares: true,
      keys: {
        qual: [1, 2, 3],
        signing: { publicKey: signing, fingerprint: 'aaaa:bbbb' },
        ibe: { publicKey: signing, fingerprint: 'cccc:dddd' },
        certificate: { publicKey: certificate, fingerprint: 'eeee:ffff' },
      },
    };
    const done = (await app.inject({ method: 'GET', url: '/v1/service-keys' })).json();
    expect(done.keys).toEqual({
      qual: [1, 2, 3],
      signing: { publicKey: b64(signing), fingerprint: 'aaaa:bbbb' },
      ibe: { publicKey: b64(signing), fingerprint: 'cccc:dddd' },
      certificate: { publicKey: b64(certificate), fingerprint: 'eeee:ffff' },
    });
  });

  it('/healthz is 200 while serving; /readyz follows isReady()', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    node.ready = false;
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expectRejected(await app.inject({ method: 'GET', url: '/readyz' }), 503, 'NOT_READY');
  });

  it('/metrics exposes the process memory by kind, read at scrape time (the soak samples heap_used)', async () => {
    const usage = { rss: 300, heapTotal: 200, heapUsed: 100, external: 40, arrayBuffers: 20 };
    const m = new ReplicaMetrics({ processMetrics: false, memoryUsage: () => ({ ...usage }) });
    const server = await createApiServer(node, { logger: false, metrics: m });
    try {
      const scrape = async () => (await server.inject({ method: 'GET', url: '/metrics' })).body.split('\n');
      const first = await scrape();
      for (const line of [
        'omega_memory_bytes{kind="rss"} 300',
        'omega_memory_bytes{kind="heap_used"} 100',
        'omega_memory_bytes{kind="heap_total"} 200',
        'omega_memory_bytes{kind="external"} 40',
        'omega_memory_bytes{kind="array_buffers"} 20',
      ])
        expect(first, line).toContain(line);
      usage.heapUsed = 150;
      expect(await scrape()).toContain('omega_memory_bytes{kind="heap_used"} 150');
    } finally {
      await server.close();
    }
  });

  it('heap_after_major_gc records heapUsed when a full collection ends, until close()', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const usage = { rss: 1, heapTotal: 1, heapUsed: 111, external: 1, arrayBuffers: 1 };
    const m = new ReplicaMetrics({
      processMetrics: false,
      memoryUsage: () => ({ ...usage }),
      heapAfterGc: true,
    });
    const server = await createApiServer(node, { logger: false, metrics: m });
    const scrape = async () => (await server.inject({ method: 'GET', url: '/metrics' })).body.split('\n');
    const settle = () => new Promise((r) => setTimeout(r, 50));
    try {
      gc();
      await settle();
      expect(await scrape()).toContain('omega_memory_bytes{kind="heap_after_major_gc"} 111');
      m.close();
      usage.heapUsed = 222;
      gc();
      await settle();
      expect(await scrape()).toContain('omega_memory_bytes{kind="heap_after_major_gc"} 111');
    } finally {
      m.close();
      await server.close();
    }
  });

  it('/metrics exposes height, round, rounds per height, decision latency, queues, peers and HTTP counters', async () => {
    await submitJson({ envelope: b64(envelope(client('alice'))) });
    await submitJson('{');
    metrics.observeDecision({ rounds: 2, latencyMs: 30 });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    for (const line of [
      'omega_height 1',
      'omega_round 0',
      'omega_lag_heights 0',
      'omega_peers_connected 1',
      'omega_peer_connected{peer="2"} 1',
      'omega_peer_connected{peer="3"} 0',
      'omega_queue_depth{queue="mempool"} 3',
      'omega_rounds_per_height_bucket{le="2"} 1',
      'omega_rounds_per_height_bucket{le="1"} 0',
      'omega_decision_latency_seconds_bucket{le="0.05"} 1',
      'omega_decision_latency_seconds_count 1',
      'omega_http_requests_total{route="/v1/requests",method="POST",status="200"} 1',
      'omega_http_requests_total{route="/v1/requests",method="POST",status="400"} 1',
      'omega_api_rejections_total{code="INVALID_REQUEST"} 1',
    ]) {
      expect(text.split('\n'), line).toContain(line);
    }
  });

  it('/openapi.json is an OpenAPI 3.1 document listing exactly the served routes, with resolvable references', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    const documented: string[] = [];
    const operationIds = new Set<string>();
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        documented.push(`${method.toUpperCase()} ${path}`);
        expect(app.hasRoute({ method: method.toUpperCase() as any, url: path }), `${method} ${path}`).toBe(
          true,
        );
        expect(operationIds.has(op.operationId)).toBe(false);
        operationIds.add(op.operationId);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const [status, r] of Object.entries<any>(op.responses)) {
          expect(status).toMatch(/^[1-5]\d\d$/);
          expect(typeof r.description).toBe('string');
        }
      }
    }
    expect(documented.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.url}`).sort());
    for (const route of [
      'POST /v1/requests',
      'GET /v1/info',
      'GET /v1/status',
      'GET /v1/service-keys',
      'GET /v1/registry/pki',
      'GET /v1/registry/audit/:from',
      'GET /v1/registry/events',
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
      'GET /openapi.json',
    ]) {
      expect(documented).toContain(route);
    }
    // Every $ref points into the document.
    const refs = JSON.stringify(doc).match(/"\$ref":"([^"]+)"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const target = ref.slice(8, -1).replace(/^#\//, '').split('/');
      let node: any = doc;
      for (const part of target) node = node?.[part];
      expect(node, ref).toBeDefined();
    }
    // The documented request schema is the one that validates: unknown fields rejected.
    expect(
      doc.paths['/v1/requests'].post.requestBody.content['application/json'].schema.additionalProperties,
    ).toBe(false);
  });
});

describe('logs and CORS', () => {
  it('logs structured JSON lines with the rejection code and never the envelope', async () => {
    const req = envelope(client('alice'));
    const bad = req.slice();
    bad[bad.length - 1]! ^= 1;
    await submitJson({ envelope: b64(req) });
    await submitJson({ envelope: b64(bad) });
    expect(logs.length).toBeGreaterThan(0);
    const parsed = logs.map((l) => JSON.parse(l));
    expect(parsed.some((l) => l.code === 'BAD_SIGNATURE')).toBe(true);
    const all = logs.join('\n');
    for (const secretish of [b64(req), b64(bad), toHex(req), b64(req.subarray(0, 40))]) {
      expect(all).not.toContain(secretish);
    }
  });

  it('answers CORS preflights for any origin by default (no ambient credentials) and only listed origins when configured', async () => {
    const pre = await app.inject({
      method: 'OPTIONS',
      url: '/v1/requests',
      headers: { origin: 'https://console.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    const strict = await createApiServer(node, { logger: false, corsOrigins: ['https://ok.example'] });
    const allowed = await strict.inject({
      method: 'GET',
      url: '/v1/info',
      headers: { origin: 'https://ok.example' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://ok.example');
    const denied = await strict.inject({
      method: 'GET',
      url: '/v1/info',
      headers: { origin: 'https://evil.example' },
    });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    await strict.close();
  });
});

describe('fuzzing the request route', () => {
  it('arbitrary JSON bodies and raw bytes always get a documented 4xx code, never a 5xx, and never reach the node', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map((v) => ({ type: 'application/json', payload: JSON.stringify(v) })),
          fc
            .record({ envelope: fc.string() })
            .map((v) => ({ type: 'application/json', payload: JSON.stringify(v) })),
          fc.string().map((s) => ({ type: 'application/json', payload: s })),
          fc
            .uint8Array({ maxLength: 400 })
            .map((b) => ({ type: 'application/octet-stream', payload: Buffer.from(b) })),
        ),
        async ({ type, payload }) => {
          const res = await app.inject({
            method: 'POST',
            url: '/v1/requests',
            headers: { 'content-type': type },
            payload,
          });
          const body = res.json();
          return (
            res.statusCode >= 400 &&
            res.statusCode < 500 &&
            Object.hasOwn(ERROR_CODES, body.error.code) &&
            node.submitted.length === 0
          );
        },
      ),
      { seed: 2026, numRuns: 150 },
    );
  });

  it('a POST without a content type is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/requests',
      payload: 'x',
      headers: { 'content-type': '' },
    });
    expectRejected(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});
