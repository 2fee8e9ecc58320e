/**
 * Encryption of secret shares to replicas' per-epoch keys, and the verifiable disclosure that lets
 * anyone re-check one disputed share (the complaint of the Log-DKG, research/protocol-design.md §2.2).
 *
 * Construction (ECIES over ristretto255, a prime-order group — ARCHITECTURE.md D3):
 *
 *   dealer:   r random, R = r·G (one ephemeral key per dealing)
 *             K_j = r·EPK_j                        (the pairwise key with receiver j)
 *             k_j = HKDF-SHA256(ikm = K_j, salt = "omega/share-encryption/v1",
 *                               info = ctx || R || EPK_j)        → 32-byte key || 12-byte nonce
 *             c_j = ChaCha20-Poly1305(k_j, nonce_j, plaintext_j, aad = ctx || R || EPK_j)
 *   receiver: K_j = esk_j·R, then the same derivation.
 *
 * `ctx` binds the session id, the purpose, the dealer and the receiver, so a ciphertext cannot be replayed
 * into another session, moved to another receiver, or attributed to another dealer.
 *
 * Complaint (disclosure): receiver j publishes K_j with a Chaum–Pedersen proof that
 * log_G(EPK_j) = log_R(K_j). Anyone checks the proof, derives k_j and decrypts c_j — and learns that one
 * plaintext only; j's epoch secret key and every other ciphertext stay private (unlike kyber's DKG, which
 * reveals the share in the clear). Per-epoch keys are erased after the epoch (forward secrecy of the
 * log's transcripts, research/protocol-design.md §2.3).
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { OmegaError } from '../errors.js';
import { lengthPrefixed, u32be, utf8 } from './bytes.js';
import type { RistrettoPoint } from './group.js';
import { RISTRETTO255 } from './group.js';
import { decodeProof, encodeProof, proveDleq, verifyDleq } from './proofs.js';
import type { RandomSource } from './rand.js';

const G = RISTRETTO255;

/** The largest plaintext one encrypted share may carry. */
export const MAX_SHARE_PLAINTEXT_BYTES = 1024;
/** Poly1305 tag length. */
export const SHARE_TAG_BYTES = 16;

/** What every share ciphertext of one dealing is bound to. */
export interface ShareEncryptionContext {
  /** The session (DKG session id, escrow id, ...), which should itself bind the epoch. */
  readonly sessionId: Uint8Array;
  /** e.g. 'dkg/deal' or 'escrow/share'. */
  readonly purpose: string;
  /** The dealer's share index. */
  readonly dealer: number;
}

/** A replica's per-epoch encryption key pair (ristretto255). */
export interface EpochKeyPair {
  readonly secretKey: bigint;
  /** 32-byte ristretto255 encoding of esk·G. */
  readonly publicKey: Uint8Array;
}

/** Generates an epoch key pair. */
export function generateEpochKey(rng: RandomSource): EpochKeyPair {
  const secretKey = G.field.random(rng);
  return { secretKey, publicKey: G.encode(G.mulBase(secretKey)) };
}

/** One dealing's encrypted shares: the ephemeral key R and one ciphertext per recipient. */
export interface EncryptedShares {
  /** 32-byte R = r·G. */
  readonly ephemeral: Uint8Array;
  /** Ciphertext (plaintext length + 16) for each recipient, in the order given. */
  readonly ciphertexts: readonly Uint8Array[];
}

/** A recipient: its share index and its epoch public key. */
export interface ShareRecipient {
  readonly index: number;
  readonly publicKey: Uint8Array;
}

function bindingInfo(
  ctx: ShareEncryptionContext,
  receiver: number,
  R: Uint8Array,
  epk: Uint8Array,
): Uint8Array {
  return lengthPrefixed(
    utf8('omega/share-encryption/v1'),
    ctx.sessionId,
    utf8(ctx.purpose),
    u32be(ctx.dealer),
    u32be(receiver),
    R,
    epk,
  );
}

function seal(pairwise: RistrettoPoint, info: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const okm = hkdf(sha256, G.encode(pairwise), utf8('omega/share-encryption/v1'), info, 44);
  return chacha20poly1305(okm.subarray(0, 32), okm.subarray(32, 44), info).encrypt(plaintext);
}

function open(pairwise: RistrettoPoint, info: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length < SHARE_TAG_BYTES) {
    throw new OmegaError('INVALID_LENGTH', 'share ciphertext shorter than its tag');
  }
  if (ciphertext.length > MAX_SHARE_PLAINTEXT_BYTES + SHARE_TAG_BYTES) {
    throw new OmegaError('LIMIT_EXCEEDED', 'share ciphertext too large');
  }
  const okm = hkdf(sha256, G.encode(pairwise), utf8('omega/share-encryption/v1'), info, 44);
  try {
    return chacha20poly1305(okm.subarray(0, 32), okm.subarray(32, 44), info).decrypt(ciphertext);
  } catch (cause) {
    throw new OmegaError('DECRYPTION_FAILED', 'share ciphertext does not decrypt in this context', { cause });
  }
}

