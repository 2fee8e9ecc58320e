/**
 * Scalar fields Z/qZ of prime-order groups, with bigint arithmetic (never fixed-width integers: see
 * research/protocol-design.md §2.3 on Seal's i64 Lagrange overflow), canonical fixed-length encodings,
 * and the branded index types that keep 1-based share indices apart from evaluation points.
 */
import { OmegaError } from '../errors.js';
import { bigintToBytesBE, bigintToBytesLE, bytesToBigintBE, bytesToBigintLE, expectLength } from './bytes.js';
import type { RandomSource } from './rand.js';

/** Largest share index (and so the largest committee) Omega supports. */
export const MAX_SHARE_INDEX = 255;

/**
 * A 1-based share index: replica or participant i holds the share f(i). Never 0 (f(0) is the secret).
 * Branded so that an array position, a count or an evaluation point cannot be passed by mistake.
 */
export type ShareIndex = number & { readonly __brand: 'ShareIndex' };

/** A field element at which a polynomial is evaluated (x = the share index, as a scalar). */
export type EvalPoint = bigint & { readonly __brand: 'EvalPoint' };

/** Validates and brands a share index: an integer in 1..{@link MAX_SHARE_INDEX}. */
export function shareIndex(i: number): ShareIndex {
  if (!Number.isInteger(i) || i < 1 || i > MAX_SHARE_INDEX) {
    throw new OmegaError('OUT_OF_RANGE', `share index must be an integer in 1..${MAX_SHARE_INDEX}, got ${i}`);
  }
  return i as ShareIndex;
}

/** The evaluation point of a share index: x = i (1-based; x = 0 is never a share). */
export function evalPoint(i: ShareIndex): EvalPoint {
  return BigInt(i) as EvalPoint;
}

/** A prime field of scalars with a fixed-length canonical encoding. */
export interface ScalarField {
  /** The prime order q. */
  readonly order: bigint;
  /** Bytes of a canonical encoding. */
  readonly byteLength: number;
  /** Byte order of the canonical encoding (BLS and the NIST/secp curves: 'be'; ed25519 family: 'le'). */
  readonly endian: 'be' | 'le';
  mod(a: bigint): bigint;
  add(a: bigint, b: bigint): bigint;
  sub(a: bigint, b: bigint): bigint;
  mul(a: bigint, b: bigint): bigint;
  neg(a: bigint): bigint;
  /** Multiplicative inverse; throws ZERO_SCALAR for 0. */
  inv(a: bigint): bigint;
  /** True if 0 <= a < q. */
  isValid(a: bigint): boolean;
  /** Canonical encoding of a reduced scalar. */
  encode(a: bigint): Uint8Array;
  /**
   * Decodes a canonical scalar: exact length, value < q (non-canonical encodings are rejected, not
   * reduced), and non-zero unless `allowZero`.
   */
  decode(bytes: Uint8Array, options?: { allowZero?: boolean }): bigint;
  /** A uniformly random non-zero scalar (64 extra bits of entropy make the modular bias negligible). */
  random(rng: RandomSource): bigint;
  /** Reduces a wide byte string (>= byteLength + 16 bytes, big-endian) to a scalar. */
  fromWideBytes(bytes: Uint8Array): bigint;
}

/** Builds the scalar field of a prime-order group. */
export function makeScalarField(order: bigint, byteLength: number, endian: 'be' | 'le'): ScalarField {
  const mod = (a: bigint): bigint => {
    const r = a % order;
    return r < 0n ? r + order : r;
  };
  const inv = (a: bigint): bigint => {
    let x = mod(a);
    if (x === 0n) throw new OmegaError('ZERO_SCALAR', 'cannot invert zero');
    // Extended Euclid; all inputs are public or blinded where this is used (Lagrange coefficients).
    let [r0, r1] = [order, x];
    let [t0, t1] = [0n, 1n];
    while (r1 !== 0n) {
      const q = r0 / r1;
      [r0, r1] = [r1, r0 - q * r1];
      [t0, t1] = [t1, t0 - q * t1];
    }
    x = mod(t0);
    return x;
  };
  const field: ScalarField = {
    order,
    byteLength,
    endian,
    mod,
    add: (a, b) => mod(a + b),
    sub: (a, b) => mod(a - b),
    mul: (a, b) => mod(a * b),
    neg: (a) => mod(-a),
    inv,
    isValid: (a) => a >= 0n && a < order,
    encode: (a) => {
      if (a < 0n || a >= order) throw new OmegaError('OUT_OF_RANGE', 'scalar is not reduced');
      return endian === 'be' ? bigintToBytesBE(a, byteLength) : bigintToBytesLE(a, byteLength);
    },
    decode: (bytes, options = {}) => {
      expectLength(bytes, byteLength, 'scalar');
      const a = endian === 'be' ? bytesToBigintBE(bytes) : bytesToBigintLE(bytes);
      if (a >= order) throw new OmegaError('NON_CANONICAL', 'scalar is not reduced modulo the group order');
      if (a === 0n && options.allowZero !== true) throw new OmegaError('ZERO_SCALAR', 'scalar is zero');
      return a;
    },
    random: (rng) => {
      for (;;) {
        const a = mod(bytesToBigintBE(rng(byteLength + 16)));
        if (a !== 0n) return a;
      }
    },
    fromWideBytes: (bytes) => {
      if (bytes.length < byteLength + 16) throw new OmegaError('INVALID_LENGTH', 'wide scalar too short');
      return mod(bytesToBigintBE(bytes));
    },
  };
  return Object.freeze(field);
}
