/**
 * The secret side of a DKG participant, as pure functions of (session state, own secrets): building its
 * EPOCH_KEY and DEAL bodies, finding the candidates whose share to it is bad (and building complaints
 * against them), and deriving its three final shares. The replica calls these; it keeps its epoch secret
 * key and the derived shares in its sealed store, and erases the epoch key after the epoch (forward
 * secrecy of the transcripts, research/protocol-design.md §2.3).
 *
 * Shares are a deterministic function of (log, epoch secret): a restarted replica recomputes them from a
 * restored session with {@link deriveShares}; no share is ever sent to it (issue 6 "Restart without
 * transfer of secrets").
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, lengthPrefixed, u32be, utf8 } from '../../../crypto/bytes.js';
import { ED25519, RISTRETTO255 } from '../../../crypto/group.js';
import type { RandomSource } from '../../../crypto/rand.js';
import { deterministicRandom } from '../../../crypto/rand.js';
import type { EpochKeyPair, ShareRecipient } from '../../../crypto/share-encryption.js';
import { decryptShare, disclosePairwiseKey, encryptShares } from '../../../crypto/share-encryption.js';
import { OmegaError, isOmegaError } from '../../../errors.js';
import type { DkgKeyName } from './messages.js';
import { DKG_KEYS, encodeComplaint, encodeDeal, encodeEpochKey } from './messages.js';
import type { CheckedDeal, DealPolynomials, KeyShares } from './deal.js';
import {
  badKeyShares,
  commitKey,
  dealEncryptionContext,
  keyField,
  parseSharePlaintext,
  pokContext,
  proveKey,
  randomDealPolynomials,
  sharePlaintext,
} from './deal.js';
import type { DkgSession } from './session.js';

/** A participant's final shares s_j = Σ_{i∈QUAL} f_i(j) of the three keys. Secret: store sealed only. */
export interface DkgShares {
  readonly index: number;
  readonly signing: bigint;
  readonly ibe: bigint;
  readonly certificate: bigint;
}

function checkMe(session: DkgSession, me: number): void {
  if (!Number.isInteger(me) || me < 1 || me > session.params.committee.length) {
    throw new OmegaError('DKG_NOT_MEMBER', `${me} is not a member of the committee`);
  }
}

/** The body of this replica's EPOCH_KEY transaction. */
export function makeEpochKeyBody(session: DkgSession, epochKey: EpochKeyPair): Uint8Array {
  RISTRETTO255.decode(epochKey.publicKey);
  if (!equalBytes(RISTRETTO255.encode(RISTRETTO255.mulBase(epochKey.secretKey)), epochKey.publicKey)) {
    throw new OmegaError('INVALID_ARGUMENT', 'epoch key pair does not match');
  }
  return encodeEpochKey({ sessionId: session.sessionId, epochKey: epochKey.publicKey });
}

function recipients(session: DkgSession): ShareRecipient[] {
  return session.epochKeys().map((publicKey, i) => {
    if (publicKey === undefined) {
      throw new OmegaError('DKG_WRONG_PHASE', `member ${i + 1} has not posted its epoch key yet`);
    }
    return { index: i + 1, publicKey };
  });
}

/**
 * Builds a DEAL body from given polynomials (one per key, degree t): commitments, PoKs bound to
 * (sid, key, me), and every receiver's three shares f(j) (x = j, 1-based) encrypted to its epoch key.
 */
export function dealBodyFromPolynomials(
  session: DkgSession,
  me: number,
  polys: DealPolynomials,
  rng: RandomSource,
): Uint8Array {
  checkMe(session, me);
  const backend = session.backend;
  const to = recipients(session);
  const keys = {} as Record<DkgKeyName, { commitments: Uint8Array[]; proof: Uint8Array }>;
  for (const key of DKG_KEYS) {
    const commitments = commitKey(backend, key, polys[key]);
    const proof = proveKey(
      backend,
      key,
      pokContext(session.sessionId, key, me),
      polys[key][0]!,
      commitments[0]!,
      rng,
    );
    keys[key] = { commitments, proof };
  }
  const plaintexts = to.map((r) => sharePlaintext(polys, r.index));
  const encrypted = encryptShares(dealEncryptionContext(session.sessionId, me), to, plaintexts, rng);
  for (const p of plaintexts) p.fill(0);
  return encodeDeal({
    sessionId: session.sessionId,
    keys,
    ephemeral: encrypted.ephemeral,
    ciphertexts: encrypted.ciphertexts,
  });
}

/**
 * The body of this replica's DEAL: fresh random polynomials of degree t for the three keys. Needs every
 * epoch key (phase 'dealing'); refuses to deal twice (DKG_DUPLICATE) so a restarted replica never
 * equivocates by accident.
 */
export function makeDealBody(session: DkgSession, me: number, rng: RandomSource): Uint8Array {
  checkMe(session, me);
  if (session.phase !== 'dealing') {
    throw new OmegaError('DKG_WRONG_PHASE', `cannot deal in phase ${session.phase}`);
  }
  if (session.candidates().includes(me)) {
    throw new OmegaError('DKG_DUPLICATE', `member ${me} already dealt in this session`);
  }
  return dealBodyFromPolynomials(session, me, randomDealPolynomials(session.params.threshold, rng), rng);
}

