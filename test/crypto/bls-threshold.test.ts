/**
 * Threshold BLS (min-sig): the combined signature equals noble's plain BLS signature of the dealt
 * secret; any t+1 partials give the same signature, t do not; bad partials are found and attributed.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BlsBackend } from '../../src/crypto/bls/backend.js';
import { BLS12_381_R } from '../../src/crypto/bls/encoding.js';
import { loadBlsBackend } from '../../src/crypto/bls/load.js';
import { nobleBackend } from '../../src/crypto/bls/noble.js';
import type { PartialSignature, ThresholdPublicKey } from '../../src/crypto/bls/threshold.js';
import {
  BLS_FR,
  PARTIAL_BYTES,
  combine,
  decodePartial,
  encodePartial,
  findBadPartials,
  partialSign,
  thresholdKeyFromCommitments,
  verify,
  verifyPartial,
} from '../../src/crypto/bls/threshold.js';
import { bigintToBytesBE, fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import { shareIndex } from '../../src/crypto/field.js';
import { G2 } from '../../src/crypto/group.js';
import { lagrangeCoefficients } from '../../src/crypto/poly.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { deal, publicShare } from '../../src/crypto/vss.js';
import { isOmegaError } from '../../src/errors.js';

let mcl: BlsBackend;
beforeAll(async () => {
  mcl = await loadBlsBackend({ prefer: 'mcl' });
});

/** Deals a fresh key with vss.ts in G2 and derives the threshold public key with `backend`. */
function setup(backend: BlsBackend, t: number, n: number, seed: string) {
  const dealing = deal(G2, { threshold: t, parties: n }, deterministicRandom(seed));
  const key = thresholdKeyFromCommitments(
    backend,
    dealing.commitments.map((c) => G2.encode(c)),
    { threshold: t, parties: n },
  );
  return { dealing, key, secret: dealing.polynomial[0]! };
}

function thrown(f: () => unknown): { code: string; culprits: readonly number[] } {
  try {
    f();
  } catch (e) {
    if (isOmegaError(e)) return { code: e.code, culprits: e.culprits };
    throw e;
  }
  return { code: 'none', culprits: [] };
}

const G1_WRONG_SUBGROUP = fromHex('80' + '00'.repeat(46) + '04');
const G1_IDENTITY = fromHex('c0' + '00'.repeat(47));
const BLS_DST = utf8('BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_');

describe('threshold BLS matches plain BLS (draft-irtf-cfrg-bls-signature §2.6, §3.1)', () => {
  it.each(['noble', 'mcl'])(
    '%s: the combined signature is byte-identical to @noble/curves shortSignatures.sign with the dealt secret',
    (name) => {
      const backend = name === 'noble' ? nobleBackend : mcl;
      const { dealing, key, secret } = setup(backend, 2, 5, 'threshold/noble-equality');
      const message = utf8('omega/receipt/v1|epoch=7|root=…');
      const partials = [4, 0, 2].map((k) => partialSign(backend, dealing.shares[k]!, message));
      const { signature, signers, excluded } = combine(backend, key, message, partials);
      const sk = bigintToBytesBE(secret, 32);
      const plain = bls12_381.shortSignatures.sign(bls12_381.shortSignatures.hash(message), sk).toBytes(true);
      expect(toHex(signature)).toBe(toHex(plain));
      expect(toHex(key.publicKey)).toBe(toHex(bls12_381.shortSignatures.getPublicKey(sk).toBytes(true)));
      expect(
        bls12_381.shortSignatures.verify(signature, bls12_381.shortSignatures.hash(message), key.publicKey),
      ).toBe(true);
      expect(signers).toEqual([1, 3, 5]);
      expect(excluded).toEqual([]);
      expect(verify(backend, key.publicKey, message, signature)).toBe(true);
      expect(verify(backend, key.publicKey, utf8('another message'), signature)).toBe(false);
    },
  );

  it('public shares derived from the commitments equal vss.publicShare and s_i·g2', () => {
    const { dealing, key } = setup(mcl, 2, 4, 'threshold/public-shares');
    for (const share of dealing.shares) {
      const expected = G2.encode(publicShare(G2, dealing.commitments, share.index));
      expect(toHex(key.publicShares[share.index - 1]!)).toBe(toHex(expected));
      expect(toHex(mcl.g2MulBase(share.value))).toBe(toHex(expected));
    }
    const noble = thresholdKeyFromCommitments(
      nobleBackend,
      dealing.commitments.map((c) => G2.encode(c)),
      { threshold: 2, parties: 4 },
    );
    expect(noble.publicShares.map(toHex)).toEqual(key.publicShares.map(toHex));
  });

  it('differential: both backends produce identical partials, combined signatures and verdicts', () => {
    const { dealing, key } = setup(mcl, 1, 4, 'threshold/differential');
    const message = utf8('differential threshold');
    const pn = dealing.shares.map((s) => partialSign(nobleBackend, s, message));
    const pm = dealing.shares.map((s) => partialSign(mcl, s, message));
    expect(pm.map((p) => toHex(encodePartial(p)))).toEqual(pn.map((p) => toHex(encodePartial(p))));
    const sn = combine(nobleBackend, key, message, [pn[3]!, pn[1]!]);
    const sm = combine(mcl, key, message, [pm[3]!, pm[1]!]);
    expect(toHex(sm.signature)).toBe(toHex(sn.signature));
    expect(verifyPartial(nobleBackend, key.publicShares[1]!, message, pn[1]!)).toBe(true);
    expect(verifyPartial(mcl, key.publicShares[0]!, message, pm[1]!)).toBe(false);
  });
});

