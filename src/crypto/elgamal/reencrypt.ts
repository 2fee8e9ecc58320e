/**
 * Re-encryption of decryption shares to a requester's transport key — the non-pairing analogue of
 * vetKD (research/protocol-design.md §7.1 "Private delivery" option 2; ARCHITECTURE.md D8c).
 *
 * The requester holds a transport key pair (t, T = t·G) and names T in its (signed) request. Replica i,
 * holding x_i with PK_i = x_i·G, picks a fresh ρ_i and returns
 *
 *   P_i  = ρ_i·G
 *   D'_i = x_i·R + ρ_i·T
 *
 * with a proof of the linear relations  PK_i = x_i·G  ∧  P_i = ρ_i·G  ∧  D'_i = x_i·R + ρ_i·T.
 * Anyone (a gateway, another replica, the requester) verifies the proofs and combines homomorphically
 * over a canonical subset: D' = Σ λ_i·D'_i = x·R + ρ·T and P = Σ λ_i·P_i = ρ·G (ρ = Σ λ_i ρ_i). Only the
 * holder of t obtains x·R = D' − t·P; to everyone else x_i·R and x·R stay hidden behind ρ_i·T (CDH).
 *
 * The proof is a Maurer Σ-protocol for the group homomorphism (Maurer, "Unifying Zero-Knowledge Proofs
 * of Knowledge", AFRICACRYPT 2009):
 *
 *   φ : Z_q² → 𝔾³,  φ(a, b) = (a·G, b·G, a·R + b·T),   statement Y = (PK_i, P_i, D'_i) = φ(x_i, ρ_i)
 *
 *   prover:    k = (k1, k2) random;  A = φ(k);  c = H(ctx, G, R, T, Y, A);  z = k + c·(x_i, ρ_i)
 *   verifier:  A' = φ(z) − c·Y;  accept iff c = H(ctx, G, R, T, Y, A')
 *
 * Special soundness: two accepting transcripts (A, c, z), (A, c', z') give (x_i, ρ_i) = (z − z')/(c − c');
 * honest-verifier ZK: simulate with z, c random and A = φ(z) − c·Y. Fiat–Shamir hashes every public
 * value and the full context (key id, epoch, request id, requester, target, replica index, T).
 * This is a straightforward composition, not a published standard: it must be reviewed before
 * production use (as the research note says); the tests check completeness, soundness against each
 * single-relation forgery, and context binding.
 *
 * Encoding of a proof: c ‖ z1 ‖ z2 (3 canonical scalars, 96 bytes on 32-byte-scalar groups).
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { decodeAll, encodeWith } from '../../codec.js';
import { OmegaError } from '../../errors.js';
import { concatBytes, lengthPrefixed, u32be, utf8 } from '../bytes.js';
import type { ShareIndex } from '../field.js';
import { shareIndex } from '../field.js';
import type { Group, PointLike } from '../group.js';
import { withEncodingCache } from './encoding-cache.js';
import { lagrangeCoefficients } from '../poly.js';
import type { RandomSource } from '../rand.js';
import type { DecryptionContext, PublicShares } from './shares.js';
import { SHARE_ENCODING_VERSION, contextSessionId, lookupPublicShare, selectVerified } from './shares.js';

/** Proof of the three linear relations (challenge and two responses). */
export interface LinearProof {
  readonly c: bigint;
  readonly z1: bigint;
  readonly z2: bigint;
}

/** A re-encrypted decryption share from replica `index`. */
export interface ReencryptedShare<P> {
  readonly index: ShareIndex;
  /** D'_i = x_i·R + ρ_i·T. */
  readonly value: P;
  /** P_i = ρ_i·G. */
  readonly ephemeral: P;
  readonly proof: LinearProof;
}

/** Where the share is evaluated, for whom, and in answer to what. */
export interface ReencryptionStatement<P> {
  /** R: the validated ciphertext component. */
  readonly base: P;
  /** T: the requester's transport public key, from its authenticated request. */
  readonly transportKey: P;
  readonly ctx: DecryptionContext;
  /** What R belongs to (the ciphertext id). */
  readonly target: Uint8Array;
}

