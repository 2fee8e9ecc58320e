/**
 * Byzantine deal construction for the DKG simulator and unit tests: deals built from the same public
 * primitives as an honest one (src/core/sessions/dkg/deal.ts), with one chosen defect.
 */
import type { DkgKeyName, DkgSession } from '../src/core/sessions/dkg/index.js';
import {
  DKG_KEYS,
  commitKey,
  dealEncryptionContext,
  encodeDeal,
  pokContext,
  proveKey,
  randomDealPolynomials,
  sharePlaintext,
} from '../src/core/sessions/dkg/index.js';
import type { RandomSource } from '../src/crypto/rand.js';
import { encryptShares } from '../src/crypto/share-encryption.js';

/** The defect of a crafted deal. */
export type DealFault =
  /** The share to `receiver` is off by one in one key (commitments and the other shares are right). */
  | { readonly kind: 'bad-share'; readonly receiver: number; readonly key?: DkgKeyName }
  /** The ciphertext to `receiver` is random bytes (it will not decrypt). */
  | { readonly kind: 'garbage-ciphertext'; readonly receiver: number }
  /** One commitment too many (degree t+1) in the signing key. */
  | { readonly kind: 'extra-commitment' }
  /** One commitment too few. */
  | { readonly kind: 'missing-commitment' }
  /** Proofs of knowledge made for another dealer index. */
  | { readonly kind: 'bad-pok' };

/** A deal of `dealer` with `fault` (or an honest one when undefined). */
export function craftDeal(
  session: DkgSession,
  dealer: number,
  rng: RandomSource,
  fault?: DealFault,
): Uint8Array {
  const n = session.params.committee.length;
  const t = session.params.threshold;
  const backend = session.backend;
  const polys = randomDealPolynomials(fault?.kind === 'extra-commitment' ? t + 1 : t, rng);
  const proofDealer = fault?.kind === 'bad-pok' ? (dealer % n) + 1 : dealer;
  const keys = {} as Record<DkgKeyName, { commitments: Uint8Array[]; proof: Uint8Array }>;
  for (const key of DKG_KEYS) {
    // Only the signing key carries a degree defect; the others stay well formed.
    const poly =
      key === 'signing' || fault?.kind !== 'extra-commitment' ? polys[key] : polys[key].slice(0, t + 1);
    let commitments = commitKey(backend, key, poly);
    if (fault?.kind === 'missing-commitment' && key === 'signing') commitments = commitments.slice(0, t);
    const proof = proveKey(
      backend,
      key,
      pokContext(session.sessionId, key, proofDealer),
      poly[0]!,
      commitments[0]!,
      rng,
    );
    keys[key] = { commitments, proof };
  }
  const to = session.epochKeys().map((publicKey, i) => ({ index: i + 1, publicKey: publicKey! }));
  const plaintexts = to.map((r) => sharePlaintext(polys, r.index));
  if (fault?.kind === 'bad-share') {
    const k = DKG_KEYS.indexOf(fault.key ?? 'signing');
    const p = plaintexts[fault.receiver - 1]!;
    // Add one to the last byte of the chosen 32-byte share (big- or little-endian: either way a different,
    // still canonical scalar with overwhelming probability).
    const at = 32 * k + (fault.key === 'certificate' ? 0 : 31);
    p[at] = (p[at]! + 1) & 0xff;
  }
  const encrypted = encryptShares(dealEncryptionContext(session.sessionId, dealer), to, plaintexts, rng);
  const ciphertexts = [...encrypted.ciphertexts];
  if (fault?.kind === 'garbage-ciphertext') ciphertexts[fault.receiver - 1] = rng(ciphertexts[0]!.length);
  return encodeDeal({ sessionId: session.sessionId, keys, ephemeral: encrypted.ephemeral, ciphertexts });
}
