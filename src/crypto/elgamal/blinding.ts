/**
 * Blinded threshold decryption on elliptic curves (Omega §5.2, "To hide α^z mod p, the client blinds
 * α"; ARCHITECTURE.md D8a; research/protocol-design.md §7.1 "Private delivery" option 1).
 *
 * The requester is authorized to learn M = x·R for a ciphertext component R but wants no replica,
 * gateway or eavesdropper to learn M. It picks a random b and sends
 *
 *   R' = R + b·G   with a Schnorr proof of knowledge of b for the point R' − R,
 *
 * bound to the request (key id, epoch, request id, requester) and to R and R'. Replicas check the proof,
 * then return D_i = x_i·R' with the usual DLEQ proofs (`shares.ts`); the requester combines x·R' and
 * unblinds
 *
 *   x·R = x·R' − b·PK.
 *
 * Anyone else who sees x·R' learns x·R + b·PK, which is uniformly distributed to them because b is.
 *
 * Why the proof is mandatory — the blinding-as-oracle attack (§7.2): without it, an attacker A who is
 * authorized for ciphertext R_A could send R' = R_V for a victim's ciphertext R_V, claiming it is "R_A
 * blinded by b", and the service would compute x·R_V for A. With the proof, A must know log_G(R' − R_A);
 * for R' = R_V + b·G that is r_V − r_A + b, which needs r_V, the victim's encryption randomness. The
 * proof is bound to the request and the requester, so a proof observed for another request cannot be
 * replayed. Omega §5.2 used the multiplicative α^v; the additive form is used here because its proof is
 * a plain Schnorr proof on the generator and unblinding needs no inversion.
 */
import type { Group, PointLike } from '../group.js';
import { withEncodingCache } from './encoding-cache.js';
import { OmegaError } from '../../errors.js';
import type { Proof, ProofContext } from '../proofs.js';
import { decodeProof, encodeProof, proveSchnorr, verifySchnorr } from '../proofs.js';
import type { RandomSource } from '../rand.js';
import type { Combined, DecryptionContext, DecryptionShare, PublicShares, ShareStatement } from './shares.js';
import {
  SHARE_ENCODING_VERSION,
  combineDecryptionShares,
  contextSessionId,
  createDecryptionShare,
} from './shares.js';
import { concatBytes, utf8 } from '../bytes.js';

/** What the requester sends: the blinded base R' and its proof of knowledge of b = log_G(R' − R). */
export interface BlindingRequest<P> {
  readonly blinded: P;
  readonly proof: Proof;
}

/** Kept by the requester only: the blinding factor b. Never sent, logged or persisted. */
export interface BlindingSecret {
  readonly b: bigint;
}

function blindingProofContext<P extends PointLike<P>>(
  group: Group<P>,
  base: P,
  blinded: P,
  ctx: DecryptionContext,
  target: Uint8Array,
): ProofContext {
  return {
    sessionId: contextSessionId(
      'blinding-request',
      ctx,
      utf8(group.name),
      target,
      group.encode(base),
      group.encode(blinded),
    ),
    purpose: 'elgamal/blinding-pok',
  };
}

/**
 * Requester: blinds R. `target` is what R belongs to (the ciphertext id), as the replicas will see it.
 *
 * @example
 * const { request, secret } = blind(RISTRETTO255, ct.R, ctx, ciphertextId(ct), rng);
 * // ... send request; collect replica shares on request.blinded; then
 * const M = unblind(RISTRETTO255, servicePublicKey, combined.value, secret);
 */
export function blind<P extends PointLike<P>>(
  group: Group<P>,
  base: P,
  ctx: DecryptionContext,
  target: Uint8Array,
  rng: RandomSource,
): { readonly request: BlindingRequest<P>; readonly secret: BlindingSecret } {
  group = withEncodingCache(group);
  if (group.isIdentity(base)) throw new OmegaError('IDENTITY_POINT', 'cannot blind the identity');
  for (;;) {
    const b = group.field.random(rng);
    const blinded = group.add(base, group.mulBase(b));
    // R' = identity would need b = −log_G(R): negligible, but never send the identity.
    if (group.isIdentity(blinded)) continue;
    const proof = proveSchnorr(group, b, blindingProofContext(group, base, blinded, ctx, target), rng);
    return { request: { blinded, proof }, secret: { b } };
  }
}

