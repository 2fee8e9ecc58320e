/**
 * Threshold BLS signatures, min-sig variant: signatures in G1 (48 B), public keys in G2 (96 B), basic
 * scheme with ciphersuite `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`
 * (draft-irtf-cfrg-bls-signature §2.6–2.8, §3.1, §4.2.1; research/protocol-design.md §4).
 *
 * The secret key s is Shamir-shared with Feldman commitments C_k = a_k·g2 (src/crypto/vss.ts, dealt
 * in G2): party i holds s_i = f(i) and its public share is PK_i = Σ_k C_k·i^k = s_i·g2. Party i's
 * partial signature on m is σ_i = s_i·H(m) (CoreSign with s_i); it verifies as a plain BLS signature
 * under PK_i. Any t+1 partials combine by Lagrange interpolation in the exponent,
 * σ = Σ λ_i·σ_i = s·H(m), which is *byte-identical* to the plain BLS signature of s — so any standard
 * BLS verifier (noble, blst, drand clients) checks it against PK = C_0.
 *
 * Combining is optimistic (research/protocol-design.md §4.3): interpolate a canonical subset (the t+1
 * lowest indices), verify once, and only if that fails (or a partial there does not decode) verify all
 * the partials — batched with a random linear combination and bisected — to name the senders of bad
 * ones, then interpolate the t+1 lowest good ones. Partials beyond the first t+1 are not examined on
 * the fast path, so `excluded` lists bad senders only when the slow path ran.
 *
 * Wire format of a partial: u16 big-endian share index (1-based, x = index) || 48-byte signature.
 * Unlike drand's `SigShare` (0-based index, x = index + 1) the index *is* the evaluation point.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { OmegaError, invariant } from '../../errors.js';
import { bytesToBigintBE, concatBytes, expectLength, lengthPrefixed, u16be, u32be, utf8 } from '../bytes.js';
import type { ShareIndex } from '../field.js';
import { MAX_SHARE_INDEX, makeScalarField, shareIndex } from '../field.js';
import { lagrangeCoefficients } from '../poly.js';
import type { RandomSource } from '../rand.js';
import type { SecretShare } from '../vss.js';
import type { BlsBackend } from './backend.js';
import { BLS12_381_R, BLS_SIG_DST, G1_BYTES, G2_BYTES, checkMessage, isList } from './encoding.js';

/** The scalar field Z/rZ of BLS12-381 (shares, Lagrange coefficients). */
export const BLS_FR = makeScalarField(BLS12_381_R, 32, 'be');

/** Bytes of an encoded partial signature: u16 index || 48-byte G1 point. */
export const PARTIAL_BYTES = 2 + G1_BYTES;

/** Party `index`'s signature share σ_i = s_i·H(m). */
export interface PartialSignature {
  readonly index: ShareIndex;
  /** 48-byte compressed G1 point. */
  readonly signature: Uint8Array;
}

/** The public side of a dealt (or DKG-generated) threshold key. */
export interface ThresholdPublicKey {
  /** t: any t+1 partials combine, t reveal nothing. */
  readonly threshold: number;
  /** PK = C_0 = s·g2, 96 bytes. */
  readonly publicKey: Uint8Array;
  /** PK_i = s_i·g2 for i = 1..n, at position i-1 (96 bytes each). */
  readonly publicShares: readonly Uint8Array[];
}

/** The outcome of {@link combine}. */
export interface CombineResult {
  /** The threshold signature, 48 bytes, identical to the plain BLS signature under the shared key. */
  readonly signature: Uint8Array;
  /** The t+1 share indices whose partials were interpolated (ascending). */
  readonly signers: readonly ShareIndex[];
  /** Senders of partials found bad (malformed or not verifying) and left out; empty on the fast path. */
  readonly excluded: readonly number[];
}

/** Encodes a partial as u16be(index) || signature. */
export function encodePartial(partial: PartialSignature): Uint8Array {
  checkPartialList([partial]);
  expectLength(partial.signature, G1_BYTES, 'partial signature');
  return concatBytes(u16be(shareIndex(partial.index)), partial.signature);
}

