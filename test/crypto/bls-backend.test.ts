/**
 * BLS12-381 backends: RFC 9380 vectors, differential tests (noble vs mcl-wasm agree byte for byte on
 * every operation) and one contract for malformed input (both backends reject it with the same code).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BlsBackend } from '../../src/crypto/bls/backend.js';
import {
  BLS12_381_P,
  BLS12_381_R,
  BLS_SIG_CIPHERSUITE,
  BLS_SIG_DST,
  MAX_MESSAGE_BYTES,
} from '../../src/crypto/bls/encoding.js';
import { loadBlsBackend, parseBlsBackendPreference } from '../../src/crypto/bls/load.js';
import { nobleBackend } from '../../src/crypto/bls/noble.js';
import { bigintToBytesBE, bytesToBigintBE, fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { isOmegaError } from '../../src/errors.js';

let mcl: BlsBackend;
let backends: [string, BlsBackend][];

beforeAll(async () => {
  mcl = await loadBlsBackend({ prefer: 'mcl' });
  backends = [
    ['noble', nobleBackend],
    ['mcl', mcl],
  ];
});

/** Compressed encoding of an affine G1 point (x, y): flags C and, if y > (p-1)/2, S. */
function compressG1(x: bigint, y: bigint): Uint8Array {
  const out = bigintToBytesBE(x, 48);
  out[0] = out[0]! | 0x80 | (y > (BLS12_381_P - 1n) / 2n ? 0x20 : 0);
  return out;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isOmegaError(e)) return e.code;
    throw e;
  }
  return 'accepted';
}

const rng = deterministicRandom('bls-backend/differential');
const randomScalar = (): bigint => bytesToBigintBE(rng(48)) % BLS12_381_R;

// A point on E1 outside the r-order subgroup (x = 4: 4³ + 4 = 68 is a square mod p) and one on E2
// (x = 2: found the same way); both decode as curve points but fail the subgroup check.
const G1_WRONG_SUBGROUP = fromHex('80' + '00'.repeat(46) + '04');
const G2_WRONG_SUBGROUP = fromHex('a0' + '00'.repeat(94) + '02');

describe('backend selection', () => {
  it('auto selects mcl-wasm when it loads, and noble/mcl can be forced', async () => {
    expect((await loadBlsBackend()).name).toBe('mcl');
    expect((await loadBlsBackend({ prefer: 'noble' })).name).toBe('noble');
    expect((await loadBlsBackend({ prefer: 'mcl' })).name).toBe('mcl');
  });

  it('an unknown preference is rejected with INVALID_ARGUMENT', () => {
    expect(codeOf(() => parseBlsBackendPreference('blst'))).toBe('INVALID_ARGUMENT');
  });

  it('the ciphersuite is the min-sig basic scheme of draft-irtf-cfrg-bls-signature §4.2.1', () => {
    expect(BLS_SIG_CIPHERSUITE).toBe('BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_');
    // noble's shortSignatures hash with the same DST (so "plain BLS by noble" means this suite).
    const m = utf8('dst check');
    expect(toHex(bls12_381.shortSignatures.hash(m).toBytes(true))).toBe(
      toHex(nobleBackend.hashToG1(m, BLS_SIG_DST)),
    );
  });
});

describe('RFC 9380 Appendix J.9.1 (BLS12381G1_XMD:SHA-256_SSWU_RO_)', () => {
  const dst = utf8('QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_');
  const vectors = [
    {
      msg: '',
      x: 0x052926add2207b76ca4fa57a8734416c8dc95e24501772c814278700eed6d1e4e8cf62d9c09db0fac349612b759e79a1n,
      y: 0x08ba738453bfed09cb546dbb0783dbb3a5f1f566ed67bb6be0e8c67e2e81a4cc68ee29813bb7994998f3eae0c9c6a265n,
    },
    {
      msg: 'abc',
      x: 0x03567bc5ef9c690c2ab2ecdf6a96ef1c139cc0b2f284dca0a9a7943388a49a3aee664ba5379a7655d3c68900be2f6903n,
      y: 0x0b9c15f3fe6e5cf4211f346271d7b01c8f3b28be689c8429c85b67af215533311f0b8dfaaa154fa6b88176c229f2885dn,
    },
    {
      msg: 'abcdef0123456789',
      x: 0x11e0b079dea29a68f0383ee94fed1b940995272407e3bb916bbf268c263ddd57a6a27200a784cbc248e84f357ce82d98n,
      y: 0x03a87ae2caf14e8ee52e51fa2ed8eefe80f02457004ba4d486d6aa1f517c0889501dc7413753f9599b099ebcbbd2d709n,
    },
  ];
  for (const v of vectors) {
    it(`hash_to_curve("${v.msg}") matches the RFC on every backend`, () => {
      for (const [, b] of backends)
        expect(toHex(b.hashToG1(utf8(v.msg), dst))).toBe(toHex(compressG1(v.x, v.y)));
    });
  }
});

