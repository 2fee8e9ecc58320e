/**
 * Canonical binary bodies of the three DKG transactions (src/codec.ts; byte layouts in docs/dkg.md
 * "Byte formats"). Decoders are strict — exact lengths, bounded counts, no trailing bytes — and check
 * only the *shape*; the cryptographic checks (points, proofs, counts against t and n) are the session's
 * (session.ts), which knows the parameters and names the sender.
 *
 * Every body starts with a kind byte and the 32-byte session id, so a body of one kind is never read as
 * another and a body of another session is refused before anything else is looked at.
 */
import { Reader, Writer } from '../../../codec.js';
import { G2_BYTES } from '../../../crypto/bls/encoding.js';
import { MAX_SHARE_INDEX } from '../../../crypto/field.js';
import { SHARE_TAG_BYTES } from '../../../crypto/share-encryption.js';
import { OmegaError } from '../../../errors.js';
import { SESSION_ID_BYTES } from './params.js';

/** Kind byte of each body (version 1 of the formats). */
export const DKG_BODY_KIND = { epochKey: 0x01, deal: 0x02, complaint: 0x03 } as const;

/** The three service keys one session produces, in the order they appear in a deal. */
export const DKG_KEYS = ['signing', 'ibe', 'certificate'] as const;
export type DkgKeyName = (typeof DKG_KEYS)[number];

/** Encoded element length of each key's group: BLS12-381 G2 (96 B) for BLS keys, ed25519 (32 B) for FROST. */
export const KEY_ELEMENT_BYTES: Readonly<Record<DkgKeyName, number>> = {
  signing: G2_BYTES,
  ibe: G2_BYTES,
  certificate: 32,
};

/** Bytes of one share plaintext: the receiver's three 32-byte shares, in {@link DKG_KEYS} order. */
export const SHARE_PLAINTEXT_BYTES = 96;
/** Bytes of one share ciphertext (ChaCha20-Poly1305 over the plaintext). */
export const SHARE_CIPHERTEXT_BYTES = SHARE_PLAINTEXT_BYTES + SHARE_TAG_BYTES;
/** Bytes of a Schnorr proof or DLEQ proof (c || z). */
export const PROOF_BYTES = 64;
/** Bytes of a ristretto255 element (epoch keys, the ephemeral key, a disclosed pairwise key). */
export const RISTRETTO_BYTES = 32;
/** Largest commitment vector the decoder reads (the session then requires exactly t+1). */
export const COMMITMENTS_MAX = MAX_SHARE_INDEX + 1;

/** EPOCH_KEY{sid, epk}. */
export interface EpochKeyMessage {
  readonly sessionId: Uint8Array;
  /** ristretto255 epoch public key. */
  readonly epochKey: Uint8Array;
}

/** One key's part of a deal: Feldman commitments C_0..C_t and a Schnorr PoK of log(C_0). */
export interface DealKeyPart {
  readonly commitments: readonly Uint8Array[];
  readonly proof: Uint8Array;
}

/** DEAL{sid, per key: commitments + PoK; one ephemeral R; n ciphertexts}. */
export interface DealMessage {
  readonly sessionId: Uint8Array;
  readonly keys: Readonly<Record<DkgKeyName, DealKeyPart>>;
  /** ristretto255 R = r·G of the share encryption. */
  readonly ephemeral: Uint8Array;
  /** Ciphertext to receiver j at position j-1. */
  readonly ciphertexts: readonly Uint8Array[];
}

/** COMPLAINT{sid, dealer, disclosure K_ij + DLEQ proof}. */
export interface ComplaintMessage {
  readonly sessionId: Uint8Array;
  readonly dealer: number;
  /** K = esk_j·R_i (ristretto255). */
  readonly key: Uint8Array;
  /** DLEQ proof that log_G(EPK_j) = log_R(K). */
  readonly proof: Uint8Array;
}

function readHeader(r: Reader, kind: number, what: string): Uint8Array {
  const k = r.u8();
  if (k !== kind) throw new OmegaError('INVALID_ENCODING', `not a ${what} body (kind ${k})`);
  return r.fixed(SESSION_ID_BYTES);
}

function decodeStrict<T>(bytes: Uint8Array, read: (r: Reader) => T): T {
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'body must be bytes');
  const r = new Reader(bytes);
  const v = read(r);
  r.end();
  return v;
}

export function encodeEpochKey(m: EpochKeyMessage): Uint8Array {
  return new Writer()
    .u8(DKG_BODY_KIND.epochKey)
    .fixed(m.sessionId, SESSION_ID_BYTES)
    .fixed(m.epochKey, RISTRETTO_BYTES)
    .finish();
}

export function decodeEpochKey(bytes: Uint8Array): EpochKeyMessage {
  return decodeStrict(bytes, (r) => ({
    sessionId: readHeader(r, DKG_BODY_KIND.epochKey, 'EPOCH_KEY'),
    epochKey: r.fixed(RISTRETTO_BYTES),
  }));
}

export function encodeDeal(m: DealMessage): Uint8Array {
  const w = new Writer(4096).u8(DKG_BODY_KIND.deal).fixed(m.sessionId, SESSION_ID_BYTES);
  for (const key of DKG_KEYS) {
    const part = m.keys[key];
    w.array(part.commitments, (ww, c) => ww.fixed(c, KEY_ELEMENT_BYTES[key]));
    w.fixed(part.proof, PROOF_BYTES);
  }
  w.fixed(m.ephemeral, RISTRETTO_BYTES);
  w.array(m.ciphertexts, (ww, c) => ww.fixed(c, SHARE_CIPHERTEXT_BYTES));
  return w.finish();
}

export function decodeDeal(bytes: Uint8Array): DealMessage {
  return decodeStrict(bytes, (r) => {
    const sessionId = readHeader(r, DKG_BODY_KIND.deal, 'DEAL');
    const keys = {} as Record<DkgKeyName, DealKeyPart>;
    for (const key of DKG_KEYS) {
      const commitments = r.array(COMMITMENTS_MAX, (rr) => rr.fixed(KEY_ELEMENT_BYTES[key]));
      keys[key] = { commitments, proof: r.fixed(PROOF_BYTES) };
    }
    const ephemeral = r.fixed(RISTRETTO_BYTES);
    const ciphertexts = r.array(MAX_SHARE_INDEX, (rr) => rr.fixed(SHARE_CIPHERTEXT_BYTES));
    return { sessionId, keys, ephemeral, ciphertexts };
  });
}

export function encodeComplaint(m: ComplaintMessage): Uint8Array {
  return new Writer()
    .u8(DKG_BODY_KIND.complaint)
    .fixed(m.sessionId, SESSION_ID_BYTES)
    .u16(m.dealer)
    .fixed(m.key, RISTRETTO_BYTES)
    .fixed(m.proof, PROOF_BYTES)
    .finish();
}

export function decodeComplaint(bytes: Uint8Array): ComplaintMessage {
  return decodeStrict(bytes, (r) => ({
    sessionId: readHeader(r, DKG_BODY_KIND.complaint, 'COMPLAINT'),
    dealer: r.u16(),
    key: r.fixed(RISTRETTO_BYTES),
    proof: r.fixed(PROOF_BYTES),
  }));
}
