/**
 * Property: two registries fed the same random operation sequence — one of them restored from its own
 * snapshot at random points — give the same answers (value or error code) and byte-identical snapshots,
 * and the registry invariants hold throughout: at most one current key per (principal, type), no
 * certificate is ever decided for a revoked key, and the audit chain verifies. Fixed seed; fast-check
 * prints the seed and the shrunk plan on a failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { verifyAuditChain } from '../../src/core/registry/audit.js';
import type { RegistryKeyType } from '../../src/core/registry/keys.js';
import { popMessage, revocationMessage } from '../../src/core/registry/keys.js';
import { PublicKeyRegistry } from '../../src/core/registry/registry.js';
import { keyIdentifier } from '../../src/core/registry/x509.js';
import { isOmegaError } from '../../src/errors.js';
import { testKey } from './fixtures.js';
import { ADMINS, CHAIN, CONFIG, HOUR, POLICY, signedAction, T0 } from './helpers.js';
import { frostCa } from './frost-ca.js';

const SEED = 0xde7e;
const PRINCIPALS = ['alice', 'bob'];
const TYPES: RegistryKeyType[] = ['ed25519', 'x25519'];
const LABELS = ['k0', 'k1'];

type Step =
  | { op: 'authorize'; p: number; t: number; l: number }
  | { op: 'enroll'; p: number; t: number; l: number }
  | { op: 'register'; p: number; t: number; l: number }
  | { op: 'lookup'; p: number; t: number }
  | { op: 'revoke'; p: number; l: number }
  | { op: 'sign' }
  | { op: 'restore' }
  | { op: 'advance'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('authorize' as const), p: fc.nat(1), t: fc.nat(1), l: fc.nat(1) }),
  {
    arbitrary: fc.record({ op: fc.constant('enroll' as const), p: fc.nat(1), t: fc.nat(1), l: fc.nat(1) }),
    weight: 3,
  },
  { arbitrary: fc.constant({ op: 'sign' as const }), weight: 2 },
  fc.record({ op: fc.constant('register' as const), p: fc.nat(1), t: fc.nat(1), l: fc.nat(1) }),
  { arbitrary: fc.record({ op: fc.constant('lookup' as const), p: fc.nat(1), t: fc.nat(1) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('revoke' as const), p: fc.nat(1), l: fc.nat(1) }), weight: 2 },
  fc.constant({ op: 'sign' as const }),
  fc.constant({ op: 'restore' as const }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 1000, max: 2 * HOUR }) }),
);

function outcome(f: () => unknown): string {
  try {
    return JSON.stringify(f(), (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v));
  } catch (e) {
    if (isOmegaError(e)) return `error:${e.code}`;
    throw e;
  }
}

describe('registry determinism and invariants under random operation sequences (property)', () => {
  const ca = frostCa('registry/property');
  it('a continuous registry and one restored from snapshots agree byte for byte; invariants hold', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 8, maxLength: 16 }), (plan) => {
        const genesis = { admins: ADMINS.map((a) => a.publicKey), policy: POLICY };
        const a = PublicKeyRegistry.genesis(CONFIG, genesis);
        let b = PublicKeyRegistry.genesis(CONFIG, genesis);
        let height = 0;
        let time = T0;
        let actionId = 0;
        const ctx = () => ({ height: ++height, timeMs: (time += 1000) });
        const both = (f: (r: PublicKeyRegistry, c: { height: number; timeMs: number }) => unknown): void => {
          const c = ctx();
          expect(outcome(() => f(b, c))).toBe(outcome(() => f(a, c)));
        };
        both((r, c) => r.installCertificateKey(c, ca.publicKey, 365 * 24 * HOUR));
        const revokedKeyIds = new Set<string>();
        const signAll = (): void => {
          for (const p of a.pendingSignatures()) {
            const sig = ca.sign(p.tbs);
            expect(outcome(() => b.completeSignature(p.id, sig))).toBe(
              outcome(() => a.completeSignature(p.id, sig)),
            );
          }
        };
        for (const s of plan) {
          if (s.op === 'authorize' || s.op === 'enroll') {
            const k = testKey(TYPES[s.t]!, LABELS[s.l]);
            const action = signedAction(
              {
                kind: 'authorize',
                principal: PRINCIPALS[s.p]!,
                keyType: TYPES[s.t]!,
                keyDigest: k.info.digest,
              },
              ADMINS.slice(0, 2),
              { id: ++actionId, notAfterMs: time + 24 * HOUR },
            );
            both((r, c) => r.admin(c, action));
          }
          if (s.op === 'register' || s.op === 'enroll') {
            const k = testKey(TYPES[s.t]!, LABELS[s.l]);
            const principal = PRINCIPALS[s.p]!;
            const pop =
              k.sign === undefined ? new Uint8Array(0) : k.sign(popMessage(CHAIN, principal, k.info.digest));
            both((r, c) => r.register(c, { principal, spki: k.info.spki, proofOfPossession: pop }));
          } else if (s.op === 'authorize') {
            // done above
          } else if (s.op === 'lookup') {
            // Look up, sign what it decided (as the replicas' FROST round would), and look up again.
            const q = { principal: PRINCIPALS[s.p]!, keyType: TYPES[s.t]! };
            both((r, c) => r.lookup(c, q));
            signAll();
            both((r, c) => r.lookup(c, q));
          } else if (s.op === 'revoke') {
            const k = testKey('ed25519', LABELS[s.l]);
            const principal = PRINCIPALS[s.p]!;
            const signature = k.sign!(revocationMessage(CHAIN, principal, k.info.digest, 1));
            both((r, c) =>
              r.revoke(c, {
                principal,
                keyDigest: k.info.digest,
                reason: 1,
                signerDigest: k.info.digest,
                signature,
              }),
            );
          } else if (s.op === 'sign') {
            signAll();
          } else if (s.op === 'restore') {
            b = PublicKeyRegistry.restore(CONFIG, b.snapshot());
          } else {
            time += s.ms;
          }
          expect(toHex(b.snapshot())).toBe(toHex(a.snapshot()));
          // Invariants.
          for (const name of PRINCIPALS) {
            const keys = a.keysOf(name);
            for (const t of TYPES)
              expect(
                keys.filter((k) => k.info.type === t && k.status === 'current').length,
              ).toBeLessThanOrEqual(1);
            for (const k of keys)
              if (k.status === 'revoked') revokedKeyIds.add(toHex(keyIdentifier(k.info.raw)));
          }
          for (const p of a.pendingSignatures()) {
            if (p.kind !== 'certificate') continue;
            // The subject key identifier of a revoked key never appears in a certificate waiting to be signed.
            for (const id of revokedKeyIds) expect(toHex(p.tbs)).not.toContain(id);
          }
        }
        verifyAuditChain(CHAIN, a.auditEntries(1, 1_000_000), a.auditHead);
      }),
      { seed: SEED, numRuns: 12 },
    );
  });
});
