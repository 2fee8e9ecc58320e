/**
 * Non-interactive zero-knowledge proofs with full context binding:
 *
 * - Schnorr proof of knowledge of x for X = x·G (rogue-key protection in the DKG and in escrow;
 *   FROST KeyGen's `proof_of_knowledge`, ZF frost `dkg.rs`).
 * - Chaum–Pedersen DLEQ proof that log_G(A) = log_H(B) (decryption shares, complaint disclosures;
 *   the transcript follows the spirit of RFC 9497 §2.2: every public value is hashed).
 *
 * Both are Fiat–Shamir transformed. The challenge hashes a {@link ProofContext} — session id, purpose,
 * dealer and receiver — so a proof made for one session, purpose or pair of parties never verifies in
 * another (research/protocol-design.md §2.3 "Domain separation"). Encoding: challenge c and response z as
 * two canonical scalars, c || z (64 bytes for the 32-byte-scalar groups).
 *
 * Nonces are hedged: k = H(tag, fresh randomness, the secret, the transcript), so a weak random source
 * alone does not leak the secret (RFC 9591 §4.1 uses the same construction for FROST nonces).
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { OmegaError } from '../errors.js';
import { concatBytes, lengthPrefixed, u32be, utf8 } from './bytes.js';
import type { ScalarField } from './field.js';
import type { Group, GroupName, PointLike } from './group.js';
import type { RandomSource } from './rand.js';

/** What a proof is bound to. Every field is hashed into the challenge. */
export interface ProofContext {
  /** The protocol session (DKG session id, request id, ...). */
  readonly sessionId: Uint8Array;
  /** What the proof is for, e.g. 'dkg/deal-pok' or 'elgamal/decryption-share'. */
  readonly purpose: string;
  /** The proving party (dealer, replica), 0 if none. */
  readonly dealer?: number;
  /** The party the proof concerns (receiver of a share), 0 if none. */
  readonly receiver?: number;
}

/** A proof: Fiat–Shamir challenge and response. */
export interface Proof {
  readonly c: bigint;
  readonly z: bigint;
}

function contextBytes(kind: string, groupName: string, ctx: ProofContext): Uint8Array {
  return lengthPrefixed(
    utf8(`omega/proof/${kind}/v1`),
    utf8(groupName),
    ctx.sessionId,
    utf8(ctx.purpose),
    u32be(ctx.dealer ?? 0),
    u32be(ctx.receiver ?? 0),
  );
}

function hashToScalar<P extends PointLike<P>>(group: Group<P>, ...parts: Uint8Array[]): bigint {
  return group.field.fromWideBytes(sha512(lengthPrefixed(...parts)));
}

function hedgedNonce<P extends PointLike<P>>(
  group: Group<P>,
  secret: bigint,
  transcript: Uint8Array,
  rng: RandomSource,
): bigint {
  for (;;) {
    const k = hashToScalar(
      group,
      utf8('omega/proof/nonce/v1'),
      rng(32),
      group.field.encode(secret),
      transcript,
    );
    if (k !== 0n) return k;
  }
}

/** Proves knowledge of x with X = x·G, bound to `ctx`. */
export function proveSchnorr<P extends PointLike<P>>(
  group: Group<P>,
  secret: bigint,
  ctx: ProofContext,
  rng: RandomSource,
): Proof {
  const F = group.field;
  if (secret === 0n || !F.isValid(secret))
    throw new OmegaError('OUT_OF_RANGE', 'Schnorr secret out of range');
  const X = group.mulBase(secret);
  const base = concatBytes(contextBytes('schnorr', group.name, ctx), group.encode(X));
  const k = hedgedNonce(group, secret, base, rng);
  const R = group.mulBase(k);
  const c = hashToScalar(group, base, group.encode(R));
  return { c, z: F.add(k, F.mul(c, secret)) };
}

/**
 * The hedged Schnorr nonce for proving knowledge of `secret` behind the encoded statement `X`, exactly as
 * {@link proveSchnorr} derives it. Exported with {@link schnorrChallenge} for provers that do their point
 * arithmetic in another backend (the DKG's G2 proofs run on mcl through `BlsBackend`): the transcript is
 * byte-identical, so such proofs verify with {@link verifySchnorr} and vice versa.
 */
export function schnorrNonce(
  group: { readonly name: GroupName; readonly field: ScalarField },
  secret: bigint,
  ctx: ProofContext,
  X: Uint8Array,
  rng: RandomSource,
): bigint {
  const F = group.field;
  if (secret === 0n || !F.isValid(secret))
    throw new OmegaError('OUT_OF_RANGE', 'Schnorr secret out of range');
  const base = concatBytes(contextBytes('schnorr', group.name, ctx), X);
  for (;;) {
    const k = F.fromWideBytes(
      sha512(lengthPrefixed(utf8('omega/proof/nonce/v1'), rng(32), F.encode(secret), base)),
    );
    if (k !== 0n) return k;
  }
}