function checkEpochSecret(session: DkgSession, me: number, epochSecret: bigint): ShareRecipient {
  const publicKey = session.epochKeys()[me - 1];
  if (publicKey === undefined)
    throw new OmegaError('DKG_WRONG_PHASE', `member ${me} has no epoch key in this session`);
  if (
    typeof epochSecret !== 'bigint' ||
    !RISTRETTO255.field.isValid(epochSecret) ||
    epochSecret === 0n ||
    !equalBytes(RISTRETTO255.encode(RISTRETTO255.mulBase(epochSecret)), publicKey)
  ) {
    throw new OmegaError(
      'INVALID_ARGUMENT',
      `the epoch secret does not match member ${me}'s posted epoch key`,
    );
  }
  return { index: me, publicKey };
}

/** Decrypts and checks dealer `dealer`'s shares to `me`; undefined if they are bad in any way. */
function openShares(
  session: DkgSession,
  deal: CheckedDeal,
  dealer: number,
  me: ShareRecipient,
  epochSecret: bigint,
): KeyShares | undefined {
  let plaintext: Uint8Array;
  try {
    plaintext = decryptShare(
      dealEncryptionContext(session.sessionId, dealer),
      me,
      epochSecret,
      deal.message.ephemeral,
      deal.message.ciphertexts[me.index - 1]!,
    );
  } catch (e) {
    if (isOmegaError(e)) return undefined;
    throw e;
  }
  try {
    const shares = parseSharePlaintext(plaintext, dealer);
    return badKeyShares(session.backend, deal, me.index, shares, true).length === 0 ? shares : undefined;
  } catch (e) {
    if (isOmegaError(e)) return undefined;
    throw e;
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Complaint bodies against every candidate (other than `me`, not yet disqualified) whose share to `me`
 * does not decrypt, is malformed, or does not match its commitments. Each discloses only the one pairwise
 * key K = esk·R of that deal, with a DLEQ proof (share-encryption.ts). Call in phase 'complaints'.
 *
 * The DLEQ nonces are hedged with a stream keyed by a hash of the epoch secret, the session and the
 * dealer, so the function needs no randomness and is safe to re-run after a restart (same complaints).
 */
export function complaintsFor(session: DkgSession, me: number, epochSecret: bigint): Uint8Array[] {
  checkMe(session, me);
  if (session.phase !== 'complaints') {
    throw new OmegaError(
      'DKG_WRONG_PHASE',
      `complaints are made in phase 'complaints', not ${session.phase}`,
    );
  }
  const receiver = checkEpochSecret(session, me, epochSecret);
  const disqualified = new Set(session.disqualified().map((d) => d.dealer));
  const out: Uint8Array[] = [];
  for (const dealer of session.candidates()) {
    if (dealer === me || disqualified.has(dealer)) continue;
    const deal = session.candidateDeal(dealer)!;
    if (openShares(session, deal, dealer, receiver, epochSecret) !== undefined) continue;
    const rng = deterministicRandom(
      sha256(
        lengthPrefixed(
          utf8('omega/dkg/complaint-nonce/v1'),
          RISTRETTO255.field.encode(epochSecret),
          session.sessionId,
          u32be(dealer),
        ),
      ),
    );
    const disclosure = disclosePairwiseKey(
      dealEncryptionContext(session.sessionId, dealer),
      receiver,
      epochSecret,
      deal.message.ephemeral,
      rng,
    );
    out.push(
      encodeComplaint({ sessionId: session.sessionId, dealer, key: disclosure.key, proof: disclosure.proof }),
    );
  }
  return out;
}

/**
 * This replica's final shares: s_j = Σ_{i∈QUAL} f_i(j) for each key, checked against the public shares
 * (s_j·G == PK_j). Requires phase 'done'. Throws BAD_SHARE naming the QUAL dealers whose share to `me`
 * is bad (possible only if `me` did not complain in time — its share then needs recovery), or if the sum
 * does not match its public share.
 */
export function deriveShares(session: DkgSession, me: number, epochSecret: bigint): DkgShares {
  checkMe(session, me);
  const result = session.result();
  if (session.phase !== 'done' || result === undefined) {
    throw new OmegaError(
      'DKG_WRONG_PHASE',
      `shares exist only once the session is done (phase ${session.phase})`,
    );
  }
  const receiver = checkEpochSecret(session, me, epochSecret);
  const sums: Record<DkgKeyName, bigint> = { signing: 0n, ibe: 0n, certificate: 0n };
  const bad: number[] = [];
  for (const dealer of result.qual) {
    const shares = openShares(session, session.candidateDeal(dealer)!, dealer, receiver, epochSecret);
    if (shares === undefined) {
      bad.push(dealer);
      continue;
    }
    for (const key of DKG_KEYS) sums[key] = keyField(key).add(sums[key], shares[key]);
  }
  if (bad.length > 0) {
    throw new OmegaError('BAD_SHARE', `shares to ${me} from qualified dealers ${bad.join(', ')} are bad`, {
      culprits: bad,
    });
  }
  const backend = session.backend;
  const ok =
    equalBytes(backend.g2MulBase(sums.signing), result.signing.publicShares[me - 1]!) &&
    equalBytes(backend.g2MulBase(sums.ibe), result.ibe.publicShares[me - 1]!) &&
    equalBytes(ED25519.encode(ED25519.mulBase(sums.certificate)), result.certificate.publicShares[me - 1]!);
  if (!ok) throw new OmegaError('BAD_SHARE', `the derived shares of ${me} do not match the public shares`);
  return { index: me, signing: sums.signing, ibe: sums.ibe, certificate: sums.certificate };
}
