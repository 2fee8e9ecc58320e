/**
 * Byte-level facts of BLS12-381 shared by every backend: element sizes, the signature ciphersuite's DST,
 * and the structural check of the ZCash compressed point encoding that runs *before* a library parses
 * the bytes — so that every backend rejects the same malformed input with the same stable code.
 *
 * Encoding (draft-irtf-cfrg-pairing-friendly-curves-11 Appendix C, "ZCash serialization"; the format of
 * draft-irtf-cfrg-bls-signature §2.1 and of drand/Ethereum): the three top bits of the first byte are
 * flags — C (0x80) compressed, I (0x40) point at infinity, S (0x20) sign of y — and the remaining 381
 * bits are x, big-endian (G2: x = x_c1 || x_c0, flags in the first byte of x_c1).
 */
import { OmegaError } from '../../errors.js';
import { bytesToBigintBE, expectLength, utf8 } from '../bytes.js';

/** Bytes of a compressed G1 element (signatures and partial signatures in the min-sig variant). */
export const G1_BYTES = 48;
/** Bytes of a compressed G2 element (public keys and public shares in the min-sig variant). */
export const G2_BYTES = 96;
/** Bytes of a canonical scalar (big-endian, < r). */
export const SCALAR_BYTES = 32;

/** The base-field prime p of BLS12-381 (draft-irtf-cfrg-pairing-friendly-curves-11 §4.2.1). */
export const BLS12_381_P =
  0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaabn;
/** The prime order r of G1, G2 and GT. */
export const BLS12_381_R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

/** Ciphersuite ID = hash-to-curve DST of the basic min-sig scheme (draft-irtf-cfrg-bls-signature §4.2.1). */
export const BLS_SIG_CIPHERSUITE = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_';
/** {@link BLS_SIG_CIPHERSUITE} as bytes, the DST passed to hash_to_curve (RFC 9380 §3.1). */
export const BLS_SIG_DST: Uint8Array = utf8(BLS_SIG_CIPHERSUITE);

/** RFC 9380 §3.1: a DST must be non-empty and at most 255 bytes (longer ones need the §5.3.3 trick). */
export const MAX_DST_BYTES = 255;

/** Which group an encoding belongs to. */
export type BlsGroupName = 'G1' | 'G2';

const FLAG_COMPRESSED = 0x80;
const FLAG_INFINITY = 0x40;
const FLAG_SIGN = 0x20;
const FLAG_MASK = 0x1f;

/**
 * Structural check of a compressed point: exact length, compression flag set, a canonical point at
 * infinity (only the C and I bits set, everything else zero), and every x coordinate < p (an x ≥ p
 * would be a second encoding of a reduced value). Returns true for the identity. Curve membership and
 * the subgroup are checked afterwards by the backend.
 *
 * Throws INVALID_LENGTH, INVALID_ENCODING or NON_CANONICAL.
 */
export function checkCompressedStructure(bytes: Uint8Array, group: BlsGroupName): boolean {
  const length = group === 'G1' ? G1_BYTES : G2_BYTES;
  expectLength(bytes, length, `BLS12-381 ${group} element`);
  const flags = bytes[0]!;
  if ((flags & FLAG_COMPRESSED) === 0) {
    throw new OmegaError('INVALID_ENCODING', `${group}: compression flag not set (only compressed points)`);
  }
  if ((flags & FLAG_INFINITY) !== 0) {
    let rest = flags & (FLAG_SIGN | FLAG_MASK);
    for (let i = 1; i < bytes.length; i++) rest |= bytes[i]!;
    if (rest !== 0) {
      throw new OmegaError('INVALID_ENCODING', `${group}: point at infinity with non-zero bits`);
    }
    return true;
  }
  for (let offset = 0; offset < length; offset += G1_BYTES) {
    const limb = bytes.slice(offset, offset + G1_BYTES);
    if (offset === 0) limb[0] = limb[0]! & FLAG_MASK;
    if (bytesToBigintBE(limb) >= BLS12_381_P) {
      throw new OmegaError('NON_CANONICAL', `${group}: x coordinate is not reduced modulo p`);
    }
  }
  return false;
}

/** Throws OUT_OF_RANGE unless `s` is a bigint in [0, r); ZERO_SCALAR if zero and `nonZero`. */
export function checkScalar(s: bigint, what: string, nonZero = false): void {
  if (typeof s !== 'bigint' || s < 0n || s >= BLS12_381_R) {
    throw new OmegaError('OUT_OF_RANGE', `${what}: scalar must be an integer in [0, r)`);
  }
  if (nonZero && s === 0n) throw new OmegaError('ZERO_SCALAR', `${what}: scalar is zero`);
}

/** Throws unless `dst` is 1..255 bytes (RFC 9380 §3.1). */
export function checkDst(dst: Uint8Array): void {
  if (!(dst instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'DST: expected bytes');
  if (dst.length === 0 || dst.length > MAX_DST_BYTES) {
    throw new OmegaError('INVALID_LENGTH', `DST must be 1..${MAX_DST_BYTES} bytes, got ${dst.length}`);
  }
}

/**
 * Largest message Omega hashes to G1. Callers sign digests or Merkle roots, never bulk data; the bound
 * also keeps the mcl backend inside its 1 MiB wasm stack, where inputs are staged.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** Throws unless `message` is bytes of at most {@link MAX_MESSAGE_BYTES} (empty is fine: §2.6). */
export function checkMessage(message: Uint8Array): void {
  if (!(message instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'message: expected bytes');
  if (message.length > MAX_MESSAGE_BYTES) {
    throw new OmegaError('LIMIT_EXCEEDED', `message of ${message.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  }
}

/**
 * `Array.isArray` without the type narrowing (which would widen a typed array parameter to `any[]`):
 * used to reject non-array arguments from untyped callers with a typed error.
 */
export function isList(x: unknown): boolean {
  return Array.isArray(x);
}