describe('differential: noble and mcl-wasm agree byte for byte', () => {
  it('hash-to-G1, signing, public keys, scalar multiplication and negation', () => {
    for (let k = 0; k < 4; k++) {
      const message = rng(k * 17); // lengths 0, 17, 34, 51
      const dst = k === 3 ? utf8('omega/another-dst/v1') : BLS_SIG_DST;
      const sk = randomScalar();
      const s = randomScalar();
      const h = nobleBackend.hashToG1(message, dst);
      expect(toHex(mcl.hashToG1(message, dst))).toBe(toHex(h));
      expect(toHex(mcl.signG1(message, dst, sk))).toBe(toHex(nobleBackend.signG1(message, dst, sk)));
      const pk = nobleBackend.g2MulBase(sk);
      expect(toHex(mcl.g2MulBase(sk))).toBe(toHex(pk));
      expect(toHex(mcl.g1Mul(h, s))).toBe(toHex(nobleBackend.g1Mul(h, s)));
      expect(toHex(mcl.g2Mul(pk, s))).toBe(toHex(nobleBackend.g2Mul(pk, s)));
      expect(toHex(mcl.g1Neg(h))).toBe(toHex(nobleBackend.g1Neg(h)));
      expect(toHex(mcl.g2Neg(pk))).toBe(toHex(nobleBackend.g2Neg(pk)));
    }
    expect(toHex(mcl.g2Generator)).toBe(toHex(bls12_381.G2.Point.BASE.toBytes(true)));
  });

  it("noble's fast encoder equals noble's own toBytes (both signs of y, G1 and G2)", () => {
    for (let k = 0; k < 8; k++) {
      const s = randomScalar();
      expect(toHex(nobleBackend.g2MulBase(s))).toBe(toHex(bls12_381.G2.Point.BASE.multiply(s).toBytes(true)));
      const h = bls12_381.G1.hashToCurve(rng(8), { DST: BLS_SIG_DST });
      expect(toHex(nobleBackend.g1Mul(h.toBytes(true), s))).toBe(toHex(h.multiply(s).toBytes(true)));
    }
  });

  it('linear combinations (the combine step), including zero scalars and an identity result', () => {
    const points = [1, 2, 3].map((i) => nobleBackend.hashToG1(utf8(`p${i}`), BLS_SIG_DST));
    const scalars = [randomScalar(), 0n, randomScalar()];
    expect(toHex(mcl.g1Lincomb(points, scalars))).toBe(toHex(nobleBackend.g1Lincomb(points, scalars)));
    const q = [randomScalar(), randomScalar()].map((s) => nobleBackend.g2MulBase(s));
    const qs = [randomScalar(), randomScalar()];
    expect(toHex(mcl.g2Lincomb(q, qs))).toBe(toHex(nobleBackend.g2Lincomb(q, qs)));
    // P + (r-1)·P = O: both encode the identity the same way.
    const identity = nobleBackend.g1Lincomb([points[0]!, points[0]!], [1n, BLS12_381_R - 1n]);
    expect(toHex(identity)).toBe('c0' + '00'.repeat(47));
    expect(toHex(mcl.g1Lincomb([points[0]!, points[0]!], [1n, BLS12_381_R - 1n]))).toBe(toHex(identity));
  });

  it('verification, batch verification, combine-and-verify and pairing products give the same answers', () => {
    const message = utf8('differential verify');
    const sks = [randomScalar(), randomScalar(), randomScalar()];
    const pks = sks.map((s) => nobleBackend.g2MulBase(s));
    const sigs = sks.map((s) => nobleBackend.signG1(message, BLS_SIG_DST, s));
    const weights = [3n, 5n, 7n];
    for (const [, b] of backends) {
      expect(b.verifyG1(pks[0]!, message, BLS_SIG_DST, sigs[0]!)).toBe(true);
      expect(b.verifyG1(pks[1]!, message, BLS_SIG_DST, sigs[0]!)).toBe(false);
      expect(b.verifyG1(pks[0]!, utf8('other'), BLS_SIG_DST, sigs[0]!)).toBe(false);
      expect(b.batchVerifyG1(pks, message, BLS_SIG_DST, sigs, weights)).toBe(true);
      expect(b.batchVerifyG1(pks, message, BLS_SIG_DST, [sigs[1]!, sigs[0]!, sigs[2]!], weights)).toBe(false);
      // Σ σ_i verifies under Σ PK_i (same message): combine-and-verify with unit weights.
      const aggPk = b.g2Lincomb(pks, [1n, 1n, 1n]);
      const c = b.combineVerifyG1(sigs, [1n, 1n, 1n], aggPk, message, BLS_SIG_DST);
      expect(c.valid).toBe(true);
      expect(toHex(c.signature)).toBe(toHex(nobleBackend.g1Lincomb(sigs, [1n, 1n, 1n])));
      expect(b.combineVerifyG1(sigs, [1n, 1n, 2n], aggPk, message, BLS_SIG_DST).valid).toBe(false);
      // e(a·P, Q)·e(−P, a·Q) = 1; identity pairs contribute 1.
      const P = b.hashToG1(message, BLS_SIG_DST);
      const a = randomScalar();
      const pairs = [
        [b.g1Mul(P, a), b.g2Generator],
        [b.g1Neg(P), b.g2MulBase(a)],
        [fromHex('c0' + '00'.repeat(47)), b.g2Generator],
      ] as const;
      expect(b.pairingProductIsOne(pairs)).toBe(true);
      expect(b.pairingProductIsOne([[P, b.g2Generator]])).toBe(false);
    }
  });
});

