/**
 * HTTP API fuzzing against a running 4-replica cluster (docs/reliability.md, "Fuzzing"): generated and
 * mutated requests — arbitrary JSON bodies, envelopes mutated from valid ones (as JSON and as raw
 * octets), wrong and missing content types, oversized bodies, unknown paths and methods. Properties:
 * no request crashes a replica or gets a 5xx other than the documented NOT_READY/OVERLOADED/
 * DECISION_TIMEOUT; every rejection is `{ error: { code, message } }` with a code from src/errors.ts and
 * the HTTP status docs/api.md gives it; and afterwards the cluster still orders a ping (f+1 signatures).
 * Fixed seed; fast-check prints the seed and the shrunk counterexample on failure.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HTTP_STATUS } from '../../src/api/errors.js';
import { ERROR_CODES, type ErrorCode } from '../../src/errors.js';
import { startReplica, type RunningReplica } from '../../src/runtime/replica/index.js';
import { toBase64url } from '../../src/sdk/index.js';
import { clientFor, makeTestCluster, silentLogger, type TestCluster } from '../runtime/replica-helpers.js';

let cluster: TestCluster | undefined;
let replicas: RunningReplica[] = [];

beforeAll(async () => {
  cluster = await makeTestCluster(4, 'fuzz-http');
  replicas = await Promise.all(
    cluster.configs.map((config) =>
      startReplica(config, { logger: silentLogger, tickMs: 10, decisionTimeoutMs: 3_000 }),
    ),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  cluster?.remove();
});

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: Uint8Array | string | undefined;
}

function mutate(bytes: Uint8Array, flips: readonly [number, number][], cut: number | undefined): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (const [at, x] of flips) out[at % out.length] = out[at % out.length]! ^ x;
  return cut === undefined ? out : out.subarray(0, cut % (out.length + 1));
}

it('fuzzed requests get documented answers and the cluster keeps serving (seed 901)', async () => {
  const c = cluster!;
  const urls = new Map(replicas.map((r) => [r.index, r.apiUrl]));
  const client = clientFor(c.configs, urls, 'fuzz-http');
  const valid = [0, 16, 1024].map((n) => client.buildEnvelope('ping', new Uint8Array(n).fill(1)).bytes);
  const mutation = fc.tuple(
    fc.constantFrom(...valid),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
    fc.option(fc.nat(), { nil: undefined }),
  );
  const body: fc.Arbitrary<Uint8Array | string | undefined> = fc.oneof(
    fc.json({ maxDepth: 3 }),
    fc.constant(undefined),
    fc.string({ maxLength: 64 }),
    mutation.map(([e, flips, cut]) => JSON.stringify({ envelope: toBase64url(mutate(e, flips, cut)) })),
    mutation.map(([e, flips, cut]) => mutate(e, flips, cut)),
    fc
      .record({
        envelope: fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.constant(null)),
        extra: fc.option(fc.string(), { nil: undefined }),
      })
      .map((o) => JSON.stringify(o)),
    // Oversized: past the API body limit.
    fc.constantFrom(JSON.stringify({ envelope: 'A'.repeat(300_000) }), new Uint8Array(2_000_000)),
  );
  const request: fc.Arbitrary<FuzzRequest> = fc.record({
    method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE'),
    path: fc.constantFrom(
      '/v1/requests',
      '/v1/requests',
      '/v1/requests',
      '/v1/status',
      '/v1/info',
      '/v1/nope',
      '/v1/requests/../status',
      '/%ff',
    ),
    contentType: fc.constantFrom(
      'application/json',
      'application/octet-stream',
      'text/plain',
      'application/json; charset=utf-16',
      undefined,
    ),
    body,
  });

  const seen = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(request, async (req) => {
      const target =
        replicas[
          req.body === undefined
            ? 0
            : (typeof req.body === 'string' ? req.body.length : req.body.length) % replicas.length
        ]!;
      const hasBody = req.method !== 'GET' && req.body !== undefined;
      const res = await fetch(`${target.apiUrl}${req.path}`, {
        method: req.method,
        headers: req.contentType === undefined ? {} : { 'content-type': req.contentType },
        ...(hasBody ? { body: req.body } : {}),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      seen.set(String(res.status), (seen.get(String(res.status)) ?? 0) + 1);
      if (res.status === 200) return;
      expect(res.status, text).not.toBe(500);
      let parsed: { error?: { code?: string; message?: unknown } };
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        throw new Error(`HTTP ${res.status} with a non-JSON body: ${text.slice(0, 200)}`);
      }
      const code = parsed.error?.code;
      expect(
        typeof code === 'string' && Object.hasOwn(ERROR_CODES, code),
        `${res.status} ${text.slice(0, 200)}`,
      ).toBe(true);
      expect(typeof parsed.error?.message).toBe('string');
      const documented = HTTP_STATUS[code as ErrorCode];
      if (documented !== undefined) expect(res.status, `${code}`).toBe(documented);
      else expect(res.status, `${code}`).toBe(400);
    }),
    { seed: 901, numRuns: 150 },
  );
  // The generator reached both rejections and real decisions.
  expect(seen.get('400') ?? 0).toBeGreaterThan(0);
  expect(seen.get('413') ?? 0).toBeGreaterThan(0);

  // Every replica still serves, and the cluster still orders a request.
  for (const r of replicas) expect((await fetch(`${r.apiUrl}/healthz`)).status).toBe(200);
  const after = await clientFor(c.configs, urls, 'fuzz-http-after').ping(Uint8Array.from([42]));
  expect(after.outcome, JSON.stringify(after)).toBe('ok');
}, 120_000);
