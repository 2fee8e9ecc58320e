/**
 * TDH2 labelled threshold ElGamal over ristretto255, as a KEM/DEM for payloads (Shoup & Gennaro,
 * "Securing Threshold Cryptosystems against Chosen Ciphertext Attack", J. Cryptology 15(2), 2002, §4 —
 * research/protocol-design.md §7.1; ARCHITECTURE.md D3).
 *
 * Encryption to the service public key PK = x·G, with label L and plaintext m:
 *
 *   r random;  R = r·G;  R̄ = r·Ḡ;  K = r·PK                    (Ḡ: a second generator, hash-to-group)
 *   (key, nonce) = HKDF-SHA256(ikm = K, salt = "omega/elgamal/tdh2/v1", info = hdr ‖ PK ‖ R ‖ L)
 *   body = ChaCha20-Poly1305(key, nonce, m, aad = hdr ‖ R ‖ R̄ ‖ L)
 *   π = DLEQ proof that log_G(R) = log_Ḡ(R̄), bound to (hdr, PK, L, body)
 *
 * π is TDH2's validity proof: it shows the sender knows r, so the ciphertext is non-malleable — it cannot
 * be re-randomized, relabelled, or moved to another key, and a replica that checks it before releasing a
 * share (`validateCiphertext`) is not a decryption oracle for mauled ciphertexts (§7.2 "Malleability").
 * The label binds purpose and owner (see {@link ciphertextLabel}); the state machine authorizes the
 * requester against the label before any share is produced. Changing the label breaks both π and the
 * AEAD tag.
 *
 * Decryption: t+1 replicas' shares D_i = x_i·R (`shares.ts`) combine to x·R = r·PK = K.
 *
 * Byte format, version 1 (all integers big-endian; see docs/crypto.md):
 *
 *   u8 version = 1 ‖ u8 suite = 1 (ristretto255, TDH2, HKDF-SHA256, ChaCha20-Poly1305)
 *   ‖ R (32) ‖ R̄ (32) ‖ π = c ‖ z (64)
 *   ‖ u32 |L| ‖ L (≤ 1024)  ‖ u32 |body| ‖ body (16 ≤ |body| ≤ 65,536 + 16)
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Writer, decodeAll, encodeWith } from '../../codec.js';
import type { Reader } from '../../codec.js';
import { OmegaError } from '../../errors.js';
import { lengthPrefixed, utf8 } from '../bytes.js';
import type { RistrettoPoint } from '../group.js';
import { RISTRETTO255, hashToRistretto } from '../group.js';
import type { Proof } from '../proofs.js';
import { decodeProof, encodeProof, proveDleq, verifyDleq } from '../proofs.js';
import type { RandomSource } from '../rand.js';
import type { BlindingRequest } from './blinding.js';
import { createBlindedDecryptionShare } from './blinding.js';
import { withEncodingCache } from './encoding-cache.js';
import type { ReencryptedShare, ReencryptionStatement } from './reencrypt.js';
import { combineReencryptedShares, createReencryptedShare, openReencrypted } from './reencrypt.js';
import type { DecryptionContext, DecryptionShare, PublicShares, ShareStatement } from './shares.js';
import { combineDecryptionShares, createDecryptionShare } from './shares.js';

const G = withEncodingCache(RISTRETTO255);

export const CIPHERTEXT_VERSION = 1;
/** Suite 1: ristretto255 + TDH2 + HKDF-SHA256 + ChaCha20-Poly1305. */
export const SUITE_RISTRETTO255_TDH2_CHACHA20POLY1305 = 1;
/** Largest label, in bytes. */
export const MAX_LABEL_BYTES = 1024;
/** Largest plaintext of one ciphertext (larger objects: encrypt a data key here, the data elsewhere). */
export const MAX_PLAINTEXT_BYTES = 65_536;
/** Poly1305 tag. */
export const TAG_BYTES = 16;
/** Bytes of a version-1 ciphertext other than the label and the plaintext. */
export const CIPHERTEXT_OVERHEAD_BYTES = 2 + 32 + 32 + 64 + 4 + 4 + TAG_BYTES;

/**
 * TDH2's second generator Ḡ, from RFC 9380 hash-to-group (ristretto255, RFC 9496 §4.3.4): nobody knows
 * log_G(Ḡ), which the soundness of π relies on.
 */
