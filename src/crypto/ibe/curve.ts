/**
 * The pairing operations Boneh–Franklin IBE needs, behind one small interface, so the IBE is written
 * once and runs on any BLS12-381 backend: {@link nobleIbeCurve} here (the reference) and the mcl-wasm
 * adapter of `curve-mcl.ts` (the default of `loadIbe`); another backend needs only a new {@link IbeCurve}.
 *
 * Layout (drand quicknet, scheme `bls-unchained-g1-rfc9380`; research/modern-systems.md §2a): master
 * public key in G2 (96 B), identity keys in G1 (48 B), identities hashed to G1 with the RFC 9380 suite
 * `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_` — an identity key is a min-sig BLS signature on the
 * identity (draft-irtf-cfrg-bls-signature §2.6, basic scheme).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { invariant } from '../../errors.js';
import { decodeWith } from '../bls/backend.js';
import { noblePointOps } from '../bls/noble.js';
import type { G1Point, G2Point } from '../group.js';
import { G1, G2 } from '../group.js';

/** Hash-to-G1 domain-separation tag of drand quicknet / tlock `encryptOnG2RFC9380` (RFC 9380 §8.8.1). */
export const IBE_G1_DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_';

/** Bytes of a compressed G1 element (identity keys). */
export const G1_BYTES = 48;
/** Bytes of a compressed G2 element (master public key, public shares, ciphertext U). */
export const G2_BYTES = 96;
/** Bytes of a GT element in the kilic/kyber serialization hashed by H2 (12 × 48-byte Fp limbs). */
export const GT_BYTES = 576;

/**
 * A BLS12-381 backend for IBE. `G1`, `G2` and `GT` are the backend's own element types; the IBE only
 * passes them between these methods. Every decoder is strict (length, canonical encoding, curve,
 * prime-order subgroup, non-identity) and throws OmegaError; scalars are reduced bigints.
 */
export interface IbeCurve<P1, P2, T> {
  /** Name reported by benchmarks and errors. */
  readonly name: string;
  /** Order r of G1, G2 and GT. */
  readonly order: bigint;
  decodeG1(bytes: Uint8Array): P1;
  encodeG1(p: P1): Uint8Array;
  decodeG2(bytes: Uint8Array): P2;
  encodeG2(p: P2): Uint8Array;
  /** RFC 9380 hash_to_curve into G1 under {@link IBE_G1_DST}. */
  hashToG1(message: Uint8Array): P1;
  /** s·P in G1, constant time (s may be secret: the FO randomness r, a key share). */
  mulG1(p: P1, s: bigint): P1;
  /** Σ s_i·P_i in G1 with public scalars (Lagrange coefficients). */
  msmG1(points: readonly P1[], scalars: readonly bigint[]): P1;
  /** s·g2 in G2, constant time. */
  mulBaseG2(s: bigint): P2;
  equalG2(a: P2, b: P2): boolean;
  /**
   * The pairing e(P, Q) ∈ GT. Precondition: both arguments are non-identity prime-order-subgroup
   * elements (from the strict decoders or derived from their outputs); backends need not re-check.
   */
  pairing(p: P1, q: P2): T;
  /**
   * GT element as hashed by tlock's H2: kyber/kilic order Fp12 = c1‖c0, Fp6 = c2‖c1‖c0, Fp2 = c1‖c0,
   * each Fp 48 bytes big-endian (tlock-js `fp12ToBytes`).
   */
  gtToBytes(t: T): Uint8Array;
  /** e(a1, a2) == e(b1, b2), with one shared final exponentiation. */
  pairingEqual(a1: P1, a2: P2, b1: P1, b2: P2): boolean;
  /** The generator of G2. */
  readonly g2: P2;
}

type Fp12 = ReturnType<typeof bls12_381.pairing>;
const { Fp12 } = bls12_381.fields;
const { calcPairingPrecomputes } = bls12_381.utils;

/**
 * Π e(P_i, Q_i) by one shared Miller loop and one final exponentiation. noble's public `pairing` and
 * `pairingBatch` re-run the full point validation (including the subgroup checks) on every call; the
 * points reaching this adapter were already decoded strictly (`src/crypto/group.ts`) or derived from
 * such points, so that work is repeated for nothing (about a quarter of a pairing).
 */
function pairingProduct(pairs: readonly (readonly [G1Point, G2Point])[]): Fp12 {
  const terms = pairs.map(([p, q]): [ReturnType<typeof calcPairingPrecomputes>, bigint, bigint] => {
    invariant(!p.is0() && !q.is0(), 'pairing inputs are not the identity');
    const { x, y } = p.toAffine();
    return [calcPairingPrecomputes(q), x, y];
  });
  return Fp12.finalExponentiate(bls12_381.millerLoopBatch(terms));
}

/**
 * The reference backend: @noble/curves. Points are decoded by the shared strict decoder of the BLS
 * backends (`decodeWith` over `noblePointOps`: structure, canonical x, curve, subgroup, non-identity,
 * in that order), so every IBE backend rejects a malformed point with the same code as every BLS
 * backend (docs/crypto.md "BLS backends", decoding contract).
 */
export const nobleIbeCurve: IbeCurve<G1Point, G2Point, Fp12> = Object.freeze({
  name: 'noble',
  order: G1.field.order,
  decodeG1: (bytes: Uint8Array) =>
    decodeWith(bytes, 'G1', false, noblePointOps.g1Parse, noblePointOps.g1Encode),
  encodeG1: (p: G1Point) => G1.encode(p),
  decodeG2: (bytes: Uint8Array) =>
    decodeWith(bytes, 'G2', false, noblePointOps.g2Parse, noblePointOps.g2Encode),
  encodeG2: (p: G2Point) => G2.encode(p),
  hashToG1: (message: Uint8Array): G1Point => bls12_381.G1.hashToCurve(message, { DST: IBE_G1_DST }),
  mulG1: (p: G1Point, s: bigint) => G1.mul(p, s),
  msmG1: (points: readonly G1Point[], scalars: readonly bigint[]) => G1.msm(points, scalars),
  mulBaseG2: (s: bigint) => G2.mulBase(s),
  equalG2: (a: G2Point, b: G2Point) => a.equals(b),
  pairing: (p: G1Point, q: G2Point) => pairingProduct([[p, q]]),
  gtToBytes: (t: Fp12): Uint8Array => {
    // noble's Fp12.toBytes writes the twelve Fp limbs in the opposite order of kyber's (c0 first,
    // lowest tower coefficient first); reversing the limbs gives the tlock bytes (checked against
    // tlock-js `fp12ToBytes` in test/crypto/ibe-tlock.test.ts).
    const native = Fp12.toBytes(t);
    invariant(native.length === GT_BYTES, 'Fp12 encoding is 576 bytes');
    const out = new Uint8Array(GT_BYTES);
    const limbs = GT_BYTES / 48;
    for (let i = 0; i < limbs; i++) out.set(native.subarray((limbs - 1 - i) * 48, (limbs - i) * 48), i * 48);
    return out;
  },
  pairingEqual: (a1: G1Point, a2: G2Point, b1: G1Point, b2: G2Point): boolean => {
    // e(a1,a2)·e(-b1,b2) == 1: two Miller loops, one final exponentiation.
    const product = pairingProduct([
      [a1, a2],
      [b1.negate(), b2],
    ]);
    return Fp12.eql(product, Fp12.ONE);
  },
  g2: G2.generator,
});