describe('properties (fast-check, fixed seed; a failure prints the seed and path to replay)', () => {
  it('any t+1 of n partials reconstruct the same signature', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 6 })
          .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 })))
          .chain(([n, t]) => {
            const indices = Array.from({ length: n }, (_, k) => k + 1);
            const subset = fc.shuffledSubarray(indices, { minLength: t + 1, maxLength: t + 1 });
            return fc.tuple(fc.constant(n), fc.constant(t), subset, subset);
          }),
        fc.string(),
        ([n, t, first, second], seed) => {
          const { dealing, key, secret } = setup(mcl, t, n, `prop/${seed}`);
          const message = utf8(`message/${seed}`);
          const all = dealing.shares.map((s) => partialSign(mcl, s, message));
          const a = combine(
            mcl,
            key,
            message,
            first.map((i) => all[i - 1]!),
          );
          const b = combine(
            mcl,
            key,
            message,
            second.map((i) => all[i - 1]!),
          );
          expect(toHex(a.signature)).toBe(toHex(b.signature));
          expect(toHex(a.signature)).toBe(
            toHex(mcl.signG1(message, utf8('BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_'), secret)),
          );
        },
      ),
      { seed: 20261121, numRuns: 15 },
    );
  });

  it('fewer than t+1 partials do not combine: combine refuses and interpolating t gives an invalid signature', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1000 }), (t, salt) => {
        const n = t + 2;
        const { dealing, key } = setup(mcl, t, n, `few/${t}/${salt}`);
        const message = utf8(`few/${salt}`);
        const partials = dealing.shares.slice(0, t).map((s) => partialSign(mcl, s, message));
        expect(thrown(() => combine(mcl, key, message, partials)).code).toBe('NOT_ENOUGH_SHARES');
        // Lagrange interpolation through only t points lands on a different polynomial's value at 0.
        const indices = partials.map((p) => p.index);
        const lambdas = lagrangeCoefficients(BLS_FR, indices);
        const r = mcl.combineVerifyG1(
          partials.map((p) => p.signature),
          lambdas,
          key.publicKey,
          message,
          utf8('BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_'),
        );
        expect(r.valid).toBe(false);
      }),
      { seed: 112026, numRuns: 8 },
    );
  });
});

