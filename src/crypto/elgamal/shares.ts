/**
 * Threshold decryption shares with Chaum–Pedersen DLEQ proofs, over any prime-order {@link Group}
 * (research/protocol-design.md §7.1 "Decryption shares"; Shoup–Gennaro TDH2, J. Cryptology 2002, §4).
 *
 * The decryption key x is Shamir-shared: replica i holds x_i = f(i) and its public share PK_i = x_i·G is
 * public (from the DKG or escrow commitments). For a base point R (a ciphertext's R = r·G, or a blinded
 * R' — see `blinding.ts`), replica i returns
 *
 *   D_i = x_i·R   with a DLEQ proof that log_G(PK_i) = log_R(D_i),
 *
 * and any t+1 verified shares combine to x·R = Σ λ_i·D_i, the Lagrange coefficients λ_i computed over the
 * canonical (sorted) subset of the indices used (`src/crypto/poly.ts`).
 *
 * Every proof is bound to a {@link DecryptionContext} — key id, epoch, request id, requester — and to the
 * target (ciphertext id or blinded-request digest) and the replica's index, so a share made for one
 * request, epoch or requester never verifies for another (research/protocol-design.md §7.2 "Replay of
 * decryption requests across epochs").
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeAll, encodeWith } from '../../codec.js';
import type { Reader, Writer } from '../../codec.js';
import { OmegaError } from '../../errors.js';
import { lengthPrefixed, u64be, utf8 } from '../bytes.js';
import type { ShareIndex } from '../field.js';
import { shareIndex } from '../field.js';
import type { Group, PointLike } from '../group.js';
import { withEncodingCache } from './encoding-cache.js';
import { lagrangeCoefficients } from '../poly.js';
import type { Proof, ProofContext } from '../proofs.js';
import { decodeProof, encodeProof, proveDleq, verifyDleq } from '../proofs.js';
import type { RandomSource } from '../rand.js';

/** The largest byte length of each identifier in a {@link DecryptionContext}. */
export const MAX_CONTEXT_FIELD_BYTES = 256;

/** Version byte of the encodings in this module and in `reencrypt.ts`. */
export const SHARE_ENCODING_VERSION = 1;

/**
 * What every decryption share, blinding proof and re-encryption proof is bound to. The state machine
 * fills it from the ordered request, so every replica derives the same one.
 */
export interface DecryptionContext {
  /** Which shared key decrypts: the service key id, or an escrow id (≤ 256 bytes). */
  readonly keyId: Uint8Array;
  /** The epoch whose shares are used (shares are refreshed each epoch; §7.2 "Partial shares"). */
  readonly epoch: bigint | number;
  /** The ordered request this answers (≤ 256 bytes). */
  readonly requestId: Uint8Array;
  /** The authenticated principal who asked (its public key bytes, ≤ 256 bytes). */
  readonly requester: Uint8Array;
}

function checkField(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ARGUMENT', `${what} must be bytes`);
  if (bytes.length > MAX_CONTEXT_FIELD_BYTES) {
    throw new OmegaError('LIMIT_EXCEEDED', `${what} exceeds ${MAX_CONTEXT_FIELD_BYTES} bytes`);
  }
}

/**
 * The 32-byte session id of a proof: SHA-256 over the domain tag, the kind of proof, the context and
 * the target, each length-prefixed so no two different field lists collide.
 */
export function contextSessionId(
  kind: string,
  ctx: DecryptionContext,
  ...target: readonly Uint8Array[]
): Uint8Array {
  checkField(ctx.keyId, 'keyId');
  checkField(ctx.requestId, 'requestId');
  checkField(ctx.requester, 'requester');
  return sha256(
    lengthPrefixed(
      utf8('omega/elgamal/context/v1'),
      utf8(kind),
      ctx.keyId,
      u64be(ctx.epoch),
      ctx.requestId,
      ctx.requester,
      ...target,
    ),
  );
}

/** A decryption share D_i = x_i·R from replica `index`, with its DLEQ proof. */
export interface DecryptionShare<P> {
  readonly index: ShareIndex;
  readonly value: P;
  readonly proof: Proof;
}

