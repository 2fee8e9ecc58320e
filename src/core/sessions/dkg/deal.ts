/**
 * The cryptography of one deal, shared by the replicated side (checking deals and complaints) and the
 * participant side (dealing, checking its own shares): Feldman commitments, the Schnorr proof of
 * knowledge of C_0, share encryption, share checks — for the three service keys at once.
 *
 * BLS keys live in G2 and are computed with the injected {@link BlsBackend} (mcl by default, ARCHITECTURE.md
 * D4); their Schnorr proofs use the transcript of `src/crypto/proofs.ts` (`schnorrNonce`/`schnorrChallenge`)
 * so they verify with `verifySchnorr(G2, ...)` too. The FROST key lives on ed25519 and uses `Group`
 * arithmetic, whose decoder rejects small- and mixed-order points (research/protocol-design.md §2.3).
 */
import type { BlsBackend } from '../../../crypto/bls/backend.js';
import { BLS_FR } from '../../../crypto/bls/threshold.js';
import { equalBytes } from '../../../crypto/bytes.js';
import type { ScalarField } from '../../../crypto/field.js';
import { shareIndex } from '../../../crypto/field.js';
import type { EdPoint } from '../../../crypto/group.js';
import { ED25519, G2, RISTRETTO255 } from '../../../crypto/group.js';
import type { Polynomial } from '../../../crypto/poly.js';
import { evaluatePolynomial, randomPolynomial } from '../../../crypto/poly.js';
import type { ProofContext } from '../../../crypto/proofs.js';
import {
  decodeProof,
  encodeProof,
  proveSchnorr,
  schnorrChallenge,
  schnorrNonce,
  verifySchnorr,
} from '../../../crypto/proofs.js';
import type { RandomSource } from '../../../crypto/rand.js';
import type { ShareEncryptionContext } from '../../../crypto/share-encryption.js';
import { OmegaError, isOmegaError } from '../../../errors.js';
import type { DealMessage, DkgKeyName } from './messages.js';
import { DKG_KEYS, SHARE_PLAINTEXT_BYTES } from './messages.js';

/** The purpose string of the deal's share encryption (share-encryption.ts context). */
export const DEAL_PURPOSE = 'dkg/deal';

/** G2 identity, compressed (infinity flag set). */
const G2_IDENTITY = (() => {
  const b = new Uint8Array(96);
  b[0] = 0xc0;
  return b;
})();

/** The scalar field of each key. */
export function keyField(key: DkgKeyName): ScalarField {
  return key === 'certificate' ? ED25519.field : BLS_FR;
}

/** The PoK context of dealer i's key `key` in session `sid`: bound to (sid, purpose per key, dealer). */
export function pokContext(sessionId: Uint8Array, key: DkgKeyName, dealer: number): ProofContext {
  return { sessionId, purpose: `dkg/deal-pok/${key}`, dealer };
}

/** The share-encryption context of dealer i's ciphertexts. */
export function dealEncryptionContext(sessionId: Uint8Array, dealer: number): ShareEncryptionContext {
  return { sessionId, purpose: DEAL_PURPOSE, dealer };
}

/** A dealer's secret polynomials, one per key. Never persisted: a deal is made once and forgotten. */
export type DealPolynomials = Readonly<Record<DkgKeyName, Polynomial>>;

/** Fresh random polynomials of degree t for the three keys. */
export function randomDealPolynomials(threshold: number, rng: RandomSource): DealPolynomials {
  return {
    signing: randomPolynomial(BLS_FR, threshold, rng),
    ibe: randomPolynomial(BLS_FR, threshold, rng),
    certificate: randomPolynomial(ED25519.field, threshold, rng),
  };
}

/** Feldman commitments C_k = a_k·G of one key's polynomial (constant time: the a_k are secret). */
export function commitKey(backend: BlsBackend, key: DkgKeyName, poly: Polynomial): Uint8Array[] {
  if (key === 'certificate') return poly.map((a) => ED25519.encode(ED25519.mulBase(a)));
  return poly.map((a) => backend.g2MulBase(a));
}