describe('a bad partial is detected and attributed to its sender', () => {
  const message = utf8('attribution');
  let ctx: ReturnType<typeof setup>;
  let good: PartialSignature[];
  beforeAll(() => {
    ctx = setup(mcl, 2, 6, 'threshold/attribution');
    good = ctx.dealing.shares.map((s) => partialSign(mcl, s, message));
  });
  const wrongMessage = (p: PartialSignature): PartialSignature => ({
    index: p.index,
    signature: partialSign(mcl, ctx.dealing.shares[p.index - 1]!, utf8('something else')).signature,
  });

  it('a valid point signed over the wrong message is excluded and the others still combine', () => {
    const partials = good.map((p) => (p.index === 2 ? wrongMessage(p) : p));
    const r = combine(mcl, ctx.key, message, partials);
    expect(r.excluded).toEqual([2]);
    expect(r.signers).toEqual([1, 3, 4]);
    expect(verify(mcl, ctx.key.publicKey, message, r.signature)).toBe(true);
    expect(toHex(r.signature)).toBe(toHex(combine(mcl, ctx.key, message, good.slice(2, 5)).signature));
  });

  it('several bad partials are all named (batched check, bisected)', () => {
    const partials = good.map((p) => (p.index === 1 || p.index === 5 ? wrongMessage(p) : p));
    expect(findBadPartials(mcl, ctx.key, message, partials)).toEqual([1, 5]);
    expect(findBadPartials(mcl, ctx.key, message, partials, deterministicRandom('rho'))).toEqual([1, 5]);
    expect(findBadPartials(mcl, ctx.key, message, good)).toEqual([]);
    expect(combine(mcl, ctx.key, message, partials).excluded).toEqual([1, 5]);
  });

  it('with too few good partials left, BAD_PARTIAL names every bad sender', () => {
    const partials = [
      good[0]!,
      wrongMessage(good[1]!),
      { index: good[2]!.index, signature: good[3]!.signature },
    ];
    const e = thrown(() => combine(mcl, ctx.key, message, partials));
    expect(e.code).toBe('BAD_PARTIAL');
    expect(e.culprits).toEqual([2, 3]);
  });

  it('an identity or wrong-subgroup partial is rejected and attributed', () => {
    const partials = good.map((p) =>
      p.index === 1
        ? { index: p.index, signature: G1_IDENTITY }
        : p.index === 3
          ? { index: p.index, signature: G1_WRONG_SUBGROUP }
          : p,
    );
    const r = combine(mcl, ctx.key, message, partials);
    expect(r.excluded).toEqual([1, 3]);
    expect(r.signers).toEqual([2, 4, 5]);
    const e = thrown(() => combine(mcl, ctx.key, message, partials.slice(0, 3)));
    expect(e).toEqual({ code: 'BAD_PARTIAL', culprits: [1, 3] });
    expect(thrown(() => verifyPartial(mcl, ctx.key.publicShares[0]!, message, partials[0]!)).code).toBe(
      'IDENTITY_POINT',
    );
    expect(thrown(() => verifyPartial(mcl, ctx.key.publicShares[2]!, message, partials[2]!)).code).toBe(
      'WRONG_SUBGROUP',
    );
  });

  it('a partial whose signature is not 48 bytes (or not bytes) is attributed, not a crash', () => {
    const partials = good.map((p) =>
      p.index === 1
        ? { index: p.index, signature: p.signature.slice(1) }
        : p.index === 2
          ? { index: p.index, signature: 'junk' as any }
          : p,
    );
    const r = combine(mcl, ctx.key, message, partials);
    expect(r.excluded).toEqual([1, 2]);
    expect(verify(mcl, ctx.key.publicKey, message, r.signature)).toBe(true);
  });

  it('the noble backend attributes the same sender', () => {
    const key = thresholdKeyFromCommitments(
      nobleBackend,
      ctx.dealing.commitments.map((c) => G2.encode(c)),
      { threshold: 2, parties: 6 },
    );
    const partials = good.slice(0, 4).map((p) => (p.index === 2 ? wrongMessage(p) : p));
    expect(combine(nobleBackend, key, message, partials).excluded).toEqual([2]);
  });

  it('duplicate partials from one index are rejected, naming the index', () => {
    expect(thrown(() => combine(mcl, ctx.key, message, [good[0]!, good[1]!, good[0]!]))).toEqual({
      code: 'INVALID_ARGUMENT',
      culprits: [1],
    });
  });

  it('a partial index outside 1..n is rejected', () => {
    const stray = { index: shareIndex(7), signature: good[0]!.signature };
    expect(thrown(() => combine(mcl, ctx.key, message, [...good.slice(0, 3), stray])).code).toBe(
      'OUT_OF_RANGE',
    );
    expect(
      thrown(() => combine(mcl, ctx.key, message, [{ index: 0 as any, signature: good[0]!.signature }])).code,
    ).toBe('OUT_OF_RANGE');
  });

  it('public shares inconsistent with the public key are reported as BAD_COMMITMENTS, not blamed on senders', () => {
    const other = setup(mcl, 2, 6, 'threshold/other-key');
    const mixed: ThresholdPublicKey = { ...ctx.key, publicKey: other.key.publicKey };
    expect(thrown(() => combine(mcl, mixed, message, good.slice(0, 3)))).toEqual({
      code: 'BAD_COMMITMENTS',
      culprits: [],
    });
  });
});