function challenge<P extends PointLike<P>>(
  group: Group<P>,
  st: ReencryptionStatement<P>,
  index: number,
  Y: readonly [P, P, P],
  A: readonly [P, P, P],
): bigint {
  const sessionId = contextSessionId('reencryption-share', st.ctx, utf8(group.name), st.target);
  const transcript = lengthPrefixed(
    utf8('omega/proof/linear-reencryption/v1'),
    sessionId,
    u32be(index),
    group.encode(group.generator),
    group.encode(st.base),
    group.encode(st.transportKey),
    ...Y.map((p) => group.encode(p)),
    ...A.map((p) => (group.isIdentity(p) ? new Uint8Array(0) : group.encode(p))),
  );
  return group.field.fromWideBytes(sha512(transcript));
}

function nonce<P extends PointLike<P>>(
  group: Group<P>,
  secret: bigint,
  transcript: Uint8Array,
  rng: RandomSource,
): bigint {
  // Hedged nonce (as in proofs.ts): fresh randomness, the secret and the statement.
  for (;;) {
    const k = group.field.fromWideBytes(
      sha512(
        lengthPrefixed(
          utf8('omega/proof/linear-reencryption/nonce/v1'),
          rng(32),
          group.field.encode(secret),
          transcript,
        ),
      ),
    );
    if (k !== 0n) return k;
  }
}

function checkStatement<P extends PointLike<P>>(group: Group<P>, st: ReencryptionStatement<P>): void {
  if (group.isIdentity(st.base)) throw new OmegaError('IDENTITY_POINT', 'decryption base is the identity');
  if (group.isIdentity(st.transportKey))
    throw new OmegaError('IDENTITY_POINT', 'transport key is the identity');
}

/**
 * Replica: the re-encrypted share and its proof. As for plain shares, the caller must have validated the
 * ciphertext (and authorized the requester) first.
 */
export function createReencryptedShare<P extends PointLike<P>>(
  group: Group<P>,
  params: { readonly index: number; readonly secretShare: bigint; readonly publicShare?: P },
  st: ReencryptionStatement<P>,
  rng: RandomSource,
): ReencryptedShare<P> {
  group = withEncodingCache(group);
  const index = shareIndex(params.index);
  checkStatement(group, st);
  const F = group.field;
  const x = params.secretShare;
  if (x === 0n || !F.isValid(x)) throw new OmegaError('OUT_OF_RANGE', 'secret share out of range');
  const rho = F.random(rng);
  const PK = params.publicShare ?? group.mulBase(x);
  const ephemeral = group.mulBase(rho);
  const value = group.add(group.mul(st.base, x), group.mul(st.transportKey, rho));
  const Y = [PK, ephemeral, value] as const;
  const seed = concatBytes(
    ...Y.map((p) => group.encode(p)),
    group.encode(st.base),
    group.encode(st.transportKey),
  );
  const k1 = nonce(group, x, seed, rng);
  const k2 = nonce(group, rho, seed, rng);
  const A = [
    group.mulBase(k1),
    group.mulBase(k2),
    group.add(group.mul(st.base, k1), group.mul(st.transportKey, k2)),
  ] as const;
  const c = challenge(group, st, index, Y, A);
  return { index, value, ephemeral, proof: { c, z1: F.add(k1, F.mul(c, x)), z2: F.add(k2, F.mul(c, rho)) } };
}

/** True iff the proof verifies against PK_i in this statement. */
export function verifyReencryptedShare<P extends PointLike<P>>(
  group: Group<P>,
  publicShare: P,
  share: ReencryptedShare<P>,
  st: ReencryptionStatement<P>,
): boolean {
  group = withEncodingCache(group);
  const F = group.field;
  const { c, z1, z2 } = share.proof;
  if (!F.isValid(c) || !F.isValid(z1) || !F.isValid(z2)) return false;
  if (group.isIdentity(st.base) || group.isIdentity(st.transportKey)) return false;
  for (const p of [publicShare, share.ephemeral, share.value]) if (group.isIdentity(p)) return false;
  // A' = φ(z) − c·Y
  const A1 = group.sub(group.mulPublic(group.generator, z1), group.mulPublic(publicShare, c));
  const A2 = group.sub(group.mulPublic(group.generator, z2), group.mulPublic(share.ephemeral, c));
  const A3 = group.sub(
    group.add(group.mulPublic(st.base, z1), group.mulPublic(st.transportKey, z2)),
    group.mulPublic(share.value, c),
  );
  return challenge(group, st, share.index, [publicShare, share.ephemeral, share.value], [A1, A2, A3]) === c;
}

