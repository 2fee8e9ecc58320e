/**
 * KEM/DEM envelope for payloads of any size (research/protocol-design.md §6.3: "tlock's 32-byte
 * plaintext limit: wrap a DEM key"). The IBE encrypts a fresh 32-byte data key to the identity (KEM);
 * AES-256-GCM under a key derived from it carries the payload (DEM). The byte format is versioned and
 * documented in docs/crypto.md, "Identity-based encryption (tlock-compatible)".
 *
 * Version 1 layout (all integers big-endian):
 *
 *   magic "OIBE" (4) ‖ version u8 = 1 ‖ u32 |ID| ‖ ID ‖ U (96) ‖ V (32) ‖ W (32) ‖ nonce (12)
 *   ‖ u32 |C| ‖ C = AES-256-GCM(K, nonce, payload, AAD = every byte before |C|)   (C includes the tag)
 *
 *   K = HKDF-SHA-256(IKM = data key, salt = "omega/ibe-envelope/v1",
 *                    info = lengthPrefixed("omega/ibe-envelope/v1/aead-key", ID, U), 32)
 *
 * Why: the header is the AEAD's associated data, so swapping the identity, the version or any IBE field
 * fails authentication; U in the KDF info ties K to this encapsulation; the FO check already rejects
 * any change of U, V, W. The data key is fresh per envelope, so the nonce never repeats under one key;
 * it is random anyway so that a repeated data key (a broken RNG) does not also repeat nonces.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Reader, Writer } from '../../codec.js';
import { OmegaError, invariant } from '../../errors.js';
import { equalBytes, lengthPrefixed, utf8 } from '../bytes.js';
import type { RandomSource } from '../rand.js';
import { G2_BYTES } from './curve.js';
import { ibe as defaultIbe } from './default.js';
import type { Ibe, IbeCiphertext } from './scheme.js';
import { IBE_MAX_IDENTITY_BYTES } from './scheme.js';

/** The first four bytes of every envelope (ASCII). */
export const ENVELOPE_MAGIC = 'OIBE';
const MAGIC_BYTES = utf8(ENVELOPE_MAGIC);
/** The only version this code writes and reads. */
export const ENVELOPE_VERSION = 1;
/** Largest payload of one envelope (16 MiB): larger data belongs in the erasure-coded vault. */
export const ENVELOPE_MAX_PLAINTEXT_BYTES = 16 * 1024 * 1024;

const DATA_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KDF_SALT = utf8('omega/ibe-envelope/v1');
const KDF_LABEL = utf8('omega/ibe-envelope/v1/aead-key');

/** A parsed envelope (structure and points checked; nothing decrypted). */
export interface ParsedEnvelope {
  readonly version: number;
  readonly identity: Uint8Array;
  /** The IBE ciphertext of the data key. */
  readonly kem: IbeCiphertext;
  readonly nonce: Uint8Array;
  /** AES-256-GCM ciphertext with its 16-byte tag. */
  readonly sealed: Uint8Array;
  /** The associated data: every byte before the length of `sealed`. */
  readonly header: Uint8Array;
}

function aeadKey(dataKey: Uint8Array, identity: Uint8Array, U: Uint8Array): Uint8Array {
  return hkdf(sha256, dataKey, KDF_SALT, lengthPrefixed(KDF_LABEL, identity, U), 32);
}

function writeHeader(identity: Uint8Array, kem: IbeCiphertext, nonce: Uint8Array): Uint8Array {
  return new Writer(256)
    .fixed(MAGIC_BYTES, MAGIC_BYTES.length)
    .u8(ENVELOPE_VERSION)
    .bytes(identity)
    .fixed(kem.U, G2_BYTES)
    .fixed(kem.V, DATA_KEY_BYTES)
    .fixed(kem.W, DATA_KEY_BYTES)
    .fixed(nonce, NONCE_BYTES)
    .finish();
}

/**
 * Encrypts `plaintext` (0..16 MiB) to `identity` under the master public key. `rng` supplies the data
 * key, σ and the nonce.
 *
 * @example
 * const env = encryptEnvelope(mpk, identityFor('mail', 'alice@example.org', '2026-01'), body, rng);
 * const { plaintext } = decryptEnvelope(identityKey, env);
 */
