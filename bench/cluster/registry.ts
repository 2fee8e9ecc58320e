/**
 * `npm run bench:cluster -- --registry`: the registry's operations on a 4-replica `omega dev` cluster
 * (real processes, threshold-signed replies, FROST certificates), beside the figures the Omega paper
 * published (1996 hardware): registration 980 ms, lookup 411 ms, revocation 414 ms. The floor measured in
 * the same run is the ordered null request (`ping`) on the same cluster: a cached lookup should cost about
 * that (ARCHITECTURE.md §6: certified lookup p50 ≤ 1.3× a null ordered request).
 *
 * Per principal: authorize (2 of 3 administrators), register (with proof of possession), first lookup
 * (decides a certificate: polls until FROST has signed it), cached lookup, revoke. Principals run in
 * `concurrency` parallel loops.
 */
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromHex } from '../../src/crypto/bytes.js';
import { parsePublicKey } from '../../src/core/registry/keys.js';
import type { OmegaClient } from '../../src/sdk/index.js';
import { RegistryClient } from '../../src/sdk/index.js';

const OMEGA_1996_MS = { register: 980, lookup: 411, revoke: 414 } as const;

type Step = 'authorize' | 'register' | 'lookup (first, with FROST issuance)' | 'lookup (cached)' | 'revoke';
const STEPS: readonly Step[] = [
  'authorize',
  'register',
  'lookup (first, with FROST issuance)',
  'lookup (cached)',
  'revoke',
];

function p(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

export async function registryBench(
  client: OmegaClient,
  chainId: string,
  dir: string,
  options: { principals: number; concurrency: number },
): Promise<void> {
  const registry = new RegistryClient(client, chainId);
  const admins = [1, 2].map((i) => {
    const seed = fromHex(readFileSync(join(dir, 'admins', `admin-${i}.key`), 'utf8').trim());
    return { publicKey: ed25519.getPublicKey(seed), sign: (m: Uint8Array) => ed25519.sign(m, seed) };
  });
  // The floor: ordered null requests on the same cluster, same client.
  const nulls: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const o = await client.ping();
    if (o.outcome === 'ok') nulls.push(performance.now() - t0);
  }
  const times = new Map<Step, number[]>(STEPS.map((s) => [s, []]));
  let failures = 0;
  const timed = async (step: Step, f: () => Promise<boolean>) => {
    const t0 = performance.now();
    const ok = await f();
    if (ok) times.get(step)!.push(performance.now() - t0);
    else failures++;
    return ok;
  };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.principals) {
        const name = `bench-c${options.concurrency}-${next++}`;
        const { publicKey, privateKey } = generateKeyPairSync('ed25519');
        const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
        const info = parsePublicKey(spki);
        const action = registry.signAdminAction(
          { kind: 'authorize', principal: name, keyType: 'ed25519', keyDigest: info.digest },
          admins,
        );
        if (!(await timed('authorize', async () => (await registry.admin(action)).outcome === 'ok')))
          continue;
        const pop = new Uint8Array(nodeSign(null, registry.popMessage(name, info.digest), privateKey));
        if (
          !(await timed('register', async () => (await registry.register(name, spki, pop)).outcome === 'ok'))
        )
          continue;
        const certified = async () => {
          const r = await registry.lookupCertificate(name, 'ed25519', { timeoutMs: 60_000, pollMs: 50 });
          return r.outcome === 'ok' && r.value.status === 'certificate';
        };
        if (!(await timed('lookup (first, with FROST issuance)', certified))) continue;
        await timed('lookup (cached)', certified);
        const sig = new Uint8Array(
          nodeSign(null, registry.revocationMessage(name, info.digest, 0), privateKey),
        );
        await timed('revoke', async () => {
          const r = await registry.revoke({
            principal: name,
            keyDigest: info.digest,
            reason: 0,
            signerDigest: info.digest,
            signature: sig,
          });
          return r.outcome === 'ok';
        });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const nullP50 = p(nulls, 0.5);
  console.log(
    `\n### Registry on ${4} replica processes: ${options.principals} principals, concurrency ${options.concurrency}\n`,
  );
  console.log(`Floor: ordered null request (ping) p50 ${nullP50.toFixed(1)} ms. Failures: ${failures}.\n`);
  console.log(
    '| operation | n | p50 ms | p99 ms | ops/s | p50 / null request | Omega 1996 ms | speed-up vs 1996 |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const step of STEPS) {
    const v = times.get(step)!;
    const p50 = p(v, 0.5);
    const paper =
      step === 'register'
        ? OMEGA_1996_MS.register
        : step === 'revoke'
          ? OMEGA_1996_MS.revoke
          : step.startsWith('lookup')
            ? OMEGA_1996_MS.lookup
            : undefined;
    console.log(
      `| ${step} | ${v.length} | ${p50.toFixed(1)} | ${p(v, 0.99).toFixed(1)} | ${(v.length / seconds).toFixed(1)} | ${(p50 / nullP50).toFixed(2)}× | ${paper ?? '—'} | ${paper === undefined ? '—' : `${(paper / p50).toFixed(1)}×`} |`,
    );
  }
}