/** The combination D' = Σ λ_i·D'_i and P = Σ λ_i·P_i, with the subset used and the culprits. */
export interface CombinedReencryption<P> {
  readonly value: P;
  readonly ephemeral: P;
  readonly subset: readonly ShareIndex[];
  readonly culprits: readonly number[];
}

/**
 * Anyone (gateway or requester): verifies shares in index order until t+1 are valid, names the bad ones
 * and combines. Throws BAD_PARTIAL / NOT_ENOUGH_SHARES as `selectVerified` does.
 */
export function combineReencryptedShares<P extends PointLike<P>>(
  group: Group<P>,
  params: {
    readonly threshold: number;
    readonly publicShares: PublicShares<P>;
    readonly shares: readonly ReencryptedShare<P>[];
  },
  st: ReencryptionStatement<P>,
): CombinedReencryption<P> {
  group = withEncodingCache(group);
  const { chosen, culprits } = selectVerified(params.shares, params.threshold, (share) => {
    const pk = lookupPublicShare(params.publicShares, share.index);
    return pk !== undefined && verifyReencryptedShare(group, pk, share, st);
  });
  const subset = chosen.map((s) => s.index);
  const lambdas = lagrangeCoefficients(group.field, subset);
  return {
    value: group.msm(
      chosen.map((s) => s.value),
      lambdas,
    ),
    ephemeral: group.msm(
      chosen.map((s) => s.ephemeral),
      lambdas,
    ),
    subset,
    culprits,
  };
}

/** Requester: x·R = D' − t·P with its transport secret t. */
export function openReencrypted<P extends PointLike<P>>(
  group: Group<P>,
  transportSecret: bigint,
  combined: { readonly value: P; readonly ephemeral: P },
): P {
  group = withEncodingCache(group);
  return group.sub(combined.value, group.mul(combined.ephemeral, transportSecret));
}

/**
 * Encoding: version (u8 = 1) ‖ index (u8) ‖ D'_i ‖ P_i ‖ c ‖ z1 ‖ z2 — 162 bytes on ristretto255.
 */
export function encodeReencryptedShare<P extends PointLike<P>>(
  group: Group<P>,
  share: ReencryptedShare<P>,
): Uint8Array {
  group = withEncodingCache(group);
  const F = group.field;
  return encodeWith(share, (w, s) => {
    w.u8(SHARE_ENCODING_VERSION);
    w.u8(s.index);
    w.fixed(group.encode(s.value), group.elementLength);
    w.fixed(group.encode(s.ephemeral), group.elementLength);
    w.fixed(F.encode(s.proof.c), F.byteLength);
    w.fixed(F.encode(s.proof.z1), F.byteLength);
    w.fixed(F.encode(s.proof.z2), F.byteLength);
  });
}

/** Strict decoder: exact length, version, index, subgroup-checked non-identity points, canonical scalars. */
export function decodeReencryptedShare<P extends PointLike<P>>(
  group: Group<P>,
  bytes: Uint8Array,
): ReencryptedShare<P> {
  group = withEncodingCache(group);
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'expected bytes');
  const F = group.field;
  const expected = 2 + 2 * group.elementLength + 3 * F.byteLength;
  if (bytes.length !== expected) {
    throw new OmegaError(
      'INVALID_LENGTH',
      `re-encrypted share must be ${expected} bytes, got ${bytes.length}`,
    );
  }
  return decodeAll(bytes, (r) => {
    const version = r.u8();
    if (version !== SHARE_ENCODING_VERSION) {
      throw new OmegaError('UNSUPPORTED_VERSION', `unknown re-encrypted share version ${version}`);
    }
    const index = shareIndex(r.u8());
    const value = group.decode(r.fixed(group.elementLength));
    const ephemeral = group.decode(r.fixed(group.elementLength));
    const scalar = () => F.decode(r.fixed(F.byteLength), { allowZero: true });
    const c = scalar();
    const z1 = scalar();
    const z2 = scalar();
    return { index, value, ephemeral, proof: { c, z1, z2 } };
  });
}