export const SECOND_GENERATOR: RistrettoPoint = hashToRistretto(
  utf8('omega second generator for TDH2'),
  utf8('omega/elgamal/tdh2/v1/second-generator'),
);
// Ḡ is multiplied in every encryption (twice) and every validation: give it a precomputed window table
// like the base point's (noble's wNAF cache, built lazily on first use; a pure in-memory cache), so
// these are fixed-base multiplications.
SECOND_GENERATOR.precompute(6);

/** A decoded (and structurally valid) ciphertext. Its proof is checked by {@link validateCiphertext}. */
export interface Ciphertext {
  readonly R: RistrettoPoint;
  readonly Rbar: RistrettoPoint;
  readonly proof: Proof;
  readonly label: Uint8Array;
  /** AEAD output: encrypted plaintext ‖ 16-byte tag. */
  readonly body: Uint8Array;
}

const HEADER = new Uint8Array([CIPHERTEXT_VERSION, SUITE_RISTRETTO255_TDH2_CHACHA20POLY1305]);

/**
 * The canonical label: what the ciphertext is for and whose it is, plus an optional object id. The
 * state machine's policy reads these fields to decide who may obtain decryption shares.
 */
export function ciphertextLabel(fields: {
  readonly purpose: string;
  readonly owner: Uint8Array;
  readonly objectId?: Uint8Array;
}): Uint8Array {
  const w = new Writer();
  w.string('omega/elgamal/label/v1');
  w.string(fields.purpose);
  w.bytes(fields.owner);
  w.optional(fields.objectId, (ww, v) => ww.bytes(v));
  const label = w.finish();
  if (label.length > MAX_LABEL_BYTES) throw new OmegaError('LIMIT_EXCEEDED', 'label too long');
  return label;
}

function validityProofContext(pk: RistrettoPoint, label: Uint8Array, body: Uint8Array) {
  return {
    sessionId: sha256(lengthPrefixed(utf8('omega/elgamal/tdh2/v1'), HEADER, G.encode(pk), label, body)),
    purpose: 'elgamal/tdh2-validity',
  };
}

function deriveKey(pk: RistrettoPoint, R: RistrettoPoint, label: Uint8Array, K: RistrettoPoint) {
  const info = lengthPrefixed(HEADER, G.encode(pk), G.encode(R), label);
  const okm = hkdf(sha256, G.encode(K), utf8('omega/elgamal/tdh2/v1'), info, 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) };
}

function aadOf(R: RistrettoPoint, Rbar: RistrettoPoint, label: Uint8Array): Uint8Array {
  return lengthPrefixed(HEADER, G.encode(R), G.encode(Rbar), label);
}

function checkLabel(label: Uint8Array): void {
  if (!(label instanceof Uint8Array)) throw new OmegaError('INVALID_ARGUMENT', 'label must be bytes');
  if (label.length > MAX_LABEL_BYTES) {
    throw new OmegaError('LIMIT_EXCEEDED', `label exceeds ${MAX_LABEL_BYTES} bytes`);
  }
}

/**
 * Encrypts `plaintext` to the (threshold-held) public key under `label`.
 *
 * @example
 * const ct = encrypt(servicePublicKey, utf8('data key'), ciphertextLabel({ purpose: 'vault/data-key', owner }), rng);
 * const bytes = encodeCiphertext(ct);
 */
export function encrypt(
  publicKey: RistrettoPoint,
  plaintext: Uint8Array,
  label: Uint8Array,
  rng: RandomSource,
): Ciphertext {
  checkLabel(label);
  if (!(plaintext instanceof Uint8Array)) throw new OmegaError('INVALID_ARGUMENT', 'plaintext must be bytes');
  if (plaintext.length > MAX_PLAINTEXT_BYTES) {
    throw new OmegaError('LIMIT_EXCEEDED', `plaintext exceeds ${MAX_PLAINTEXT_BYTES} bytes`);
  }
  if (G.isIdentity(publicKey)) throw new OmegaError('IDENTITY_POINT', 'public key is the identity');
  const r = G.field.random(rng);
  const R = G.mulBase(r);
  const Rbar = G.mul(SECOND_GENERATOR, r);
  const { key, nonce } = deriveKey(publicKey, R, label, G.mul(publicKey, r));
  const body = chacha20poly1305(key, nonce, aadOf(R, Rbar, label)).encrypt(plaintext);
  const proof = proveDleq(
    G,
    r,
    { G: G.generator, A: R, H: SECOND_GENERATOR, B: Rbar },
    validityProofContext(publicKey, label, body),
    rng,
  );
  return { R, Rbar, proof, label: label.slice(), body };
}