/** Where a share is evaluated and what it answers. */
export interface ShareStatement<P> {
  /** The base point R (ciphertext component or blinded R'). Must not be the identity. */
  readonly base: P;
  readonly ctx: DecryptionContext;
  /** What R belongs to: the ciphertext id, or the blinded request's digest. */
  readonly target: Uint8Array;
}

function shareProofContext<P extends PointLike<P>>(
  group: Group<P>,
  st: ShareStatement<P>,
  index: number,
): ProofContext {
  return {
    sessionId: contextSessionId('decryption-share', st.ctx, utf8(group.name), st.target),
    purpose: 'elgamal/decryption-share',
    dealer: index,
  };
}

/**
 * Replica side: D_i = x_i·R with a DLEQ proof. The caller must have validated R's ciphertext first
 * (`validateCiphertext` in `tdh2.ts`, or `verifyBlindingRequest`): producing a share for an unvalidated
 * base is exactly the decryption oracle TDH2 exists to prevent.
 */
export function createDecryptionShare<P extends PointLike<P>>(
  group: Group<P>,
  params: { readonly index: number; readonly secretShare: bigint; readonly publicShare?: P },
  st: ShareStatement<P>,
  rng: RandomSource,
): DecryptionShare<P> {
  group = withEncodingCache(group);
  const index = shareIndex(params.index);
  if (group.isIdentity(st.base)) throw new OmegaError('IDENTITY_POINT', 'decryption base is the identity');
  const publicShare = params.publicShare ?? group.mulBase(params.secretShare);
  const value = group.mul(st.base, params.secretShare);
  const proof = proveDleq(
    group,
    params.secretShare,
    { G: group.generator, A: publicShare, H: st.base, B: value },
    shareProofContext(group, st, index),
    rng,
  );
  return { index, value, proof };
}

/** True iff the share's DLEQ proof verifies against `publicShare` = PK_i in this statement. */
export function verifyDecryptionShare<P extends PointLike<P>>(
  group: Group<P>,
  publicShare: P,
  share: DecryptionShare<P>,
  st: ShareStatement<P>,
): boolean {
  group = withEncodingCache(group);
  return verifyDleq(
    group,
    { G: group.generator, A: publicShare, H: st.base, B: share.value },
    share.proof,
    shareProofContext(group, st, share.index),
  );
}

/** Public shares by index: a map, or a function (e.g. `publicShare(group, commitments, i)` from vss). */
export type PublicShares<P> = ReadonlyMap<number, P> | ((index: ShareIndex) => P | undefined);

export function lookupPublicShare<P>(publicShares: PublicShares<P>, index: ShareIndex): P | undefined {
  return typeof publicShares === 'function' ? publicShares(index) : publicShares.get(index);
}

/** The result of combining: the value, the canonical subset used, and who sent bad shares. */
export interface Combined<P> {
  readonly value: P;
  readonly subset: readonly ShareIndex[];
  /** Indices whose shares were examined and failed verification (or had no public share). */
  readonly culprits: readonly number[];
}

/**
 * Verifies every share offered (each sender of a bad one is named: STYLE.md practice 5), then chooses
 * the canonical subset of the t+1 lowest valid indices. Duplicates of an index after a valid one are
 * ignored (a valid share for an index is unique: its proof pins it). A caller that wants to spend no
 * more than t+1 verifications passes shares as they arrive, t+1 at a time.
 *
 * @throws BAD_PARTIAL (with culprits) when fewer than t+1 shares verify and some were bad;
 *   NOT_ENOUGH_SHARES when fewer than t+1 were offered.
 */