describe('property: a Byzantine subset of senders is always named exactly', () => {
  it('combine succeeds iff ≥ t+1 good partials are given; once it looks beyond the fast path it names exactly the bad senders', () => {
    const badKinds = ['wrong-message', 'wrong-key', 'identity', 'wrong-subgroup', 'truncated'] as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 7 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.integer({ min: 0, max: n - 1 }),
            fc.shuffledSubarray(
              Array.from({ length: n }, (_, k) => k + 1),
              { minLength: 1 },
            ),
            fc.array(fc.constantFrom(...badKinds), { minLength: n, maxLength: n }),
            fc.array(fc.boolean(), { minLength: n, maxLength: n }),
          ),
        ),
        fc.nat(),
        ([n, t, given, kinds, isBad], salt) => {
          const { dealing, key, secret } = setup(mcl, t, n, `byz/${n}/${t}/${salt}`);
          const message = utf8(`byzantine/${salt}`);
          const partials = given.map((i) => {
            const p = partialSign(mcl, dealing.shares[i - 1]!, message);
            if (!isBad[i - 1]) return p;
            switch (kinds[i - 1]!) {
              case 'wrong-message':
                return {
                  index: p.index,
                  signature: partialSign(mcl, dealing.shares[i - 1]!, utf8('x')).signature,
                };
              case 'wrong-key': {
                const share = dealing.shares[i - 1]!;
                const wrong = { index: share.index, value: BLS_FR.add(share.value, 1n) };
                return { index: p.index, signature: partialSign(mcl, wrong, message).signature };
              }
              case 'identity':
                return { index: p.index, signature: G1_IDENTITY };
              case 'wrong-subgroup':
                return { index: p.index, signature: G1_WRONG_SUBGROUP };
              case 'truncated':
                return { index: p.index, signature: p.signature.slice(0, 47) };
            }
          });
          const bad = given.filter((i) => isBad[i - 1]).sort((a, b) => a - b);
          const goodCount = given.length - bad.length;
          // Optimism: if the t+1 lowest indices given are all good, nothing else is examined.
          const lowest = [...given].sort((a, b) => a - b).slice(0, t + 1);
          const fastPath = lowest.every((i) => !isBad[i - 1]);
          const outcome = thrown(() => {
            const r = combine(mcl, key, message, partials);
            expect(r.excluded).toEqual(fastPath ? [] : bad);
            expect(toHex(r.signature)).toBe(toHex(mcl.signG1(message, BLS_DST, secret)));
          });
          if (given.length < t + 1) expect(outcome.code).toBe('NOT_ENOUGH_SHARES');
          else if (goodCount < t + 1) expect(outcome).toEqual({ code: 'BAD_PARTIAL', culprits: bad });
          else expect(outcome.code).toBe('none');
        },
      ),
      { seed: 777, numRuns: 20 },
    );
  });
});