/**
 * TDH2's validity test, which every replica runs before producing a decryption share: the proof π
 * verifies for this public key, label and body. Throws BAD_PROOF otherwise.
 */
export function validateCiphertext(publicKey: RistrettoPoint, ct: Ciphertext): void {
  const ok = verifyDleq(
    G,
    { G: G.generator, A: ct.R, H: SECOND_GENERATOR, B: ct.Rbar },
    ct.proof,
    validityProofContext(publicKey, ct.label, ct.body),
  );
  if (!ok) {
    throw new OmegaError(
      'BAD_PROOF',
      'ciphertext validity proof does not verify (mauled, relabelled or for another key)',
    );
  }
}

/**
 * Opens the ciphertext given K = x·R (combined from shares, unblinded, or re-encrypted). Throws
 * DECRYPTION_FAILED if K is wrong or the ciphertext was tampered with.
 */
export function openWithSharedPoint(
  publicKey: RistrettoPoint,
  ct: Ciphertext,
  K: RistrettoPoint,
): Uint8Array {
  const { key, nonce } = deriveKey(publicKey, ct.R, ct.label, K);
  try {
    return chacha20poly1305(key, nonce, aadOf(ct.R, ct.Rbar, ct.label)).decrypt(ct.body);
  } catch (cause) {
    throw new OmegaError('DECRYPTION_FAILED', 'ciphertext does not decrypt with this key in this context', {
      cause,
    });
  }
}

/** Decryption with the whole secret key x (after a recovery; never on a replica). Validates first. */
export function decryptWithSecret(publicKey: RistrettoPoint, ct: Ciphertext, secret: bigint): Uint8Array {
  validateCiphertext(publicKey, ct);
  return openWithSharedPoint(publicKey, ct, G.mul(ct.R, secret));
}

/** The 32-byte ciphertext id: SHA-256 over a domain tag and the canonical encoding. */
export function ciphertextId(ct: Ciphertext): Uint8Array {
  return sha256(lengthPrefixed(utf8('omega/elgamal/ciphertext-id/v1'), encodeCiphertext(ct)));
}

/** The share statement for a ciphertext: base R, target = its id. */
export function ciphertextStatement(ct: Ciphertext, ctx: DecryptionContext): ShareStatement<RistrettoPoint> {
  return { base: ct.R, ctx, target: ciphertextId(ct) };
}

/**
 * Replica side: validates the ciphertext (TDH2: no share for an invalid ciphertext), then returns
 * D_i = x_i·R with its DLEQ proof bound to the ciphertext id, key, epoch, request, requester and index.
 */
export function createCiphertextDecryptionShare(
  publicKey: RistrettoPoint,
  ct: Ciphertext,
  params: { readonly index: number; readonly secretShare: bigint; readonly publicShare?: RistrettoPoint },
  ctx: DecryptionContext,
  rng: RandomSource,
): DecryptionShare<RistrettoPoint> {
  validateCiphertext(publicKey, ct);
  return createDecryptionShare(G, params, ciphertextStatement(ct, ctx), rng);
}

/**
 * Requester side (or any gateway, if unblinded delivery is acceptable): verifies the shares, names the
 * bad ones, combines t+1 and decrypts.
 */
export function combineAndDecrypt(
  publicKey: RistrettoPoint,
  ct: Ciphertext,
  params: {
    readonly threshold: number;
    readonly publicShares: PublicShares<RistrettoPoint>;
    readonly shares: readonly DecryptionShare<RistrettoPoint>[];
  },
  ctx: DecryptionContext,
): { readonly plaintext: Uint8Array; readonly culprits: readonly number[] } {
  validateCiphertext(publicKey, ct);
  const combined = combineDecryptionShares(G, params, ciphertextStatement(ct, ctx));
  return { plaintext: openWithSharedPoint(publicKey, ct, combined.value), culprits: combined.culprits };
}

/**
 * Replica side of blinded decryption of a stored ciphertext: validates the ciphertext (TDH2), checks the
 * requester's proof of knowledge of the blinding factor (blinding.ts), then returns x_i·R'.
 */
export function createCiphertextBlindedShare(
  publicKey: RistrettoPoint,
  ct: Ciphertext,
  request: BlindingRequest<RistrettoPoint>,
  params: { readonly index: number; readonly secretShare: bigint; readonly publicShare?: RistrettoPoint },
  ctx: DecryptionContext,
  rng: RandomSource,
): DecryptionShare<RistrettoPoint> {
  validateCiphertext(publicKey, ct);
  return createBlindedDecryptionShare(G, ct.R, request, params, ctx, ciphertextId(ct), rng);
}

