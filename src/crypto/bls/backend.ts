/**
 * One byte-level interface for BLS12-381 with interchangeable implementations (ARCHITECTURE.md D4):
 * `@noble/curves` (the audited pure-JS reference) and `mcl-wasm` (herumi's mcl compiled to WebAssembly,
 * about 7× faster here; see docs/crypto.md "BLS backends" for the numbers behind the choice).
 *
 * Every input and output is bytes in the ZCash compressed encoding (48-byte G1, 96-byte G2) and every
 * scalar is a bigint in [0, r), so the two backends can be swapped, compared byte for byte in
 * differential tests, and called across `worker_threads` without the caller changing. The algorithm
 * around the curve arithmetic — input checks, error codes, caching, the compound operations — is written
 * once here against {@link PointOps} (noble-curves' "one algorithm, many curves"), so the backends differ
 * only in arithmetic and cannot drift apart in what they accept.
 *
 * Contract of every decoder (draft-irtf-cfrg-bls-signature §2.5 KeyValidate, §5.3 subgroup checks),
 * applied in this order, each with its stable code: exact length (INVALID_LENGTH), flags
 * (INVALID_ENCODING), x < p (NON_CANONICAL), on the curve (NOT_ON_CURVE), in the prime-order subgroup
 * (WRONG_SUBGROUP), not the identity unless allowed (IDENTITY_POINT).
 *
 * Pure: no I/O, no clock, no randomness. The only state is a bounded cache of validated G2 points
 * (public keys and public shares are long-lived and verified against again and again; a G2 subgroup
 * check costs 0.5 ms in mcl and 4 ms in noble). G1 inputs — signatures arriving from other replicas —
 * are validated on every call.
 */
import { OmegaError } from '../../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import type { BlsGroupName } from './encoding.js';
import { checkCompressedStructure, checkDst, checkMessage, checkScalar, isList } from './encoding.js';

/** Names of the available backends. */
export type BlsBackendName = 'noble' | 'mcl';

/** A G1 and a G2 element (encoded) whose pairing enters a product. */
export type PairingInput = readonly [g1: Uint8Array, g2: Uint8Array];

/**
 * BLS12-381 operations on encoded elements. All methods are synchronous and deterministic; all throw
 * {@link OmegaError} with a stable code on malformed input (see the module comment).
 */
export interface BlsBackend {
  readonly name: BlsBackendName;
  /** The G2 generator (draft-irtf-cfrg-pairing-friendly-curves-11 §4.2.1), 96 bytes. */
  readonly g2Generator: Uint8Array;

  /** RFC 9380 §3 hash_to_curve into G1 (suite BLS12381G1_XMD:SHA-256_SSWU_RO_, §8.8.1) under `dst`. */
  hashToG1(this: void, message: Uint8Array, dst: Uint8Array): Uint8Array;
  /** CoreSign (draft-irtf-cfrg-bls-signature §2.6): sk·H(m), constant-time in sk ∈ [1, r). */
  signG1(this: void, message: Uint8Array, dst: Uint8Array, secretKey: bigint): Uint8Array;
  /**
   * CoreVerify (§2.7) with signatures in G1: subgroup-checks the signature, KeyValidates the public key
   * (§2.5), then checks e(σ, g2) == e(H(m), PK) as one product of two pairings. False for a
   * well-formed signature that does not verify; throws for malformed encodings.
   */
  verifyG1(
    this: void,
    publicKey: Uint8Array,
    message: Uint8Array,
    dst: Uint8Array,
    signature: Uint8Array,
  ): boolean;
  /**
   * Same-message batch verification with a random linear combination (Bellare–Garay–Rabin; the
   * aggregate check of draft §2.9 with weights): e(Σ ρ_i σ_i, g2) == e(H(m), Σ ρ_i PK_i). With
   * independent 128-bit ρ_i a batch containing a bad signature passes with probability ≤ 2^-128.
   */
  batchVerifyG1(
    this: void,
    publicKeys: readonly Uint8Array[],
    message: Uint8Array,
    dst: Uint8Array,
    signatures: readonly Uint8Array[],
    weights: readonly bigint[],
  ): boolean;
  /**
   * Which signatures (positions, ascending) are malformed or do not verify under their public key, all
   * on one message: {@link batchVerifyG1} on the whole set, bisected on failure, with H(m) computed and
   * every input decoded once. `knownBad` skips the first check of the whole set (the caller already
   * knows it fails). Throws if a *public key* is malformed: that is the caller's data, not a signer's.
   */
  findInvalidG1(
    this: void,
    publicKeys: readonly Uint8Array[],
    message: Uint8Array,
    dst: Uint8Array,
    signatures: readonly Uint8Array[],
    weights: readonly bigint[],
    options?: { knownBad?: boolean },
  ): number[];
  /**
   * Σ s_i·σ_i then CoreVerify of the result against `publicKey`, in one call so the combined point is
   * not re-encoded and re-validated. Used by threshold combination (Lagrange weights).
   */
  combineVerifyG1(
    this: void,
    signatures: readonly Uint8Array[],
    scalars: readonly bigint[],
    publicKey: Uint8Array,
    message: Uint8Array,
    dst: Uint8Array,
  ): { readonly signature: Uint8Array; readonly valid: boolean };