export function encryptEnvelope(
  masterPublicKey: Uint8Array,
  identity: Uint8Array,
  plaintext: Uint8Array,
  rng: RandomSource,
  scheme: Ibe = defaultIbe,
): Uint8Array {
  if (!(plaintext instanceof Uint8Array))
    throw new OmegaError('INVALID_ENCODING', 'plaintext: expected bytes');
  if (plaintext.length > ENVELOPE_MAX_PLAINTEXT_BYTES) {
    throw new OmegaError(
      'LIMIT_EXCEEDED',
      `plaintext of ${plaintext.length} bytes exceeds ${ENVELOPE_MAX_PLAINTEXT_BYTES}`,
    );
  }
  const dataKey = rng(DATA_KEY_BYTES);
  invariant(dataKey.length === DATA_KEY_BYTES, 'random source returned 32 bytes');
  const kem = scheme.encrypt(masterPublicKey, identity, dataKey, rng);
  const nonce = rng(NONCE_BYTES);
  invariant(nonce.length === NONCE_BYTES, 'random source returned 12 bytes');
  const header = writeHeader(identity, kem, nonce);
  const sealed = gcm(aeadKey(dataKey, identity, kem.U), nonce, header).encrypt(plaintext);
  dataKey.fill(0);
  return new Writer(header.length + sealed.length + 4).fixed(header, header.length).bytes(sealed).finish();
}

/**
 * Strict decoder: magic, supported version, identity length 1..1024, U a valid G2 point, sealed
 * length 16..16 MiB + 16, no trailing bytes. Throws INVALID_ENCODING, UNSUPPORTED_VERSION,
 * INVALID_LENGTH, LIMIT_EXCEEDED or a point-decoding code.
 */
export function parseEnvelope(bytes: Uint8Array, scheme: Ibe = defaultIbe): ParsedEnvelope {
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'envelope: expected bytes');
  const r = new Reader(bytes);
  const magic = r.fixed(MAGIC_BYTES.length);
  if (!equalBytes(magic, MAGIC_BYTES))
    throw new OmegaError('INVALID_ENCODING', 'not an IBE envelope (bad magic)');
  const version = r.u8();
  if (version !== ENVELOPE_VERSION) {
    throw new OmegaError('UNSUPPORTED_VERSION', `IBE envelope version ${version} is not supported`);
  }
  const identity = r.bytes(IBE_MAX_IDENTITY_BYTES);
  if (identity.length === 0) throw new OmegaError('INVALID_LENGTH', 'envelope identity is empty');
  const U = r.fixed(G2_BYTES);
  const V = r.fixed(DATA_KEY_BYTES);
  const W = r.fixed(DATA_KEY_BYTES);
  const nonce = r.fixed(NONCE_BYTES);
  const headerLength = bytes.length - r.remaining;
  const sealed = r.bytes(ENVELOPE_MAX_PLAINTEXT_BYTES + TAG_BYTES);
  if (sealed.length < TAG_BYTES)
    throw new OmegaError('INVALID_LENGTH', 'envelope ciphertext shorter than its tag');
  r.end();
  const kem = scheme.decodeCiphertext(scheme.encodeCiphertext({ U, V, W }));
  return { version, identity, kem, nonce, sealed, header: bytes.slice(0, headerLength) };
}

/** Options of {@link decryptEnvelope}. */
export interface DecryptEnvelopeOptions {
  /**
   * The identity the key was issued for. The identity in the header is the encryptor's claim: an
   * envelope whose KEM was made for identity A but whose header names B still opens with A's key (its
   * AEAD key was derived with B by the same encryptor). Passing the key's identity here rejects such
   * an envelope before any decryption (DECRYPTION_FAILED, "wrong context").
   */
  readonly expectedIdentity?: Uint8Array;
  /** The IBE backend (default: noble). */
  readonly scheme?: Ibe;
}

/**
 * Decrypts an envelope with the identity key of its identity (48-byte G1). Throws DECRYPTION_FAILED if
 * the key is not the identity's, if any byte was changed, or if the header names another identity
 * than `expectedIdentity`; decoding codes for malformed input.
 */
export function decryptEnvelope(
  identityKey: Uint8Array,
  envelope: Uint8Array,
  options: DecryptEnvelopeOptions = {},
): { readonly identity: Uint8Array; readonly plaintext: Uint8Array } {
  const scheme = options.scheme ?? defaultIbe;
  const env = parseEnvelope(envelope, scheme);
  if (options.expectedIdentity !== undefined && !equalBytes(options.expectedIdentity, env.identity)) {
    throw new OmegaError('DECRYPTION_FAILED', 'IBE envelope is addressed to another identity');
  }
  const dataKey = scheme.decrypt(identityKey, env.kem);
  invariant(dataKey.length === DATA_KEY_BYTES, 'the KEM carries a 32-byte data key');
  let plaintext: Uint8Array;
  try {
    plaintext = gcm(aeadKey(dataKey, env.identity, env.kem.U), env.nonce, env.header).decrypt(env.sealed);
  } catch (cause) {
    throw new OmegaError('DECRYPTION_FAILED', 'IBE envelope payload failed authentication', { cause });
  } finally {
    dataKey.fill(0);
  }
  return { identity: env.identity, plaintext };
}
