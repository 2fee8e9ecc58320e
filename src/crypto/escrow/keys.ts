/**
 * The private-key types users hold, and how each maps to a secret scalar s on a prime-order group whose
 * s·G is the registered public key (Omega §5 escrows "the private key corresponding to a public key
 * being distributed by the service"; ARCHITECTURE.md D8a).
 *
 * | type      | private key                | group                    | s                               | registered public key          |
 * |-----------|----------------------------|--------------------------|---------------------------------|--------------------------------|
 * | ed25519   | 32-byte seed (RFC 8032)    | edwards25519, order ℓ    | clamp(SHA-512(seed)[0..32]) mod ℓ | 32-byte point A = s·B          |
 * | x25519    | 32-byte scalar (RFC 7748)  | edwards25519, order ℓ    | clamp(k) mod ℓ                  | 32-byte Montgomery u of s·B    |
 * | secp256k1 | 32-byte big-endian d, 0<d<n | secp256k1               | d                               | 33-byte compressed SEC1 d·G    |
 * | p256      | 32-byte big-endian d, 0<d<n | NIST P-256              | d                               | 33-byte compressed SEC1 d·G    |
 *
 * Clamping (RFC 8032 §5.1.5, RFC 7748 §5) clears the 3 low bits, clears bit 255 and sets bit 254: the
 * clamped a is a multiple of the cofactor 8 with 2^254 ≤ a < 2^255. On the prime-order subgroup, where B
 * lives, a acts as a mod ℓ, so the public key is a·B = (a mod ℓ)·B and Feldman VSS over Z_ℓ shares
 * s = a mod ℓ with C_0 = s·B = A. Because a < 2^255 < 8ℓ and 8 | a, a is the unique solution of
 * {a ≡ 0 mod 8, a ≡ s mod ℓ} in [0, 8ℓ): a = 8·(s·8⁻¹ mod ℓ), so recovery gives back the exact clamped
 * scalar (an X25519 private key that behaves identically to the original). The Ed25519 *seed* and its
 * nonce prefix SHA-512(seed)[32..64] are not recoverable: a recovered Ed25519 key signs with a fresh
 * nonce derivation (still valid RFC 8032 signatures, not byte-identical ones).
 *
 * X25519 public keys are u-coordinates, which name a point only up to sign; the escrow carries the
 * Edwards C_0 and the replica checks that its birational image u = (1+y)/(1−y) (RFC 7748 §4.1) equals the
 * registered u. Both ±C_0 map to the same u, which is harmless: the sign changes no X25519 result.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { OmegaError } from '../../errors.js';
import {
  bigintToBytesBE,
  bigintToBytesLE,
  bytesToBigintBE,
  bytesToBigintLE,
  equalBytes,
  expectLength,
} from '../bytes.js';
import type { EdPoint, Group, PointLike } from '../group.js';
import { ED25519, P256, SECP256K1 } from '../group.js';

export type EscrowKeyType = 'ed25519' | 'x25519' | 'secp256k1' | 'p256';

/** Wire codes of the key types (one byte in the escrow package). */
export const ESCROW_KEY_TYPE_CODES: Readonly<Record<EscrowKeyType, number>> = Object.freeze({
  ed25519: 1,
  x25519: 2,
  secp256k1: 3,
  p256: 4,
});

/** Parses a wire code; INVALID_ENCODING for an unknown one. */
export function keyTypeFromCode(code: number): EscrowKeyType {
  for (const [name, c] of Object.entries(ESCROW_KEY_TYPE_CODES)) if (c === code) return name as EscrowKeyType;
  throw new OmegaError('INVALID_ENCODING', `unknown escrow key type code ${code}`);
}

/** Runs `f` with the prime-order group a key type's scalar lives on. */
export function withEscrowGroup<R>(
  keyType: EscrowKeyType,
  f: <P extends PointLike<P>>(group: Group<P>) => R,
): R {
  switch (keyType) {
    case 'ed25519':
    case 'x25519':
      return f(ED25519);
    case 'secp256k1':
      return f(SECP256K1);
    case 'p256':
      return f(P256);
    default:
      throw new OmegaError('INVALID_ARGUMENT', `unsupported escrow key type ${String(keyType)}`);
  }
}

/** Length of the registered public key of each type. */
export function publicKeyLength(keyType: EscrowKeyType): number {
  return keyType === 'secp256k1' || keyType === 'p256' ? 33 : 32;
}

/** RFC 7748 §5 / RFC 8032 §5.1.5 clamping of 32 little-endian bytes. */
function clamp(bytes: Uint8Array): bigint {
  const a = bytes.slice(0, 32);
  a[0]! &= 248;
  a[31]! &= 127;
  a[31]! |= 64;
  return bytesToBigintLE(a);
}

/**
 * The secret scalar s of a private key (see the module table). Throws INVALID_LENGTH, OUT_OF_RANGE
 * (secp256k1/P-256 value ≥ n: rejected, not reduced) or ZERO_SCALAR.
 */
export function secretScalar(keyType: EscrowKeyType, privateKey: Uint8Array): bigint {
  expectLength(privateKey, 32, `${keyType} private key`);
  return withEscrowGroup(keyType, (group) => {
    const F = group.field;
    let s: bigint;
    if (keyType === 'ed25519') s = F.mod(clamp(sha512(privateKey)));
    else if (keyType === 'x25519') s = F.mod(clamp(privateKey));
    else {
      const d = bytesToBigintBE(privateKey);
      if (d >= F.order)
        throw new OmegaError('OUT_OF_RANGE', `${keyType} private key is not below the group order`);
      s = d;
    }
    // Unreachable for clamped keys (2^254 ≤ a and ℓ ∤ a for every clamped a); d = 0 for SEC1 keys.
    if (s === 0n) throw new OmegaError('ZERO_SCALAR', `${keyType} private key gives a zero scalar`);
    return s;
  });
}