/** Schnorr PoK of a_0 = log(C_0) for one key, bound to `pokContext(sid, key, dealer)`. */
export function proveKey(
  backend: BlsBackend,
  key: DkgKeyName,
  ctx: ProofContext,
  secret: bigint,
  c0: Uint8Array,
  rng: RandomSource,
): Uint8Array {
  if (key === 'certificate') return encodeProof(ED25519, proveSchnorr(ED25519, secret, ctx, rng));
  // The transcript of proofs.ts with the point arithmetic on the backend: R = k·g2, z = k + c·a_0.
  const k = schnorrNonce(G2, secret, ctx, c0, rng);
  const R = backend.g2MulBase(k);
  const c = schnorrChallenge(G2, ctx, c0, R);
  return encodeProof(G2, { c, z: BLS_FR.add(k, BLS_FR.mul(c, secret)) });
}

/** Verifies one key's PoK; `c0` must already be a validated non-identity element. */
export function verifyKeyProof(
  backend: BlsBackend,
  key: DkgKeyName,
  ctx: ProofContext,
  c0: Uint8Array,
  proofBytes: Uint8Array,
  c0Point?: EdPoint,
): boolean {
  if (key === 'certificate') {
    const X = c0Point ?? ED25519.decode(c0);
    return verifySchnorr(ED25519, X, decodeProof(ED25519, proofBytes), ctx);
  }
  const { c, z } = decodeProof(G2, proofBytes);
  // R' = z·g2 − c·C_0 in one multi-scalar multiplication (public scalars).
  const R = backend.g2Lincomb([backend.g2Generator, c0], [z, BLS_FR.neg(c)]);
  if (equalBytes(R, G2_IDENTITY)) return false;
  return schnorrChallenge(G2, ctx, c0, R) === c;
}

/** A deal that passed every structural check: validated commitments of each key. */
export interface CheckedDeal {
  readonly message: DealMessage;
  /** Validated encodings per key (exactly t+1, non-identity, in the prime-order subgroup). */
  readonly commitments: Readonly<Record<DkgKeyName, readonly Uint8Array[]>>;
  /** The certificate key's commitments as points (for share checks and aggregation). */
  readonly certificatePoints: readonly EdPoint[];
}

/** Re-throws an OmegaError from a check of dealer `dealer`'s deal with the dealer named as culprit. */
function blame<T>(dealer: number, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!isOmegaError(e)) throw e;
    throw new OmegaError(e.code, `deal of ${dealer}: ${what}: ${e.message}`, {
      culprits: [dealer],
      cause: e,
    });
  }
}

/**
 * Structural checks of dealer `dealer`'s deal (research/protocol-design.md §2.2 step 2, §2.3):
 * exactly t+1 commitments per key (BAD_COMMITMENTS), every commitment a canonical non-identity element
 * of the prime-order group (IDENTITY_POINT, WRONG_SUBGROUP, ...), each PoK valid for (sid, key, dealer)
 * (BAD_PROOF), a valid ephemeral key and exactly n ciphertexts. Every error names the dealer.
 */
export function checkDeal(
  backend: BlsBackend,
  params: { readonly sessionId: Uint8Array; readonly threshold: number; readonly parties: number },
  dealer: number,
  message: DealMessage,
): CheckedDeal {
  const t = params.threshold;
  const commitments = {} as Record<DkgKeyName, readonly Uint8Array[]>;
  let certificatePoints: EdPoint[] = [];
  for (const key of DKG_KEYS) {
    const part = message.keys[key];
    if (part.commitments.length !== t + 1) {
      throw new OmegaError(
        'BAD_COMMITMENTS',
        `deal of ${dealer}: ${key} key has ${part.commitments.length} commitments, expected exactly t+1 = ${t + 1}`,
        { culprits: [dealer] },
      );
    }
    blame(dealer, `${key} commitments`, () => {
      if (key === 'certificate') certificatePoints = part.commitments.map((c) => ED25519.decode(c));
      else for (const c of part.commitments) backend.validateG2(c);
    });
    const ok = blame(dealer, `${key} proof`, () =>
      verifyKeyProof(
        backend,
        key,
        pokContext(params.sessionId, key, dealer),
        part.commitments[0]!,
        part.proof,
        key === 'certificate' ? certificatePoints[0] : undefined,
      ),
    );
    if (!ok) {
      throw new OmegaError(
        'BAD_PROOF',
        `deal of ${dealer}: proof of knowledge of the ${key} key does not verify`,
        {
          culprits: [dealer],
        },
      );
    }
    commitments[key] = part.commitments;
  }
  blame(dealer, 'ephemeral key', () => RISTRETTO255.decode(message.ephemeral));
  if (message.ciphertexts.length !== params.parties) {
    throw new OmegaError(
      'INVALID_ENCODING',
      `deal of ${dealer}: ${message.ciphertexts.length} ciphertexts for a committee of ${params.parties}`,
      { culprits: [dealer] },
    );
  }
  return { message, commitments, certificatePoints };
}