/**
 * Decodes and fully validates an encoded partial: exact length, index in 1..255, and a signature that
 * is a canonical, non-identity point of the G1 subgroup. Throws the corresponding typed error.
 */
export function decodePartial(backend: BlsBackend, bytes: Uint8Array): PartialSignature {
  expectLength(bytes, PARTIAL_BYTES, 'encoded partial signature');
  const index = shareIndex((bytes[0]! << 8) | bytes[1]!);
  const signature = bytes.slice(2);
  backend.validateG1(signature);
  return { index, signature };
}

/**
 * Derives the threshold public key from Feldman commitments in G2 (as dealt by
 * `deal(G2, ...)` and encoded with `G2.encode`): PK = C_0 and PK_i = Σ_k C_k·i^k for i = 1..n.
 * Throws BAD_COMMITMENTS unless there are exactly t+1 valid, non-identity commitments.
 */
export function thresholdKeyFromCommitments(
  backend: BlsBackend,
  commitments: readonly Uint8Array[],
  params: { threshold: number; parties: number },
): ThresholdPublicKey {
  if (typeof params !== 'object' || params === null) {
    throw new OmegaError('INVALID_ARGUMENT', 'params must be { threshold, parties }');
  }
  if (!isList(commitments)) throw new OmegaError('BAD_COMMITMENTS', 'commitments must be an array');
  const { threshold: t, parties: n } = params;
  if (!Number.isInteger(t) || !Number.isInteger(n) || t < 0 || t >= n) {
    throw new OmegaError('INVALID_ARGUMENT', `need 0 <= t < n, got t=${t}, n=${n}`);
  }
  shareIndex(n);
  if (commitments.length !== t + 1) {
    throw new OmegaError(
      'BAD_COMMITMENTS',
      `expected exactly t+1 = ${t + 1} commitments, got ${commitments.length}`,
    );
  }
  for (const c of commitments) {
    try {
      backend.validateG2(c);
    } catch (cause) {
      throw new OmegaError('BAD_COMMITMENTS', 'a commitment is not a valid non-identity G2 point', { cause });
    }
  }
  const publicShares: Uint8Array[] = [];
  for (let i = 1; i <= n; i++) {
    const powers: bigint[] = [];
    let power = 1n;
    for (let k = 0; k <= t; k++) {
      powers.push(power);
      power = BLS_FR.mul(power, BigInt(i));
    }
    publicShares.push(backend.g2Lincomb(commitments, powers));
  }
  return { threshold: t, publicKey: commitments[0]!, publicShares };
}

/**
 * Party i's partial signature σ_i = s_i·H(m) (CoreSign §2.6 with the share as key).
 *
 * @example
 * const partial = partialSign(bls, dealing.shares[0], message);
 * const wire = encodePartial(partial); // 50 bytes
 */
export function partialSign(backend: BlsBackend, share: SecretShare, message: Uint8Array): PartialSignature {
  if (typeof share !== 'object' || share === null)
    throw new OmegaError('INVALID_ARGUMENT', 'share must be an object');
  const index = shareIndex(share.index);
  return { index, signature: backend.signG1(message, BLS_SIG_DST, share.value) };
}

/** True iff σ_i verifies under PK_i: e(σ_i, g2) == e(H(m), PK_i). Throws on malformed encodings. */
export function verifyPartial(
  backend: BlsBackend,
  publicShare: Uint8Array,
  message: Uint8Array,
  partial: PartialSignature,
): boolean {
  checkPartialList([partial]);
  shareIndex(partial.index);
  return backend.verifyG1(publicShare, message, BLS_SIG_DST, partial.signature);
}

/** Verifies a (threshold or plain) BLS signature: CoreVerify §2.7. Throws on malformed encodings. */
export function verify(
  backend: BlsBackend,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  return backend.verifyG1(publicKey, message, BLS_SIG_DST, signature);
}

/**
 * Verifies many partials on one message at once and returns the indices of the bad ones (ascending):
 * malformed (wrong length, off the curve, outside the subgroup, identity) or not verifying. One batch
 * check e(Σ ρ_i σ_i, g2) == e(H(m), Σ ρ_i PK_i) costs two pairings; a failing set is bisected
 * (`BlsBackend.findInvalidG1`), so b bad partials among k cost O(b log k) batch checks, with H(m)
 * computed and every partial decoded once. The 128-bit weights ρ_i come from `rng` if given, otherwise from SHA-256 over the
 * whole batch (Fiat–Shamir: they are fixed only after every partial is, so a sender cannot aim its
 * error at them).
 *
 * Throws (blaming no sender) if the key itself is malformed: a public share used here must be a valid
 * non-identity G2 point.
 */
