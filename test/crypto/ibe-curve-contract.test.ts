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
import { describe, expect, it } from 'vitest';
import { isOmegaError } from '../../src/errors.js';
import { fromHex, toHex, u64be, utf8 } from '../../src/crypto/bytes.js';
import type { IbeCurve } from '../../src/crypto/ibe/index.js';
import { makeIbe, nobleIbeCurve } from '../../src/crypto/ibe/index.js';
import { deterministicRandom } from '../../src/crypto/rand.js';

const require = createRequire(import.meta.url);
const tlock = require('tlock-js/crypto/ibe') as {
  decryptOnG2(key: Uint8Array, ct: { U: Uint8Array; V: Uint8Array; W: Uint8Array }): Promise<Uint8Array>;
};
const tlockUtils = require('tlock-js/crypto/utils') as { fp12ToBytes(gt: unknown): Uint8Array };

const BACKENDS: readonly [string, IbeCurve<unknown, unknown, unknown>][] = [['noble', nobleIbeCurve]];

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

describe.each(BACKENDS)('IbeCurve contract: %s', (_name, curve) => {
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