/** The re-encryption statement for a stored ciphertext and a requester's transport key. */
export function ciphertextReencryptionStatement(
  ct: Ciphertext,
  transportKey: RistrettoPoint,
  ctx: DecryptionContext,
): ReencryptionStatement<RistrettoPoint> {
  return { base: ct.R, transportKey, ctx, target: ciphertextId(ct) };
}

/**
 * Replica side of re-encryption of a stored ciphertext (sealed secrets, ARCHITECTURE.md D8c): validates
 * the ciphertext (TDH2), then returns D'_i = x_i·R + ρ_i·T with its proof.
 */
export function createCiphertextReencryptedShare(
  publicKey: RistrettoPoint,
  ct: Ciphertext,
  transportKey: RistrettoPoint,
  params: { readonly index: number; readonly secretShare: bigint; readonly publicShare?: RistrettoPoint },
  ctx: DecryptionContext,
  rng: RandomSource,
): ReencryptedShare<RistrettoPoint> {
  validateCiphertext(publicKey, ct);
  return createReencryptedShare(G, params, ciphertextReencryptionStatement(ct, transportKey, ctx), rng);
}

/**
 * Requester side: verifies and combines re-encrypted shares (any gateway may have carried them), opens
 * them with the transport secret and decrypts.
 */
export function combineAndOpenReencrypted(
  publicKey: RistrettoPoint,
  ct: Ciphertext,
  transportSecret: bigint,
  params: {
    readonly threshold: number;
    readonly publicShares: PublicShares<RistrettoPoint>;
    readonly shares: readonly ReencryptedShare<RistrettoPoint>[];
  },
  ctx: DecryptionContext,
): { readonly plaintext: Uint8Array; readonly culprits: readonly number[] } {
  validateCiphertext(publicKey, ct);
  const transportKey = G.mulBase(transportSecret);
  const combined = combineReencryptedShares(
    G,
    params,
    ciphertextReencryptionStatement(ct, transportKey, ctx),
  );
  const K = openReencrypted(G, transportSecret, combined);
  return { plaintext: openWithSharedPoint(publicKey, ct, K), culprits: combined.culprits };
}

function writeCiphertext(w: Writer, ct: Ciphertext): void {
  w.u8(CIPHERTEXT_VERSION);
  w.u8(SUITE_RISTRETTO255_TDH2_CHACHA20POLY1305);
  w.fixed(G.encode(ct.R), 32);
  w.fixed(G.encode(ct.Rbar), 32);
  w.fixed(encodeProof(G, ct.proof), 64);
  w.bytes(ct.label);
  w.bytes(ct.body);
}

function readCiphertext(r: Reader): Ciphertext {
  const version = r.u8();
  if (version !== CIPHERTEXT_VERSION) {
    throw new OmegaError('UNSUPPORTED_VERSION', `unknown ciphertext version ${version}`);
  }
  const suite = r.u8();
  if (suite !== SUITE_RISTRETTO255_TDH2_CHACHA20POLY1305) {
    throw new OmegaError('UNSUPPORTED_VERSION', `unknown ciphertext suite ${suite}`);
  }
  const R = G.decode(r.fixed(32));
  const Rbar = G.decode(r.fixed(32));
  const proof = decodeProof(G, r.fixed(64));
  const label = r.bytes(MAX_LABEL_BYTES);
  const body = r.bytes(MAX_PLAINTEXT_BYTES + TAG_BYTES);
  if (body.length < TAG_BYTES) throw new OmegaError('INVALID_LENGTH', 'ciphertext body shorter than its tag');
  return { R, Rbar, proof, label, body };
}

/** Canonical encoding (format in the module comment). */
export function encodeCiphertext(ct: Ciphertext): Uint8Array {
  return encodeWith(ct, writeCiphertext);
}

/**
 * Strict decoder: known version and suite, canonical non-identity ristretto255 points, canonical
 * scalars, label and body within their limits, no trailing bytes. Does not check π: call
 * {@link validateCiphertext}.
 */
export function decodeCiphertext(bytes: Uint8Array): Ciphertext {
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'expected bytes');
  if (bytes.length > CIPHERTEXT_OVERHEAD_BYTES + MAX_LABEL_BYTES + MAX_PLAINTEXT_BYTES) {
    throw new OmegaError('LIMIT_EXCEEDED', 'ciphertext too large');
  }
  return decodeAll(bytes, readCiphertext);
}