/**
 * True iff the point C_0 (on the key type's group) is the registered public key: equal canonical
 * encodings for ed25519/secp256k1/P-256, equal Montgomery u-coordinate for x25519.
 */
export function matchesRegisteredKey<P extends PointLike<P>>(
  keyType: EscrowKeyType,
  group: Group<P>,
  c0: P,
  registeredPublicKey: Uint8Array,
): boolean {
  if (
    !(registeredPublicKey instanceof Uint8Array) ||
    registeredPublicKey.length !== publicKeyLength(keyType)
  ) {
    return false;
  }
  if (group.isIdentity(c0)) return false;
  const encoded = group.encode(c0);
  if (keyType === 'x25519') return equalBytes(ed25519.utils.toMontgomery(encoded), registeredPublicKey);
  return equalBytes(encoded, registeredPublicKey);
}

/** A private key rebuilt from escrow shares. */
export interface RecoveredKey {
  readonly keyType: EscrowKeyType;
  /** The scalar s (s·G = C_0). */
  readonly scalar: bigint;
  /**
   * The private key in its usual form: 32-byte big-endian d (secp256k1, P-256); the 32-byte clamped
   * scalar a (x25519 — X25519 treats it exactly as the original key); undefined for ed25519, whose seed
   * is not recoverable (use `scalar`; see the module comment).
   */
  readonly privateKey: Uint8Array | undefined;
}

/** The clamped scalar a = 8·(s·8⁻¹ mod ℓ), the unique clamped representative of s (module comment). */
export function clampedScalarFromReduced(s: bigint): bigint {
  const F = ED25519.field;
  return 8n * F.mul(s, F.inv(8n));
}

/** Rebuilds the usual private-key form from s, and checks it against the registered public key. */
export function recoveredKey(
  keyType: EscrowKeyType,
  s: bigint,
  registeredPublicKey: Uint8Array,
): RecoveredKey {
  let privateKey: Uint8Array | undefined;
  let ok: boolean;
  if (keyType === 'secp256k1' || keyType === 'p256') {
    privateKey = bigintToBytesBE(s, 32);
    ok = withEscrowGroup(keyType, (g) => matchesRegisteredKey(keyType, g, g.mulBase(s), registeredPublicKey));
  } else if (keyType === 'x25519') {
    privateKey = bigintToBytesLE(clampedScalarFromReduced(s), 32);
    ok = equalBytes(x25519.getPublicKey(privateKey), registeredPublicKey);
  } else {
    privateKey = undefined;
    ok = matchesRegisteredKey(keyType, ED25519, ED25519.mulBase(s), registeredPublicKey);
  }
  if (!ok) {
    throw new OmegaError(
      'ESCROW_KEY_MISMATCH',
      'the reconstructed key does not match the registered public key',
    );
  }
  return { keyType, scalar: s, privateKey };
}

const P25519 = 2n ** 255n - 19n;

function powMod(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/**
 * The point of the prime-order subgroup that an X25519 public value `u` stands for, as the holder of a
 * clamped X25519 key sees it: lift u to edwards25519 (y = (u−1)/(u+1), RFC 7748 §4.1, x chosen even —
 * the sign changes no u-coordinate of any multiple), then drop any small-order component,
 * P' = 8⁻¹·(8·P) with 8⁻¹ taken mod ℓ. Since a clamped scalar a is a multiple of 8, X25519(a, u) is
 * the u-coordinate of a·P = a·P' = (a mod ℓ)·P', which is exactly what the replicas compute with
 * shares of s = a mod ℓ — so escrowed X25519 keys answer even mixed-order ephemerals like X25519 does.
 *
 * Throws NON_CANONICAL for u ≥ p, NOT_ON_CURVE for u on the twist or u = −1 (no Edwards image), and
 * WRONG_SUBGROUP for a small-order u, for which X25519's output is all-zero (RFC 7748 §6.1 says to abort).
 */
export function edwardsPointFromMontgomery(u: Uint8Array): EdPoint {
  expectLength(u, 32, 'x25519 public value');
  const uInt = bytesToBigintLE(u);
  if (uInt >= P25519) throw new OmegaError('NON_CANONICAL', 'x25519 u-coordinate is not reduced');
  if ((uInt + 1n) % P25519 === 0n) throw new OmegaError('NOT_ON_CURVE', 'u = -1 has no Edwards image');
  const y = ((uInt - 1n + P25519) * powMod(uInt + 1n, P25519 - 2n, P25519)) % P25519;
  let lifted: EdPoint;
  try {
    lifted = ed25519.Point.fromBytes(bigintToBytesLE(y, 32));
  } catch (cause) {
    throw new OmegaError('NOT_ON_CURVE', 'x25519 u-coordinate is on the twist, not on curve25519', { cause });
  }
  const cleared = lifted.clearCofactor();
  if (cleared.is0()) {
    throw new OmegaError('WRONG_SUBGROUP', 'x25519 value of small order (X25519 would output all zeros)');
  }
  const projected = cleared.multiplyUnsafe(ED25519.field.inv(8n));
  // Invariant: the projection lies in the prime-order subgroup (the strict decoder re-checks it).
  return ED25519.decode(projected.toBytes());
}

/** The Montgomery u-coordinate (32 bytes) of an edwards25519 point (RFC 7748 §4.1). */
export function montgomeryFromEdwards(point: EdPoint): Uint8Array {
  return ed25519.utils.toMontgomery(ED25519.encode(point));
}