/**
 * Replica: refuses (BAD_PROOF) a blinding request whose proof of knowledge of log_G(R' − R) does not
 * verify in this context. R is the authorized ciphertext's component, taken from the replicated state,
 * never from the request.
 */
export function verifyBlindingRequest<P extends PointLike<P>>(
  group: Group<P>,
  base: P,
  request: BlindingRequest<P>,
  ctx: DecryptionContext,
  target: Uint8Array,
): void {
  group = withEncodingCache(group);
  if (group.isIdentity(request.blinded)) {
    throw new OmegaError('IDENTITY_POINT', 'blinded base is the identity');
  }
  const delta = group.sub(request.blinded, base);
  const ok =
    !group.isIdentity(delta) &&
    verifySchnorr(
      group,
      delta,
      request.proof,
      blindingProofContext(group, base, request.blinded, ctx, target),
    );
  if (!ok) {
    throw new OmegaError(
      'BAD_PROOF',
      'blinding request refused: no valid proof that the requester knows the blinding factor',
    );
  }
}

/** The share statement for a blinded request: base R', target bound to R's target. */
export function blindedStatement<P extends PointLike<P>>(
  request: BlindingRequest<P>,
  ctx: DecryptionContext,
  target: Uint8Array,
): ShareStatement<P> {
  return { base: request.blinded, ctx, target };
}

/**
 * Replica: verifies the blinding request, then returns x_i·R' with a DLEQ proof. The check is inside
 * this function so that no code path produces a share on an unproven R'.
 */
export function createBlindedDecryptionShare<P extends PointLike<P>>(
  group: Group<P>,
  base: P,
  request: BlindingRequest<P>,
  params: { readonly index: number; readonly secretShare: bigint; readonly publicShare?: P },
  ctx: DecryptionContext,
  target: Uint8Array,
  rng: RandomSource,
): DecryptionShare<P> {
  group = withEncodingCache(group);
  verifyBlindingRequest(group, base, request, ctx, target);
  return createDecryptionShare(group, params, blindedStatement(request, ctx, target), rng);
}

/** Requester: verifies and combines the shares on R' (attributing bad ones) into x·R'. */
export function combineBlindedShares<P extends PointLike<P>>(
  group: Group<P>,
  request: BlindingRequest<P>,
  params: {
    readonly threshold: number;
    readonly publicShares: PublicShares<P>;
    readonly shares: readonly DecryptionShare<P>[];
  },
  ctx: DecryptionContext,
  target: Uint8Array,
): Combined<P> {
  group = withEncodingCache(group);
  return combineDecryptionShares(group, params, blindedStatement(request, ctx, target));
}

/** Requester: x·R = x·R' − b·PK. */
export function unblind<P extends PointLike<P>>(
  group: Group<P>,
  publicKey: P,
  blindedResult: P,
  secret: BlindingSecret,
): P {
  group = withEncodingCache(group);
  return group.sub(blindedResult, group.mul(publicKey, secret.b));
}

/**
 * Encoding of a blinding request: version (u8 = 1) ‖ R' (group element) ‖ c ‖ z — 97 bytes on
 * ristretto255.
 */
export function encodeBlindingRequest<P extends PointLike<P>>(
  group: Group<P>,
  request: BlindingRequest<P>,
): Uint8Array {
  group = withEncodingCache(group);
  return concatBytes(
    new Uint8Array([SHARE_ENCODING_VERSION]),
    group.encode(request.blinded),
    encodeProof(group, request.proof),
  );
}

/** Strict decoder: exact length, version, subgroup-checked non-identity R', canonical scalars. */
export function decodeBlindingRequest<P extends PointLike<P>>(
  group: Group<P>,
  bytes: Uint8Array,
): BlindingRequest<P> {
  group = withEncodingCache(group);
  const expected = 1 + group.elementLength + 2 * group.field.byteLength;
  if (!(bytes instanceof Uint8Array) || bytes.length !== expected) {
    throw new OmegaError('INVALID_LENGTH', `blinding request must be ${expected} bytes`);
  }
  if (bytes[0] !== SHARE_ENCODING_VERSION) {
    throw new OmegaError('UNSUPPORTED_VERSION', `unknown blinding request version ${bytes[0]}`);
  }
  const blinded = group.decode(bytes.subarray(1, 1 + group.elementLength));
  return { blinded, proof: decodeProof(group, bytes.subarray(1 + group.elementLength)) };
}