/** The three shares of one receiver, as scalars of their fields. */
export type KeyShares = Readonly<Record<DkgKeyName, bigint>>;

/** Dealer side: the plaintext for receiver j = f_signing(j) || f_ibe(j) || f_certificate(j) (x = j, 1-based). */
export function sharePlaintext(polys: DealPolynomials, receiver: number): Uint8Array {
  const x = BigInt(shareIndex(receiver));
  const out = new Uint8Array(SHARE_PLAINTEXT_BYTES);
  DKG_KEYS.forEach((key, k) => {
    const F = keyField(key);
    out.set(F.encode(evaluatePolynomial(F, polys[key], x)), 32 * k);
  });
  return out;
}

/** Parses a share plaintext: exactly 96 bytes of three canonical scalars. Throws BAD_SHARE otherwise. */
export function parseSharePlaintext(plaintext: Uint8Array, dealer: number): KeyShares {
  if (plaintext.length !== SHARE_PLAINTEXT_BYTES) {
    throw new OmegaError('BAD_SHARE', `share plaintext of ${dealer} has ${plaintext.length} bytes`, {
      culprits: [dealer],
    });
  }
  const shares = {} as Record<DkgKeyName, bigint>;
  DKG_KEYS.forEach((key, k) => {
    try {
      shares[key] = keyField(key).decode(plaintext.subarray(32 * k, 32 * k + 32), { allowZero: true });
    } catch (cause) {
      throw new OmegaError('BAD_SHARE', `${key} share of ${dealer} is not a canonical scalar`, {
        culprits: [dealer],
        cause,
      });
    }
  });
  return shares;
}

/** The powers 1, j, j², ..., j^t in the BLS scalar field. */
function powers(j: number, t: number): bigint[] {
  const out: bigint[] = [];
  let p = 1n;
  for (let k = 0; k <= t; k++) {
    out.push(p);
    p = BLS_FR.mul(p, BigInt(j));
  }
  return out;
}

/**
 * Which of the receiver's three shares fail the Feldman check s·G == Σ_k C_k·j^k (empty if all pass).
 * `secret` selects constant-time multiplication for the receiver's own (secret) shares; a disclosed share
 * in a complaint is public and is checked with one multi-scalar multiplication.
 */
export function badKeyShares(
  backend: BlsBackend,
  deal: CheckedDeal,
  receiver: number,
  shares: KeyShares,
  secret: boolean,
): DkgKeyName[] {
  const j = shareIndex(receiver);
  const t = deal.commitments.signing.length - 1;
  const bad: DkgKeyName[] = [];
  for (const key of DKG_KEYS) {
    const s = shares[key];
    let ok: boolean;
    if (key === 'certificate') {
      const expected = deal.certificatePoints.reduceRight(
        (acc, c) => ED25519.add(ED25519.mulPublic(acc, BigInt(j)), c),
        ED25519.identity,
      );
      ok = ED25519.equals(ED25519.mulBase(s), expected);
    } else if (secret) {
      ok = equalBytes(backend.g2MulBase(s), backend.g2Lincomb(deal.commitments[key], powers(j, t)));
    } else {
      // Σ_k C_k·j^k − s·g2 == O.
      const sum = backend.g2Lincomb(
        [...deal.commitments[key], backend.g2Generator],
        [...powers(j, t), BLS_FR.neg(s)],
      );
      ok = equalBytes(sum, G2_IDENTITY);
    }
    if (!ok) bad.push(key);
  }
  return bad;
}
