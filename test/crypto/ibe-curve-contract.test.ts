/**
 * Contract suite for IbeCurve backends (STYLE.md practice 9: one contract suite per interface with
 * several implementations). Every check goes through bytes, so a backend with its own point types
 * (e.g. mcl-wasm behind the shared BLS backend) is tested against the same references: tlock-js's
 * GT serialization, drand quicknet's published beacons, and tlock-js decryption. To add a backend,
 * append it to BACKENDS.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { isOmegaError } from '../../src/errors.js';
import { BLS12_381_P, BLS12_381_R } from '../../src/crypto/bls/encoding.js';
import { bigintToBytesBE, bytesToBigintBE, fromHex, toHex, u64be, utf8 } from '../../src/crypto/bytes.js';
import { G2 } from '../../src/crypto/group.js';
import { loadIbe, makeIbe, nobleIbeCurve } from '../../src/crypto/ibe/index.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { deal, publicShare } from '../../src/crypto/vss.js';
import type { AnyIbeCurve } from './ibe-backends.js';
import { IBE_CURVES } from './ibe-backends.js';

const require = createRequire(import.meta.url);
const tlock = require('tlock-js/crypto/ibe') as {
  decryptOnG2(key: Uint8Array, ct: { U: Uint8Array; V: Uint8Array; W: Uint8Array }): Promise<Uint8Array>;
};
const tlockUtils = require('tlock-js/crypto/utils') as { fp12ToBytes(gt: unknown): Uint8Array };

// drand quicknet public key and the round-12040883 signature (sources in ibe-tlock.test.ts).
const QUICKNET_PK = fromHex(
  '83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a',
);
const ROUND = 12040883n;
const SIG = fromHex(
  '929906c959032ab363c9f26570d215d66f5c06cb0c44fe508c12bb5839f04ec895bb6868e5b9ff13ab289bdb5266b394',
);

const G1B = bls12_381.G1.Point.BASE;
const G2B = bls12_381.G2.Point.BASE;

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return isOmegaError(e) ? e.code : 'NOT_OMEGA';
  }
  return 'NO_ERROR';
}

describe.each(IBE_CURVES)('IbeCurve contract: %s', (_name, load) => {
  let curve: AnyIbeCurve;
  beforeAll(async () => {
    curve = await load();
  });

  it('G1/G2 encodings round-trip and match the reference bytes', () => {
    const a = G1B.multiply(1234567n).toBytes();
    const b = G2B.multiply(7654321n).toBytes();
    expect(toHex(curve.encodeG1(curve.decodeG1(a)))).toBe(toHex(a));
    expect(toHex(curve.encodeG2(curve.decodeG2(b)))).toBe(toHex(b));
    expect(curve.order).toBe(bls12_381.fields.Fr.ORDER);
  });

  it('strict decoders reject wrong lengths, the identity and garbage with stable codes', () => {
    expect(code(() => curve.decodeG1(new Uint8Array(47)))).toBe('INVALID_LENGTH');
    expect(code(() => curve.decodeG2(new Uint8Array(97)))).toBe('INVALID_LENGTH');
    expect(code(() => curve.decodeG1(bls12_381.G1.Point.ZERO.toBytes()))).toBe('IDENTITY_POINT');
    expect(code(() => curve.decodeG2(bls12_381.G2.Point.ZERO.toBytes()))).toBe('IDENTITY_POINT');
    expect(code(() => curve.decodeG1(new Uint8Array(48).fill(0xab)))).toMatch(/NOT_ON_CURVE|NON_CANONICAL/);
  });

  it('scalar multiplications and the MSM agree with the reference', () => {
    const p = curve.decodeG1(G1B.multiply(5n).toBytes());
    expect(toHex(curve.encodeG1(curve.mulG1(p, 7n)))).toBe(toHex(G1B.multiply(35n).toBytes()));
    const q = curve.decodeG1(G1B.multiply(11n).toBytes());
    expect(toHex(curve.encodeG1(curve.msmG1([p, q], [2n, 3n])))).toBe(toHex(G1B.multiply(43n).toBytes()));
    expect(toHex(curve.encodeG2(curve.mulBaseG2(99n)))).toBe(toHex(G2B.multiply(99n).toBytes()));
    expect(curve.equalG2(curve.mulBaseG2(3n), curve.decodeG2(G2B.multiply(3n).toBytes()))).toBe(true);
    expect(curve.equalG2(curve.mulBaseG2(3n), curve.g2)).toBe(false);
  });

  it('hashToG1 is RFC 9380 with the quicknet DST (the published beacon is s·H1(round id))', () => {
    const id = sha256(u64be(ROUND));
    const h = curve.hashToG1(id);
    expect(toHex(curve.encodeG1(h))).toBe(
      toHex(bls12_381.G1.hashToCurve(id, { DST: 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_' }).toBytes()),
    );
    expect(curve.pairingEqual(curve.decodeG1(SIG), curve.g2, h, curve.decodeG2(QUICKNET_PK))).toBe(true);
    expect(
      curve.pairingEqual(
        curve.decodeG1(SIG),
        curve.g2,
        curve.hashToG1(utf8('x')),
        curve.decodeG2(QUICKNET_PK),
      ),
    ).toBe(false);
  });

  it('gtToBytes is the tlock (kyber) serialization of the pairing', () => {
    const gt = curve.pairing(
      curve.decodeG1(G1B.multiply(3n).toBytes()),
      curve.decodeG2(G2B.multiply(4n).toBytes()),
    );
    const reference = tlockUtils.fp12ToBytes(bls12_381.pairing(G1B.multiply(12n), G2B));
    expect(toHex(curve.gtToBytes(gt))).toBe(toHex(reference));
  });

  it('the IBE built on it interoperates with tlock-js', async () => {
    const ibe = makeIbe(curve);
    const rng = deterministicRandom('ibe-contract');
    const message = utf8('contract suite message');
    const ct = ibe.encrypt(QUICKNET_PK, sha256(u64be(ROUND)), message, rng);
    expect(await tlock.decryptOnG2(SIG, ct)).toEqual(message);
    expect(ibe.decrypt(SIG, ct)).toEqual(message);
  });
});

// ── Differential: every backend gives noble's bytes, verdicts and error codes ─────────────────────

const OTHER_CURVES = IBE_CURVES.filter(([name]) => name !== 'noble');

// A point on E1 outside the r-order subgroup (x = 4) and one on E2 (x = 2); x = 1 is on neither curve
// (as in test/crypto/bls-backend.test.ts).
const overP = bigintToBytesBE(BLS12_381_P + 1n, 48);
overP[0] = overP[0]! | 0x80;
// The expected codes are the decoding contract of docs/crypto.md "BLS backends".
const G1_MALFORMED: [string, Uint8Array, string][] = [
  ['47 bytes', G1B.toBytes().slice(1), 'INVALID_LENGTH'],
  ['49 bytes', new Uint8Array([...G1B.toBytes(), 0]), 'INVALID_LENGTH'],
  ['compression flag clear', G1B.toBytes().map((x, i) => (i === 0 ? x & 0x7f : x)), 'INVALID_ENCODING'],
  ['infinity flag with non-zero x', fromHex('c0' + '00'.repeat(46) + '01'), 'INVALID_ENCODING'],
  ['infinity flag with the sign bit', fromHex('e0' + '00'.repeat(47)), 'INVALID_ENCODING'],
  ['x ≥ p', overP, 'NON_CANONICAL'],
  ['x off the curve', fromHex('80' + '00'.repeat(46) + '01'), 'NOT_ON_CURVE'],
  ['outside the subgroup', fromHex('80' + '00'.repeat(46) + '04'), 'WRONG_SUBGROUP'],
  ['the identity', fromHex('c0' + '00'.repeat(47)), 'IDENTITY_POINT'],
];
const G2_MALFORMED: [string, Uint8Array, string][] = [
  ['48 bytes', G1B.toBytes(), 'INVALID_LENGTH'],
  ['compression flag clear', G2B.toBytes().map((x, i) => (i === 0 ? x & 0x7f : x)), 'INVALID_ENCODING'],
  ['infinity flag with non-zero x', fromHex('c0' + '00'.repeat(94) + '01'), 'INVALID_ENCODING'],
  ['x_c1 ≥ p', new Uint8Array([...overP, ...G2B.toBytes().slice(48)]), 'NON_CANONICAL'],
  [
    'x_c0 ≥ p',
    new Uint8Array([...G2B.toBytes().slice(0, 48), ...overP.map((x, i) => (i === 0 ? x & 0x1f : x))]),
    'NON_CANONICAL',
  ],
  ['x off the curve', fromHex('80' + '00'.repeat(94) + '01'), 'NOT_ON_CURVE'],
  ['outside the subgroup', fromHex('a0' + '00'.repeat(94) + '02'), 'WRONG_SUBGROUP'],
  ['the identity', fromHex('c0' + '00'.repeat(95)), 'IDENTITY_POINT'],
];

describe.each(OTHER_CURVES)('IbeCurve differential: %s against noble', (_name, load) => {
  let curve: AnyIbeCurve;
  beforeAll(async () => {
    curve = await load();
  });
  const noble = nobleIbeCurve as AnyIbeCurve;

  it('GT bytes of random pairings equal noble’s (seed ibe-diff/gt)', () => {
    const rng = deterministicRandom('ibe-diff/gt');
    for (let i = 0; i < 4; i++) {
      const a = G1B.multiply(bytesToBigintBE(rng(48)) % BLS12_381_R).toBytes();
      const b = G2B.multiply(bytesToBigintBE(rng(48)) % BLS12_381_R).toBytes();
      const id = rng(32);
      const ours = curve.gtToBytes(curve.pairing(curve.decodeG1(a), curve.decodeG2(b)));
      const ref = noble.gtToBytes(noble.pairing(noble.decodeG1(a), noble.decodeG2(b)));
      expect(toHex(ours), `seed ibe-diff/gt, pair ${i}`).toBe(toHex(ref));
      const oursH = curve.gtToBytes(curve.pairing(curve.hashToG1(id), curve.decodeG2(b)));
      const refH = noble.gtToBytes(noble.pairing(noble.hashToG1(id), noble.decodeG2(b)));
      expect(toHex(oursH), `seed ibe-diff/gt, hashed pair ${i}`).toBe(toHex(refH));
    }
  });

  it('the same inputs and randomness give byte-identical ciphertexts, keys and verdicts', () => {
    const ours = makeIbe(curve);
    const ref = makeIbe(noble);
    const setup = deterministicRandom('ibe-diff/scheme');
    const dealing = deal(G2, { threshold: 2, parties: 5 }, setup);
    const mpk = G2.encode(dealing.commitments[0]!);
    const publicShares = new Map(
      dealing.shares.map((sh) => [
        sh.index as number,
        G2.encode(publicShare(G2, dealing.commitments, sh.index)),
      ]),
    );
    const identity = utf8('omega-test|bob|2026-02');
    const partialsOurs = dealing.shares.map((sh) => ours.partialIdentityKey(sh, identity));
    const partialsRef = dealing.shares.map((sh) => ref.partialIdentityKey(sh, identity));
    expect(partialsOurs).toEqual(partialsRef);
    // A bad partial from replica 2 must be named by both.
    const bad = [
      partialsOurs[0]!,
      { ...partialsOurs[1]!, key: partialsOurs[4]!.key },
      partialsOurs[2]!,
      partialsOurs[3]!,
    ];
    const req = { masterPublicKey: mpk, identity, threshold: 2, publicShares };
    const exOurs = ours.extractIdentityKey({ ...req, partials: bad });
    const exRef = ref.extractIdentityKey({ ...req, partials: bad });
    expect(exOurs).toEqual(exRef);
    expect(exOurs.culprits).toEqual([2]);
    const key = exOurs.identityKey;
    expect(ours.verifyIdentityKey(mpk, identity, key)).toBe(true);
    expect(ours.verifyIdentityKey(mpk, utf8('other'), key)).toBe(false);
    expect(ours.verifyPartialIdentityKey(publicShares.get(1)!, identity, partialsOurs[1]!)).toBe(false);
    for (const length of [16, 24, 32]) {
      const seed = `ibe-diff/ct/${length}`;
      const message = deterministicRandom(`${seed}/m`)(length);
      const ctOurs = ours.encrypt(mpk, identity, message, deterministicRandom(seed));
      const ctRef = ref.encrypt(mpk, identity, message, deterministicRandom(seed));
      expect(toHex(ours.encodeCiphertext(ctOurs)), seed).toBe(toHex(ref.encodeCiphertext(ctRef)));
      expect(ours.decrypt(key, ctRef)).toEqual(message);
      expect(ref.decrypt(key, ctOurs)).toEqual(message);
      const W = Uint8Array.from(ctOurs.W);
      W[0]! ^= 1;
      expect(code(() => ours.decrypt(key, { ...ctOurs, W }))).toBe('DECRYPTION_FAILED');
    }
  });

  it('hashToG1 bounds its input (mcl stages it on the wasm stack): over 64 KiB is LIMIT_EXCEEDED', () => {
    expect(code(() => curve.hashToG1(new Uint8Array(64 * 1024 + 1)))).toBe('LIMIT_EXCEEDED');
    expect(code(() => curve.hashToG1(new Uint8Array(64 * 1024)))).toBe('NO_ERROR');
  });

  it('malformed points are rejected with the same code as noble (the BLS decoding contract)', () => {
    for (const [what, bytes, expected] of G1_MALFORMED) {
      expect(
        code(() => noble.decodeG1(bytes)),
        `noble G1 ${what}`,
      ).toBe(expected);
      expect(
        code(() => curve.decodeG1(bytes)),
        `G1 ${what}`,
      ).toBe(expected);
    }
    for (const [what, bytes, expected] of G2_MALFORMED) {
      expect(
        code(() => noble.decodeG2(bytes)),
        `noble G2 ${what}`,
      ).toBe(expected);
      expect(
        code(() => curve.decodeG2(bytes)),
        `G2 ${what}`,
      ).toBe(expected);
    }
  });
});

describe('loadIbe (backend selection)', () => {
  it('auto selects mcl-wasm when it loads; noble and mcl can be forced', async () => {
    expect((await loadIbe()).curve).toBe('mcl');
    expect((await loadIbe({ prefer: 'auto' })).curve).toBe('mcl');
    expect((await loadIbe({ prefer: 'noble' })).curve).toBe('noble');
    expect((await loadIbe({ prefer: 'mcl' })).curve).toBe('mcl');
    expect(await loadIbe({ prefer: 'mcl' })).toBe(await loadIbe({ prefer: 'mcl' }));
  });

  it('an unknown preference is rejected with INVALID_ARGUMENT', async () => {
    await expect(loadIbe({ prefer: 'blst' as 'auto' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