  /** s·P in G1, constant-time in s ∈ [0, r) (s = 0 gives the identity). */
  g1Mul(this: void, point: Uint8Array, scalar: bigint): Uint8Array;
  /** s·Q in G2, constant-time in s. */
  g2Mul(this: void, point: Uint8Array, scalar: bigint): Uint8Array;
  /** s·g2: SkToPk of the min-sig variant (§2.4). */
  g2MulBase(this: void, scalar: bigint): Uint8Array;
  /** Σ s_i·P_i in G1 with *public* scalars (variable time); identity allowed in the result. */
  g1Lincomb(this: void, points: readonly Uint8Array[], scalars: readonly bigint[]): Uint8Array;
  /** Σ s_i·Q_i in G2 with public scalars. */
  g2Lincomb(this: void, points: readonly Uint8Array[], scalars: readonly bigint[]): Uint8Array;
  /** −P in G1. */
  g1Neg(this: void, point: Uint8Array): Uint8Array;
  /** −Q in G2. */
  g2Neg(this: void, point: Uint8Array): Uint8Array;
  /**
   * Π e(P_i, Q_i) == 1 in GT, computed as one multi-Miller loop and one final exponentiation. Identity
   * inputs are allowed (their pairing is 1). The generic check of pairing-based protocols (IBE, vetKD).
   */
  pairingProductIsOne(this: void, pairs: readonly PairingInput[]): boolean;

  /** Validates a G1 encoding (see the module comment); throws on any defect. */
  validateG1(this: void, bytes: Uint8Array, options?: { allowIdentity?: boolean }): void;
  /** Validates a G2 encoding (KeyValidate for public keys when the identity is not allowed). */
  validateG2(this: void, bytes: Uint8Array, options?: { allowIdentity?: boolean }): void;
}

/**
 * The arithmetic a backend supplies; {@link makeBackend} builds the byte-level {@link BlsBackend} on top.
 * `parse` receives bytes that passed {@link checkCompressedStructure} and must throw OmegaError
 * NOT_ON_CURVE or WRONG_SUBGROUP (and nothing else) for a point it cannot accept.
 */
export interface PointOps<P1, P2> {
  readonly name: BlsBackendName;
  readonly g2Generator: P2;
  readonly g1Parse: (bytes: Uint8Array) => P1;
  readonly g2Parse: (bytes: Uint8Array) => P2;
  readonly g1Encode: (p: P1) => Uint8Array;
  readonly g2Encode: (p: P2) => Uint8Array;
  readonly g1IsIdentity: (p: P1) => boolean;
  readonly g2IsIdentity: (p: P2) => boolean;
  readonly hashToG1: (message: Uint8Array, dst: Uint8Array) => P1;
  /** Constant-time multiplication by a secret scalar in [0, r). */
  readonly g1MulSecret: (p: P1, s: bigint) => P1;
  readonly g2MulSecret: (p: P2, s: bigint) => P2;
  /** Multi-scalar multiplication with public scalars in [0, r); non-empty inputs of equal length. */
  readonly g1Msm: (points: readonly P1[], scalars: readonly bigint[]) => P1;
  readonly g2Msm: (points: readonly P2[], scalars: readonly bigint[]) => P2;
  readonly g1Neg: (p: P1) => P1;
  readonly g2Neg: (p: P2) => P2;
  /** Π e(P_i, Q_i) == 1 (non-empty). */
  readonly pairingProductIsOne: (pairs: readonly (readonly [P1, P2])[]) => boolean;
}

/** Bound on the validated-G2 cache (entries); a public key plus public shares of a 255-member committee fit. */
export const G2_CACHE_ENTRIES = 1024;

/** Largest number of terms in one linear combination or pairing product (a 255-member committee × 2). */
export const MAX_TERMS = 512;