/** Encrypts `plaintexts[k]` to `recipients[k]` under one fresh ephemeral key. */
export function encryptShares(
  ctx: ShareEncryptionContext,
  recipients: readonly ShareRecipient[],
  plaintexts: readonly Uint8Array[],
  rng: RandomSource,
): EncryptedShares {
  if (recipients.length !== plaintexts.length) {
    throw new OmegaError('INVALID_ARGUMENT', 'one plaintext per recipient is required');
  }
  const r = G.field.random(rng);
  const R = G.encode(G.mulBase(r));
  const ciphertexts = recipients.map((recipient, k) => {
    const plaintext = plaintexts[k]!;
    if (plaintext.length > MAX_SHARE_PLAINTEXT_BYTES) {
      throw new OmegaError('LIMIT_EXCEEDED', 'share plaintext too large');
    }
    const epk = G.decode(recipient.publicKey);
    return seal(G.mul(epk, r), bindingInfo(ctx, recipient.index, R, recipient.publicKey), plaintext);
  });
  return { ephemeral: R, ciphertexts };
}

/** Receiver side: decrypts its share. Throws DECRYPTION_FAILED if tampered or out of context. */
export function decryptShare(
  ctx: ShareEncryptionContext,
  receiver: ShareRecipient,
  secretKey: bigint,
  ephemeral: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  const R = G.decode(ephemeral);
  return open(
    G.mul(R, secretKey),
    bindingInfo(ctx, receiver.index, ephemeral, receiver.publicKey),
    ciphertext,
  );
}

/** The receiver's public disclosure of one pairwise key, for a complaint. */
export interface PairwiseKeyDisclosure {
  /** 32-byte K = esk·R. */
  readonly key: Uint8Array;
  /** 64-byte DLEQ proof that log_G(EPK) = log_R(K). */
  readonly proof: Uint8Array;
}

function disclosureProofContext(ctx: ShareEncryptionContext, receiver: number) {
  return { sessionId: ctx.sessionId, purpose: `${ctx.purpose}/disclosure`, dealer: ctx.dealer, receiver };
}

/** Receiver j reveals K_j = esk_j·R with a DLEQ proof, so anyone can re-check the disputed share. */
export function disclosePairwiseKey(
  ctx: ShareEncryptionContext,
  receiver: ShareRecipient,
  secretKey: bigint,
  ephemeral: Uint8Array,
  rng: RandomSource,
): PairwiseKeyDisclosure {
  const R = G.decode(ephemeral);
  const K = G.mul(R, secretKey);
  const epk = G.decode(receiver.publicKey);
  const proof = proveDleq(
    G,
    secretKey,
    { G: G.generator, A: epk, H: R, B: K },
    disclosureProofContext(ctx, receiver.index),
    rng,
  );
  return { key: G.encode(K), proof: encodeProof(G, proof) };
}

/** True iff the disclosure is well-formed and its DLEQ proof verifies. */
export function verifyDisclosure(
  ctx: ShareEncryptionContext,
  receiver: ShareRecipient,
  ephemeral: Uint8Array,
  disclosure: PairwiseKeyDisclosure,
): boolean {
  try {
    const st = {
      G: G.generator,
      A: G.decode(receiver.publicKey),
      H: G.decode(ephemeral),
      B: G.decode(disclosure.key),
    };
    return verifyDleq(G, st, decodeProof(G, disclosure.proof), disclosureProofContext(ctx, receiver.index));
  } catch {
    return false;
  }
}

/**
 * Anyone: verifies a disclosure, then decrypts the disputed ciphertext with it. Throws BAD_PROOF (the
 * complaint is bogus: blame the receiver) or DECRYPTION_FAILED (the ciphertext is bad: blame the dealer).
 */
export function decryptWithDisclosure(
  ctx: ShareEncryptionContext,
  receiver: ShareRecipient,
  ephemeral: Uint8Array,
  disclosure: PairwiseKeyDisclosure,
  ciphertext: Uint8Array,
): Uint8Array {
  if (!verifyDisclosure(ctx, receiver, ephemeral, disclosure)) {
    throw new OmegaError('BAD_PROOF', 'pairwise key disclosure does not verify', {
      culprits: [receiver.index],
    });
  }
  const K = G.decode(disclosure.key);
  try {
    return open(K, bindingInfo(ctx, receiver.index, ephemeral, receiver.publicKey), ciphertext);
  } catch (e) {
    throw new OmegaError('DECRYPTION_FAILED', 'disputed share does not decrypt: the dealer is at fault', {
      culprits: [ctx.dealer],
      cause: e,
    });
  }
}