describe('findInvalidG1 (batched, bisected) names the same positions on every backend', () => {
  it('finds wrong, malformed and identity signatures among good ones', () => {
    const message = utf8('find invalid');
    const sks = [1, 2, 3, 4, 5, 6].map(() => randomScalar());
    const pks = sks.map((s) => nobleBackend.g2MulBase(s));
    const sigs = sks.map((s) => nobleBackend.signG1(message, BLS_SIG_DST, s));
    const weights = sks.map((_, k) => (1n << 100n) + BigInt(k));
    const tampered = [...sigs];
    tampered[1] = sigs[2]!; // a valid point, wrong signer
    tampered[3] = G1_WRONG_SUBGROUP;
    tampered[4] = fromHex('c0' + '00'.repeat(47));
    for (const [, b] of backends) {
      expect(b.findInvalidG1(pks, message, BLS_SIG_DST, sigs, weights)).toEqual([]);
      expect(b.findInvalidG1(pks, message, BLS_SIG_DST, tampered, weights)).toEqual([1, 3, 4]);
      expect(b.findInvalidG1(pks, message, BLS_SIG_DST, tampered, weights, { knownBad: true })).toEqual([
        1, 3, 4,
      ]);
      // knownBad on a set that is in fact good: the halves are checked and nothing is blamed.
      expect(b.findInvalidG1(pks, message, BLS_SIG_DST, sigs, weights, { knownBad: true })).toEqual([]);
      expect(codeOf(() => b.findInvalidG1([G2_WRONG_SUBGROUP], message, BLS_SIG_DST, [sigs[0]!], [1n]))).toBe(
        'WRONG_SUBGROUP',
      );
    }
  });
});

