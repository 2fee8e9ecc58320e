/**
 * Property tests for src/crypto/ibe (fast-check, fixed seeds: a failure prints the seed and the
 * counterexample that replay it). Pairings cost tens of milliseconds, so the run counts are small.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { isOmegaError } from '../../src/errors.js';
import { G2 } from '../../src/crypto/group.js';
import type { PartialIdentityKey } from '../../src/crypto/ibe/index.js';
import type { Ibe } from '../../src/crypto/ibe/index.js';
import {
  encryptEnvelope,
  ibe,
  identityFor,
  parseEnvelope,
  parseIdentity,
} from '../../src/crypto/ibe/index.js';
import { utf8 } from '../../src/crypto/bytes.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { deal, publicShare } from '../../src/crypto/vss.js';
import { IBE_SCHEMES } from './ibe-backends.js';

/** Runs f; returns 'ok', or the OmegaError code; any other exception fails the property. */
function outcome(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (isOmegaError(e)) return e.code;
    throw e;
  }
}

describe('IBE decoders on arbitrary bytes', () => {
  it('parseIdentity either round-trips exactly or throws an OmegaError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          fc.tuple(fc.string(), fc.string(), fc.string()).map(([a, b, c]) => utf8(`${a}|${b}|${c}`)),
        ),
        (bytes) => {
          let fields: ReturnType<typeof parseIdentity> | undefined;
          const result = outcome(() => (fields = parseIdentity(bytes)));
          if (result === 'ok')
            expect(identityFor(fields!.namespace, fields!.id, fields!.period)).toEqual(bytes);
        },
      ),
      { seed: 3, numRuns: 300 },
    );
  });

  it('parseEnvelope and decodeCiphertext reject garbage with OmegaErrors only', () => {
    const s = G2.field.random(deterministicRandom('ibe-prop/env'));
    const mpk = G2.encode(G2.mulBase(s));
    const valid = encryptEnvelope(
      mpk,
      utf8('ns|id|1'),
      utf8('payload'),
      deterministicRandom('ibe-prop/env2'),
    );
    fc.assert(
      fc.property(fc.nat({ max: valid.length }), fc.uint8Array({ maxLength: 64 }), (cut, tail) => {
        const bytes = Uint8Array.from([...valid.subarray(0, cut), ...tail]);
        outcome(() => parseEnvelope(bytes));
        outcome(() => ibe.decodeCiphertext(bytes.subarray(0, Math.min(bytes.length, 160))));
      }),
      { seed: 5, numRuns: 60 },
    );
  });
});

describe.each(IBE_SCHEMES)('IBE properties: %s', (_name, load) => {
  let scheme: Ibe;
  beforeAll(async () => {
    scheme = await load();
  });

  it('decrypt(encrypt(M)) = M for any identity and 16..32-byte M; any flipped bit of V or W fails the FO check', () => {
    const s = G2.field.random(deterministicRandom('ibe-prop/master'));
    const mpk = G2.encode(G2.mulBase(s));
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.uint8Array({ minLength: 16, maxLength: 32 }),
        fc.string(),
        fc.nat(),
        (identity, message, seed, flip) => {
          const key = scheme.partialIdentityKey({ index: 1 as never, value: s }, identity).key;
          const ct = scheme.encrypt(mpk, identity, message, deterministicRandom(`ibe-prop/${seed}`));
          expect(scheme.decrypt(key, ct)).toEqual(message);
          const bit = flip % (2 * 8 * message.length);
          const field = bit < 8 * message.length ? 'V' : 'W';
          const pos = bit % (8 * message.length);
          const tampered = Uint8Array.from(ct[field]);
          tampered[pos >> 3]! ^= 1 << (pos & 7);
          let code = 'NO_ERROR';
          try {
            scheme.decrypt(key, { ...ct, [field]: tampered });
          } catch (e) {
            code = isOmegaError(e) ? e.code : 'NOT_OMEGA';
          }
          expect(code).toBe('DECRYPTION_FAILED');
        },
      ),
      { seed: 7, numRuns: 8 },
    );
  });

  it('extraction returns the key iff t+1 partials are good, and names exactly the bad ones it checked', () => {
    // Which branches the fixed seed reached (asserted below, so the property cannot pass vacuously).
    const seen = { failed: 0, withCulprits: 0, optimistic: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 3 }),
        fc.string(),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        (t, extra, seed, badMask) => {
          const n = t + 1 + extra;
          const rng = deterministicRandom(`ibe-prop/extract/${seed}`);
          const dealing = deal(G2, { threshold: t, parties: n }, rng);
          const masterPublicKey = G2.encode(dealing.commitments[0]!);
          const publicShares = new Map(
            dealing.shares.map((sh) => [
              sh.index as number,
              G2.encode(publicShare(G2, dealing.commitments, sh.index)),
            ]),
          );
          const identity = rng(16);
          const bad = new Set(dealing.shares.filter((_, k) => badMask[k]).map((sh) => sh.index as number));
          const partials: PartialIdentityKey[] = dealing.shares.map((sh) =>
            bad.has(sh.index)
              ? scheme.partialIdentityKey(sh, rng(16))
              : scheme.partialIdentityKey(sh, identity),
          );
          const good = n - bad.size;
          const request = { masterPublicKey, identity, threshold: t, partials, publicShares };
          if (good < t + 1) {
            let caught: unknown;
            try {
              scheme.extractIdentityKey(request);
            } catch (e) {
              caught = e;
            }
            expect(isOmegaError(caught, 'BAD_PARTIAL')).toBe(true);
            expect((caught as { culprits: number[] }).culprits).toEqual([...bad].sort((a, b) => a - b));
            seen.failed++;
            return;
          }
          const r = scheme.extractIdentityKey(request);
          expect(scheme.verifyIdentityKey(masterPublicKey, identity, r.identityKey)).toBe(true);
          expect(r.identityKey).toEqual(
            scheme.partialIdentityKey({ index: 1 as never, value: dealing.polynomial[0]! }, identity).key,
          );
          const firstSubsetHasBad = [...bad].some((i) => i <= t + 1);
          const expected = firstSubsetHasBad ? [...bad].sort((a, b) => a - b) : [];
          expect(r.culprits).toEqual(expected);
          for (const i of r.subset) expect(bad.has(i)).toBe(false);
          if (expected.length > 0) seen.withCulprits++;
          else seen.optimistic++;
        },
      ),
      { seed: 11, numRuns: 12 },
    );
    expect(seen.failed).toBeGreaterThan(0);
    expect(seen.withCulprits).toBeGreaterThan(0);
    expect(seen.optimistic).toBeGreaterThan(0);
  });
});