describe('malformed input throws a typed error with a stable code', () => {
  const message = utf8('malformed');
  let ctx: ReturnType<typeof setup>;
  let partial: PartialSignature;
  beforeAll(() => {
    ctx = setup(mcl, 1, 3, 'threshold/malformed');
    partial = partialSign(mcl, ctx.dealing.shares[0]!, message);
  });

  it('partials round-trip through the 50-byte wire format u16be(index) || σ', () => {
    const wire = encodePartial(partial);
    expect(wire.length).toBe(PARTIAL_BYTES);
    expect(toHex(wire.slice(0, 2))).toBe('0001');
    const back = decodePartial(mcl, wire);
    expect(back.index).toBe(1);
    expect(toHex(back.signature)).toBe(toHex(partial.signature));
  });

  it.each([
    ['a 49-byte partial', (w: Uint8Array) => w.slice(1), 'INVALID_LENGTH'],
    ['a 51-byte partial', (w: Uint8Array) => new Uint8Array([...w, 0]), 'INVALID_LENGTH'],
    ['index 0', (w: Uint8Array) => new Uint8Array([0, 0, ...w.slice(2)]), 'OUT_OF_RANGE'],
    ['index 256', (w: Uint8Array) => new Uint8Array([1, 0, ...w.slice(2)]), 'OUT_OF_RANGE'],
    [
      'an identity signature',
      (w: Uint8Array) => new Uint8Array([...w.slice(0, 2), ...G1_IDENTITY]),
      'IDENTITY_POINT',
    ],
    [
      'a wrong-subgroup signature',
      (w: Uint8Array) => new Uint8Array([...w.slice(0, 2), ...G1_WRONG_SUBGROUP]),
      'WRONG_SUBGROUP',
    ],
    [
      'a non-canonical signature (x ≥ p)',
      (w: Uint8Array) => new Uint8Array([...w.slice(0, 2), 0x9a, ...new Uint8Array(47).fill(0xff)]),
      'NON_CANONICAL',
    ],
  ])('decodePartial rejects %s', (_name, mutate, code) => {
    expect(thrown(() => decodePartial(mcl, mutate(encodePartial(partial)))).code).toBe(code);
  });

  it('out-of-range and zero share scalars are rejected when signing', () => {
    const share = ctx.dealing.shares[0]!;
    expect(thrown(() => partialSign(mcl, { ...share, value: 0n }, message)).code).toBe('ZERO_SCALAR');
    expect(thrown(() => partialSign(mcl, { ...share, value: BLS12_381_R }, message)).code).toBe(
      'OUT_OF_RANGE',
    );
    expect(thrown(() => partialSign(mcl, { ...share, index: 0 as any }, message)).code).toBe('OUT_OF_RANGE');
  });

  it('commitment vectors of the wrong length or with the identity are BAD_COMMITMENTS', () => {
    const enc = ctx.dealing.commitments.map((c) => G2.encode(c));
    expect(
      thrown(() => thresholdKeyFromCommitments(mcl, enc.slice(1), { threshold: 1, parties: 3 })).code,
    ).toBe('BAD_COMMITMENTS');
    expect(
      thrown(() => thresholdKeyFromCommitments(mcl, [...enc, enc[0]!], { threshold: 1, parties: 3 })).code,
    ).toBe('BAD_COMMITMENTS');
    const id = G2.encode(G2.identity);
    expect(
      thrown(() => thresholdKeyFromCommitments(mcl, [enc[0]!, id], { threshold: 1, parties: 3 })).code,
    ).toBe('BAD_COMMITMENTS');
    expect(thrown(() => thresholdKeyFromCommitments(mcl, enc, { threshold: 3, parties: 3 })).code).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('a partial list that is not an array of objects is rejected, not a crash', () => {
    expect(thrown(() => combine(mcl, ctx.key, message, [partial, undefined as any])).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(thrown(() => combine(mcl, ctx.key, message, 'x' as any)).code).toBe('INVALID_ARGUMENT');
    expect(thrown(() => verifyPartial(mcl, ctx.key.publicShares[0]!, message, null as any)).code).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('a public key of the wrong length is rejected', () => {
    const bad: ThresholdPublicKey = { ...ctx.key, publicKey: ctx.key.publicKey.slice(1) };
    expect(
      thrown(() => combine(mcl, bad, message, [partial, partialSign(mcl, ctx.dealing.shares[1]!, message)]))
        .code,
    ).toBe('INVALID_LENGTH');
    expect(thrown(() => verify(mcl, ctx.key.publicKey.slice(1), message, partial.signature)).code).toBe(
      'INVALID_LENGTH',
    );
  });
});