export function findBadPartials(
  backend: BlsBackend,
  key: ThresholdPublicKey,
  message: Uint8Array,
  partials: readonly PartialSignature[],
  rng?: RandomSource,
): number[] {
  return badPartials(backend, key, message, partials, rng, false);
}

/** {@link findBadPartials}; `knownBad` skips the check of the whole set when a failure is already known. */
function badPartials(
  backend: BlsBackend,
  key: ThresholdPublicKey,
  message: Uint8Array,
  partials: readonly PartialSignature[],
  rng: RandomSource | undefined,
  knownBad: boolean,
): number[] {
  checkMessage(message);
  checkKey(backend, key);
  checkPartialList(partials);
  const bad: number[] = [];
  const candidates: PartialSignature[] = [];
  for (const p of partials) {
    backend.validateG2(publicShareOf(key, shareIndex(p.index)));
    if (p.signature instanceof Uint8Array && p.signature.length === G1_BYTES) candidates.push(p);
    else bad.push(p.index);
  }
  if (candidates.length > 0) {
    const positions = backend.findInvalidG1(
      candidates.map((p) => publicShareOf(key, p.index)),
      message,
      BLS_SIG_DST,
      candidates.map((p) => p.signature),
      batchWeights(key, message, candidates, rng),
      { knownBad: knownBad && bad.length === 0 },
    );
    for (const k of positions) bad.push(candidates[k]!.index);
  }
  return bad.sort((x, y) => x - y);
}

/**
 * Combines partial signatures on `message` into the threshold signature (see the module comment).
 *
 * - Partials must come from distinct senders: a repeated index throws INVALID_ARGUMENT naming it.
 * - An index outside 1..n throws OUT_OF_RANGE (the caller binds partials to authenticated senders).
 * - Fewer than t+1 partials in total: NOT_ENOUGH_SHARES.
 * - Bad partials (malformed or not verifying) are left out and reported in `excluded`; if fewer than
 *   t+1 good ones remain, BAD_PARTIAL is thrown with `culprits` = the senders of the bad ones.
 *
 * @example
 * const { signature } = combine(bls, key, message, partials);
 * verify(bls, key.publicKey, message, signature); // true
 */
export function combine(
  backend: BlsBackend,
  key: ThresholdPublicKey,
  message: Uint8Array,
  partials: readonly PartialSignature[],
  options: { rng?: RandomSource } = {},
): CombineResult {
  checkMessage(message);
  const t = checkKey(backend, key);
  const n = key.publicShares.length;
  checkPartialList(partials);
  const seen = new Set<number>();
  for (const p of partials) {
    const i = shareIndex(p.index);
    if (i > n) throw new OmegaError('OUT_OF_RANGE', `partial index ${i} exceeds the committee size ${n}`);
    if (seen.has(i)) {
      throw new OmegaError('INVALID_ARGUMENT', `two partials claim index ${i}`, { culprits: [i] });
    }
    seen.add(i);
  }
  if (partials.length < t + 1) {
    throw new OmegaError('NOT_ENOUGH_SHARES', `need t+1 = ${t + 1} partials, got ${partials.length}`);
  }

  // Canonical order (research/protocol-design.md §2.3): every combiner interpolates the same subset.
  const sorted = [...partials].sort((a, b) => a.index - b.index);

  // Fast path: interpolate the t+1 lowest indices and verify the result once. The key and message
  // were validated above, so any decoding error here comes from a partial: take the slow path.
  try {
    const first = tryCombine(backend, key, message, sorted.slice(0, t + 1));
    if (first !== undefined) return { ...first, excluded: [] };
  } catch (e) {
    if (!(e instanceof OmegaError)) throw e;
  }

  // Slow path: name the bad partials, then combine the t+1 lowest good ones.
  // The failed fast path only proves something is wrong among the first t+1 (or in the key), so the
  // whole set is still checked from the top; the saving of `knownBad` applies when the subset is all.
  const excluded = badPartials(backend, key, message, sorted, options.rng, sorted.length === t + 1);
  const good = sorted.filter((p) => !excluded.includes(p.index));
  if (good.length < t + 1) {
    throw new OmegaError(
      'BAD_PARTIAL',
      `only ${good.length} of ${partials.length} partials are valid, need t+1 = ${t + 1}`,
      { culprits: excluded },
    );
  }
  // With every partial verifying under its public share, a failing interpolation means the public
  // shares do not interpolate to the public key: the key material is inconsistent, no sender is at fault.
  const second = excluded.length === 0 ? undefined : tryCombine(backend, key, message, good.slice(0, t + 1));
  if (second === undefined) {
    throw new OmegaError('BAD_COMMITMENTS', 'public shares are inconsistent with the public key');
  }
  return { ...second, excluded };
}