describe('malformed input is rejected with the same stable code by every backend', () => {
  const g1 = (): Uint8Array => nobleBackend.hashToG1(utf8('valid'), BLS_SIG_DST);
  const g2 = (): Uint8Array => bls12_381.G2.Point.BASE.toBytes(true);
  const overP = bigintToBytesBE(BLS12_381_P + 1n, 48);
  overP[0] = overP[0]! | 0x80;
  const notOnCurve = fromHex('80' + '00'.repeat(46) + '01'); // 1 + 4 = 5 is not a square mod p
  const cases: [string, () => unknown, (b: BlsBackend) => unknown, string][] = [
    ['a G1 point of 47 bytes', () => 0, (b) => b.validateG1(g1().slice(1)), 'INVALID_LENGTH'],
    ['a G1 point of 49 bytes', () => 0, (b) => b.validateG1(new Uint8Array([...g1(), 0])), 'INVALID_LENGTH'],
    ['a G2 point of 48 bytes', () => 0, (b) => b.validateG2(g1()), 'INVALID_LENGTH'],
    [
      'an uncompressed-flag G1 point',
      () => 0,
      (b) => b.validateG1(g1().map((x, i) => (i === 0 ? x & 0x7f : x))),
      'INVALID_ENCODING',
    ],
    [
      'an infinity flag with non-zero x',
      () => 0,
      (b) => b.validateG1(fromHex('c0' + '00'.repeat(46) + '01')),
      'INVALID_ENCODING',
    ],
    [
      'an infinity flag with the sign bit',
      () => 0,
      (b) => b.validateG1(fromHex('e0' + '00'.repeat(47))),
      'INVALID_ENCODING',
    ],
    ['a G1 x coordinate ≥ p', () => 0, (b) => b.validateG1(overP), 'NON_CANONICAL'],
    [
      'a G2 x_c0 coordinate ≥ p',
      () => 0,
      (b) =>
        b.validateG2(
          new Uint8Array([...g2().slice(0, 48), ...overP.map((x, i) => (i === 0 ? x & 0x1f : x))]),
        ),
      'NON_CANONICAL',
    ],
    ['a G1 x off the curve', () => 0, (b) => b.validateG1(notOnCurve), 'NOT_ON_CURVE'],
    [
      'a G2 x off the curve',
      () => 0,
      (b) => b.validateG2(fromHex('80' + '00'.repeat(94) + '01')), // x = 1: 1 + 4(1+u) is not a square in Fp2
      'NOT_ON_CURVE',
    ],
    ['a G1 point outside the subgroup', () => 0, (b) => b.validateG1(G1_WRONG_SUBGROUP), 'WRONG_SUBGROUP'],
    ['a G2 point outside the subgroup', () => 0, (b) => b.validateG2(G2_WRONG_SUBGROUP), 'WRONG_SUBGROUP'],
    ['the G1 identity', () => 0, (b) => b.validateG1(fromHex('c0' + '00'.repeat(47))), 'IDENTITY_POINT'],
    [
      'the G2 identity as a public key',
      () => 0,
      (b) => b.verifyG1(fromHex('c0' + '00'.repeat(95)), utf8('m'), BLS_SIG_DST, g1()),
      'IDENTITY_POINT',
    ],
    [
      'the identity as a signature',
      () => 0,
      (b) => b.verifyG1(g2(), utf8('m'), BLS_SIG_DST, fromHex('c0' + '00'.repeat(47))),
      'IDENTITY_POINT',
    ],
    [
      'a wrong-subgroup signature',
      () => 0,
      (b) => b.verifyG1(g2(), utf8('m'), BLS_SIG_DST, G1_WRONG_SUBGROUP),
      'WRONG_SUBGROUP',
    ],
    [
      'a wrong-subgroup public key',
      () => 0,
      (b) => b.verifyG1(G2_WRONG_SUBGROUP, utf8('m'), BLS_SIG_DST, g1()),
      'WRONG_SUBGROUP',
    ],
    ['a secret key of zero', () => 0, (b) => b.signG1(utf8('m'), BLS_SIG_DST, 0n), 'ZERO_SCALAR'],
    ['a secret key ≥ r', () => 0, (b) => b.signG1(utf8('m'), BLS_SIG_DST, BLS12_381_R), 'OUT_OF_RANGE'],
    ['a negative scalar', () => 0, (b) => b.g1Mul(g1(), -1n), 'OUT_OF_RANGE'],
    ['a non-bigint scalar', () => 0, (b) => b.g2MulBase(5 as any), 'OUT_OF_RANGE'],
    ['an empty DST', () => 0, (b) => b.hashToG1(utf8('m'), new Uint8Array(0)), 'INVALID_LENGTH'],
    ['a 256-byte DST', () => 0, (b) => b.hashToG1(utf8('m'), new Uint8Array(256).fill(65)), 'INVALID_LENGTH'],
    [
      'an oversized message',
      () => 0,
      (b) => b.hashToG1(new Uint8Array(MAX_MESSAGE_BYTES + 1), BLS_SIG_DST),
      'LIMIT_EXCEEDED',
    ],
    ['a message that is not bytes', () => 0, (b) => b.hashToG1('m' as any, BLS_SIG_DST), 'INVALID_ENCODING'],
    ['a point that is not bytes', () => 0, (b) => b.validateG1([1, 2, 3] as any), 'INVALID_ENCODING'],
    ['mismatched points and scalars', () => 0, (b) => b.g1Lincomb([g1()], [1n, 2n]), 'INVALID_ARGUMENT'],
    ['an empty linear combination', () => 0, (b) => b.g2Lincomb([], []), 'INVALID_ARGUMENT'],
    ['an empty pairing product', () => 0, (b) => b.pairingProductIsOne([]), 'INVALID_ARGUMENT'],
    [
      'a zero batch weight',
      () => 0,
      (b) => b.batchVerifyG1([g2()], utf8('m'), BLS_SIG_DST, [g1()], [0n]),
      'ZERO_SCALAR',
    ],
  ];
  for (const [name, , f, code] of cases) {
    it(`${name} → ${code}`, () => {
      for (const [, b] of backends) expect(codeOf(() => f(b))).toBe(code);
    });
  }

  it('the identity is accepted where explicitly allowed', () => {
    for (const [, b] of backends) {
      expect(codeOf(() => b.validateG1(fromHex('c0' + '00'.repeat(47)), { allowIdentity: true }))).toBe(
        'accepted',
      );
      expect(codeOf(() => b.validateG2(fromHex('c0' + '00'.repeat(95)), { allowIdentity: true }))).toBe(
        'accepted',
      );
    }
  });

  it('a cached public key is still refused as the identity (the G2 cache does not bypass checks)', () => {
    const id = fromHex('c0' + '00'.repeat(95));
    for (const [, b] of backends) {
      b.validateG2(id, { allowIdentity: true }); // now cached
      expect(codeOf(() => b.validateG2(id))).toBe('IDENTITY_POINT');
    }
  });
});