/** Builds the byte-level backend from a backend's arithmetic. */
export function makeBackend<P1, P2>(ops: PointOps<P1, P2>): BlsBackend {
  const g2Cache = new Map<string, P2>();
  const negG2 = ops.g2Neg(ops.g2Generator);

  const decodeG1 = (bytes: Uint8Array, allowIdentity: boolean): P1 =>
    decodeWith(bytes, 'G1', allowIdentity, ops.g1Parse, ops.g1Encode);
  const decodeG2 = (bytes: Uint8Array, allowIdentity: boolean): P2 => {
    const key = bytes instanceof Uint8Array && bytes.length === 96 ? toHex(bytes) : undefined;
    if (key !== undefined) {
      const hit = g2Cache.get(key);
      if (hit !== undefined) {
        // Refresh recency (Map iteration order is insertion order: the first key is the oldest).
        g2Cache.delete(key);
        g2Cache.set(key, hit);
        if (!allowIdentity && ops.g2IsIdentity(hit)) {
          throw new OmegaError('IDENTITY_POINT', 'G2: identity element not allowed');
        }
        return hit;
      }
    }
    const p = decodeWith(bytes, 'G2', true, ops.g2Parse, ops.g2Encode);
    if (key !== undefined) {
      if (g2Cache.size >= G2_CACHE_ENTRIES) g2Cache.delete(g2Cache.keys().next().value!);
      g2Cache.set(key, p);
    }
    if (!allowIdentity && ops.g2IsIdentity(p)) {
      throw new OmegaError('IDENTITY_POINT', 'G2: identity element not allowed');
    }
    return p;
  };

  const hash = (message: Uint8Array, dst: Uint8Array): P1 => {
    checkMessage(message);
    checkDst(dst);
    return ops.hashToG1(message, dst);
  };

  const checkTerms = (points: readonly unknown[], scalars: readonly unknown[]): void => {
    if (!isList(points) || !isList(scalars)) {
      throw new OmegaError('INVALID_ARGUMENT', 'points and scalars must be arrays');
    }
    const n = points.length;
    if (n !== scalars.length)
      throw new OmegaError('INVALID_ARGUMENT', `${n} points but ${scalars.length} scalars`);
    if (n === 0) throw new OmegaError('INVALID_ARGUMENT', 'empty linear combination');
    if (n > MAX_TERMS) throw new OmegaError('LIMIT_EXCEEDED', `more than ${MAX_TERMS} terms`);
  };

  const coreVerify = (pk: P2, hm: P1, sig: P1): boolean =>
    ops.pairingProductIsOne([
      [sig, negG2],
      [hm, pk],
    ]);

  const backend: BlsBackend = {
    name: ops.name,
    g2Generator: ops.g2Encode(ops.g2Generator),
    hashToG1: (message, dst) => ops.g1Encode(hash(message, dst)),
    signG1: (message, dst, secretKey) => {
      checkScalar(secretKey, 'secret key', true);
      return ops.g1Encode(ops.g1MulSecret(hash(message, dst), secretKey));
    },
    verifyG1: (publicKey, message, dst, signature) => {
      const pk = decodeG2(publicKey, false);
      const sig = decodeG1(signature, false);
      return coreVerify(pk, hash(message, dst), sig);
    },
    batchVerifyG1: (publicKeys, message, dst, signatures, weights) => {
      checkTerms(signatures, weights);
      checkTerms(publicKeys, weights);
      for (const w of weights) checkScalar(w, 'batch weight', true);
      const pks = publicKeys.map((b) => decodeG2(b, false));
      const sigs = signatures.map((b) => decodeG1(b, false));
      return coreVerify(ops.g2Msm(pks, weights), hash(message, dst), ops.g1Msm(sigs, weights));
    },
    findInvalidG1: (publicKeys, message, dst, signatures, weights, options) => {
      checkTerms(signatures, weights);
      checkTerms(publicKeys, weights);
      for (const w of weights) checkScalar(w, 'batch weight', true);
      const pks = publicKeys.map((b) => decodeG2(b, false));
      const hm = hash(message, dst);
      const bad: number[] = [];
      const live: { position: number; sig: P1; pk: P2; weight: bigint }[] = [];
      signatures.forEach((b, position) => {
        try {
          live.push({ position, sig: decodeG1(b, false), pk: pks[position]!, weight: weights[position]! });
        } catch (e) {
          if (!(e instanceof OmegaError)) throw e;
          bad.push(position);
        }
      });
      const check = (lo: number, hi: number, skip: boolean): void => {
        if (!skip) {
          const slice = live.slice(lo, hi);
          const w = slice.map((x) => x.weight);
          const sigma = ops.g1Msm(
            slice.map((x) => x.sig),
            w,
          );
          const pk = ops.g2Msm(
            slice.map((x) => x.pk),
            w,
          );
          if (coreVerify(pk, hm, sigma)) return;
        }
        if (hi - lo === 1) {
          bad.push(live[lo]!.position);
          return;
        }
        const mid = (lo + hi) >>> 1;
        check(lo, mid, false);
        check(mid, hi, false);
      };
      // A known-bad set is split straight away, unless malformed inputs already explain the failure.
      if (live.length > 0)
        check(0, live.length, options?.knownBad === true && bad.length === 0 && live.length > 1);
      return bad.sort((x, y) => x - y);
    },
    combineVerifyG1: (signatures, scalars, publicKey, message, dst) => {
      checkTerms(signatures, scalars);
      for (const s of scalars) checkScalar(s, 'combination scalar');
      const pk = decodeG2(publicKey, false);
      const sigs = signatures.map((b) => decodeG1(b, false));
      const combined = ops.g1Msm(sigs, scalars);
      // An identity result is never a valid signature (§2.7 rejects it via the subgroup/identity checks).
      const valid = !ops.g1IsIdentity(combined) && coreVerify(pk, hash(message, dst), combined);
      return { signature: ops.g1Encode(combined), valid };
    },
    g1Mul: (point, scalar) => {
      checkScalar(scalar, 'G1 scalar');
      return ops.g1Encode(ops.g1MulSecret(decodeG1(point, true), scalar));
    },
    g2Mul: (point, scalar) => {
      checkScalar(scalar, 'G2 scalar');
      return ops.g2Encode(ops.g2MulSecret(decodeG2(point, true), scalar));
    },
    g2MulBase: (scalar) => {
      checkScalar(scalar, 'G2 scalar');
      return ops.g2Encode(ops.g2MulSecret(ops.g2Generator, scalar));
    },
    g1Lincomb: (points, scalars) => {
      checkTerms(points, scalars);
      for (const s of scalars) checkScalar(s, 'G1 scalar');
      return ops.g1Encode(
        ops.g1Msm(
          points.map((b) => decodeG1(b, true)),
          scalars,
        ),
      );
    },
    g2Lincomb: (points, scalars) => {
      checkTerms(points, scalars);
      for (const s of scalars) checkScalar(s, 'G2 scalar');
      return ops.g2Encode(
        ops.g2Msm(
          points.map((b) => decodeG2(b, true)),
          scalars,
        ),
      );
    },
    g1Neg: (point) => ops.g1Encode(ops.g1Neg(decodeG1(point, true))),
    g2Neg: (point) => ops.g2Encode(ops.g2Neg(decodeG2(point, true))),
    pairingProductIsOne: (pairs) => {
      if (!isList(pairs) || !pairs.every((pair) => isList(pair) && pair.length === 2)) {
        throw new OmegaError('INVALID_ARGUMENT', 'pairs must be an array of [G1, G2] pairs');
      }
      if (pairs.length === 0) throw new OmegaError('INVALID_ARGUMENT', 'empty pairing product');
      if (pairs.length > MAX_TERMS) throw new OmegaError('LIMIT_EXCEEDED', `more than ${MAX_TERMS} pairs`);
      const decoded: (readonly [P1, P2])[] = [];
      for (const [p, q] of pairs) {
        const pair = [decodeG1(p, true), decodeG2(q, true)] as const;
        // e(O, Q) = e(P, O) = 1: identity pairs drop out of the product (and never reach the library).
        if (!ops.g1IsIdentity(pair[0]) && !ops.g2IsIdentity(pair[1])) decoded.push(pair);
      }
      return decoded.length === 0 || ops.pairingProductIsOne(decoded);
    },
    validateG1: (bytes, options) => {
      decodeG1(bytes, options?.allowIdentity === true);
    },
    validateG2: (bytes, options) => {
      decodeG2(bytes, options?.allowIdentity === true);
    },
  };
  return Object.freeze(backend);
}

/**
 * The strict decoder every backend shares: {@link checkCompressedStructure}, the identity rule, the
 * library's `parse` (curve and subgroup), then a re-encoding check. Exported for adapters built on a
 * backend's {@link PointOps} (the IBE's `src/crypto/ibe/curve-mcl.ts`) so they reject malformed input
 * with exactly the same codes.
 */
export function decodeWith<P>(
  bytes: Uint8Array,
  group: BlsGroupName,
  allowIdentity: boolean,
  parse: (b: Uint8Array) => P,
  encode: (p: P) => Uint8Array,
): P {
  const isIdentity = checkCompressedStructure(bytes, group);
  if (isIdentity && !allowIdentity) {
    throw new OmegaError('IDENTITY_POINT', `${group}: identity element not allowed`);
  }
  const p = parse(bytes);
  // Defence in depth: the structural check already pins the encoding down, so a library that decoded
  // to a different element than these bytes name is a bug we refuse to build on.
  if (!equalBytes(encode(p), bytes)) {
    throw new OmegaError('NON_CANONICAL', `${group}: non-canonical point encoding`);
  }
  return p;
}