export function selectVerified<S extends { readonly index: ShareIndex }>(
  shares: readonly S[],
  threshold: number,
  verify: (share: S) => boolean,
): { readonly chosen: S[]; readonly culprits: number[] } {
  if (!Number.isInteger(threshold) || threshold < 0) {
    throw new OmegaError('INVALID_ARGUMENT', `threshold must be a non-negative integer, got ${threshold}`);
  }
  const sorted = [...shares].sort((a, b) => a.index - b.index);
  const culprits = new Set<number>();
  const valid: S[] = [];
  for (const share of sorted) {
    shareIndex(share.index);
    if (valid.length > 0 && valid[valid.length - 1]!.index === share.index) continue;
    if (verify(share)) valid.push(share);
    else culprits.add(share.index);
  }
  const chosen = valid.slice(0, threshold + 1);
  const blamed = [...culprits].filter((i) => !valid.some((s) => s.index === i)).sort((a, b) => a - b);
  if (chosen.length < threshold + 1) {
    if (blamed.length > 0) {
      throw new OmegaError(
        'BAD_PARTIAL',
        `only ${chosen.length} of the t+1 = ${threshold + 1} needed shares verify; bad: ${blamed.join(', ')}`,
        { culprits: blamed },
      );
    }
    throw new OmegaError(
      'NOT_ENOUGH_SHARES',
      `need t+1 = ${threshold + 1} shares, got ${chosen.length} distinct`,
    );
  }
  return { chosen, culprits: blamed };
}

/**
 * Combines decryption shares into x·R: verifies them (attributing bad ones), picks the canonical subset
 * of the t+1 lowest valid indices and returns Σ λ_i·D_i. Any such subset gives the same value.
 */
export function combineDecryptionShares<P extends PointLike<P>>(
  group: Group<P>,
  params: {
    readonly threshold: number;
    readonly publicShares: PublicShares<P>;
    readonly shares: readonly DecryptionShare<P>[];
  },
  st: ShareStatement<P>,
): Combined<P> {
  group = withEncodingCache(group);
  const { chosen, culprits } = selectVerified(params.shares, params.threshold, (share) => {
    const pk = lookupPublicShare(params.publicShares, share.index);
    return pk !== undefined && verifyDecryptionShare(group, pk, share, st);
  });
  const subset = chosen.map((s) => s.index);
  const lambdas = lagrangeCoefficients(group.field, subset);
  const value = group.msm(
    chosen.map((s) => s.value),
    lambdas,
  );
  return { value, subset, culprits };
}

function writeShare<P extends PointLike<P>>(group: Group<P>, w: Writer, share: DecryptionShare<P>): void {
  w.u8(SHARE_ENCODING_VERSION);
  w.u8(share.index);
  w.fixed(group.encode(share.value), group.elementLength);
  w.fixed(encodeProof(group, share.proof), 2 * group.field.byteLength);
}

function readShare<P extends PointLike<P>>(group: Group<P>, r: Reader): DecryptionShare<P> {
  const version = r.u8();
  if (version !== SHARE_ENCODING_VERSION) {
    throw new OmegaError('UNSUPPORTED_VERSION', `unknown decryption share version ${version}`);
  }
  const index = shareIndex(r.u8());
  const value = group.decode(r.fixed(group.elementLength));
  const proof = decodeProof(group, r.fixed(2 * group.field.byteLength));
  return { index, value, proof };
}

/**
 * Encoding of a decryption share: version (u8 = 1) ‖ index (u8) ‖ D_i (group element) ‖ c ‖ z —
 * 1 + 1 + 32 + 64 = 98 bytes on ristretto255.
 */
export function encodeDecryptionShare<P extends PointLike<P>>(
  group: Group<P>,
  share: DecryptionShare<P>,
): Uint8Array {
  group = withEncodingCache(group);
  return encodeWith(share, (w, s) => writeShare(group, w, s));
}

/** Strict decoder: exact length, known version, index in 1..255, subgroup-checked non-identity point. */
export function decodeDecryptionShare<P extends PointLike<P>>(
  group: Group<P>,
  bytes: Uint8Array,
): DecryptionShare<P> {
  group = withEncodingCache(group);
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'expected bytes');
  const expected = 2 + group.elementLength + 2 * group.field.byteLength;
  if (bytes.length !== expected) {
    throw new OmegaError('INVALID_LENGTH', `decryption share must be ${expected} bytes, got ${bytes.length}`);
  }
  return decodeAll(bytes, (r) => readShare(group, r));
}