/** The Fiat–Shamir challenge of a Schnorr proof over encoded X and R (see {@link schnorrNonce}). */
export function schnorrChallenge(
  group: { readonly name: GroupName; readonly field: ScalarField },
  ctx: ProofContext,
  X: Uint8Array,
  R: Uint8Array,
): bigint {
  const base = concatBytes(contextBytes('schnorr', group.name, ctx), X);
  return group.field.fromWideBytes(sha512(lengthPrefixed(base, R)));
}

/** Verifies a Schnorr proof of knowledge of log_G(X) in context `ctx`. X must be non-identity. */
export function verifySchnorr<P extends PointLike<P>>(
  group: Group<P>,
  X: P,
  proof: Proof,
  ctx: ProofContext,
): boolean {
  const F = group.field;
  if (group.isIdentity(X) || !F.isValid(proof.c) || !F.isValid(proof.z)) return false;
  // R' = z·G − c·X
  const R = group.sub(group.mulBase(proof.z), group.mulPublic(X, proof.c));
  if (group.isIdentity(R)) return false;
  const base = concatBytes(contextBytes('schnorr', group.name, ctx), group.encode(X));
  return hashToScalar(group, base, group.encode(R)) === proof.c;
}

/** The statement of a DLEQ proof: A = x·G and B = x·H. */
export interface DleqStatement<P> {
  /** First base (usually the group generator). */
  readonly G: P;
  readonly A: P;
  /** Second base. */
  readonly H: P;
  readonly B: P;
}

function dleqBase<P extends PointLike<P>>(
  group: Group<P>,
  st: DleqStatement<P>,
  ctx: ProofContext,
): Uint8Array {
  return concatBytes(
    contextBytes('dleq', group.name, ctx),
    lengthPrefixed(group.encode(st.G), group.encode(st.A), group.encode(st.H), group.encode(st.B)),
  );
}

/** Proves log_G(A) = log_H(B) = x, bound to `ctx`. */
export function proveDleq<P extends PointLike<P>>(
  group: Group<P>,
  secret: bigint,
  st: DleqStatement<P>,
  ctx: ProofContext,
  rng: RandomSource,
): Proof {
  const F = group.field;
  if (secret === 0n || !F.isValid(secret)) throw new OmegaError('OUT_OF_RANGE', 'DLEQ secret out of range');
  const base = dleqBase(group, st, ctx);
  const k = hedgedNonce(group, secret, base, rng);
  const R1 = group.mul(st.G, k);
  const R2 = group.mul(st.H, k);
  const c = hashToScalar(group, base, group.encode(R1), group.encode(R2));
  return { c, z: F.add(k, F.mul(c, secret)) };
}

/** Verifies a DLEQ proof. Every statement element must be non-identity. */
export function verifyDleq<P extends PointLike<P>>(
  group: Group<P>,
  st: DleqStatement<P>,
  proof: Proof,
  ctx: ProofContext,
): boolean {
  const F = group.field;
  if (!F.isValid(proof.c) || !F.isValid(proof.z)) return false;
  for (const p of [st.G, st.A, st.H, st.B]) if (group.isIdentity(p)) return false;
  const R1 = group.sub(group.mulPublic(st.G, proof.z), group.mulPublic(st.A, proof.c));
  const R2 = group.sub(group.mulPublic(st.H, proof.z), group.mulPublic(st.B, proof.c));
  if (group.isIdentity(R1) || group.isIdentity(R2)) return false;
  return hashToScalar(group, dleqBase(group, st, ctx), group.encode(R1), group.encode(R2)) === proof.c;
}

/** Encodes a proof as c || z (canonical scalars). */
export function encodeProof<P extends PointLike<P>>(group: Group<P>, proof: Proof): Uint8Array {
  return concatBytes(group.field.encode(proof.c), group.field.encode(proof.z));
}

/** Strictly decodes c || z: exact length, canonical scalars (zero allowed: a verifier rejects it). */
export function decodeProof<P extends PointLike<P>>(group: Group<P>, bytes: Uint8Array): Proof {
  const L = group.field.byteLength;
  if (!(bytes instanceof Uint8Array) || bytes.length !== 2 * L) {
    throw new OmegaError('INVALID_LENGTH', `proof must be ${2 * L} bytes`);
  }
  return {
    c: group.field.decode(bytes.subarray(0, L), { allowZero: true }),
    z: group.field.decode(bytes.subarray(L), { allowZero: true }),
  };
}