function tryCombine(
  backend: BlsBackend,
  key: ThresholdPublicKey,
  message: Uint8Array,
  subset: readonly PartialSignature[],
): { signature: Uint8Array; signers: ShareIndex[] } | undefined {
  const signers = subset.map((p) => p.index);
  const lambdas = lagrangeCoefficients(BLS_FR, signers);
  const { signature, valid } = backend.combineVerifyG1(
    subset.map((p) => p.signature),
    lambdas,
    key.publicKey,
    message,
    BLS_SIG_DST,
  );
  return valid ? { signature, signers } : undefined;
}

function checkKey(backend: BlsBackend, key: ThresholdPublicKey): number {
  if (typeof key !== 'object' || key === null || !isList(key.publicShares)) {
    throw new OmegaError('INVALID_ARGUMENT', 'key must be { threshold, publicKey, publicShares[] }');
  }
  const t = key.threshold;
  if (!Number.isInteger(t) || t < 0) throw new OmegaError('INVALID_ARGUMENT', `bad threshold ${t}`);
  if (key.publicShares.length < t + 1 || key.publicShares.length > MAX_SHARE_INDEX) {
    throw new OmegaError(
      'INVALID_ARGUMENT',
      `need t+1..${MAX_SHARE_INDEX} public shares, got ${key.publicShares.length}`,
    );
  }
  expectLength(key.publicKey, G2_BYTES, 'public key');
  backend.validateG2(key.publicKey); // KeyValidate (§2.5); cached after the first call
  return t;
}

/** Throws INVALID_ARGUMENT unless `partials` is an array of objects (the fields are checked where used). */
function checkPartialList(partials: readonly PartialSignature[]): void {
  if (!isList(partials)) throw new OmegaError('INVALID_ARGUMENT', 'partials must be an array');
  for (const p of partials as unknown[]) {
    if (typeof p !== 'object' || p === null)
      throw new OmegaError('INVALID_ARGUMENT', 'a partial is not an object');
  }
}

function publicShareOf(key: ThresholdPublicKey, index: number): Uint8Array {
  const pk = key.publicShares[index - 1];
  if (pk === undefined) throw new OmegaError('OUT_OF_RANGE', `no public share for index ${index}`);
  return pk;
}

const WEIGHTS_TAG = utf8('omega/bls-batch-weights/v1');

function batchWeights(
  key: ThresholdPublicKey,
  message: Uint8Array,
  partials: readonly PartialSignature[],
  rng: RandomSource | undefined,
): bigint[] {
  if (rng !== undefined) return partials.map(() => weight(rng(16)));
  const seed = sha256(
    lengthPrefixed(
      WEIGHTS_TAG,
      key.publicKey,
      message,
      ...partials.flatMap((p) => [u16be(p.index), publicShareOf(key, p.index), p.signature]),
    ),
  );
  return partials.map((_, k) => weight(sha256(concatBytes(seed, u32be(k))).slice(0, 16)));
}

/** A non-zero 128-bit weight from 16 bytes. */
function weight(bytes: Uint8Array): bigint {
  invariant(bytes.length === 16, 'batch weights are 128-bit');
  const rho = bytesToBigintBE(bytes);
  return rho === 0n ? 1n : rho;
}