describe('fuzz: arbitrary encodings never crash and get the same verdict from both backends', () => {
  const verdict = (f: () => unknown): string => {
    try {
      f();
      return 'accepted';
    } catch (e) {
      if (isOmegaError(e)) return e.code;
      return `crash: ${String(e)}`;
    }
  };

  it('random 48-byte strings and random x < p with random flags (G1)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 48, maxLength: 48 }),
          fc.tuple(fc.bigInt(0n, BLS12_381_P - 1n), fc.integer({ min: 0, max: 7 })).map(([x, flags]) => {
            const b = bigintToBytesBE(x, 48);
            b[0] = b[0]! | (flags << 5);
            return b;
          }),
          fc.uint8Array({ minLength: 0, maxLength: 100 }),
        ),
        (bytes) => {
          const n = verdict(() => nobleBackend.validateG1(bytes));
          expect(n).not.toMatch(/^crash/);
          expect(verdict(() => mcl.validateG1(bytes))).toBe(n);
        },
      ),
      { seed: 4242, numRuns: 150 },
    );
  });

  it('random x = (c0, c1) < p with random flags (G2)', () => {
    fc.assert(
      fc.property(
        fc.bigInt(0n, BLS12_381_P - 1n),
        fc.bigInt(0n, BLS12_381_P - 1n),
        fc.integer({ min: 0, max: 7 }),
        (c0, c1, flags) => {
          const b = new Uint8Array([...bigintToBytesBE(c1, 48), ...bigintToBytesBE(c0, 48)]);
          b[0] = b[0]! | (flags << 5);
          const n = verdict(() => nobleBackend.validateG2(b));
          expect(n).not.toMatch(/^crash/);
          expect(verdict(() => mcl.validateG2(b))).toBe(n);
        },
      ),
      { seed: 2424, numRuns: 60 },
    );
  });
});
