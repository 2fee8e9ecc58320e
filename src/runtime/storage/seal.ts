/**
 * Sealing of the replica's secret side at rest (ARCHITECTURE.md D12; docs/storage.md "Sealed secrets").
 *
 * A store has a *seal header* written once at creation: a random 16-byte store id, the KDF and its
 * parameters, a random 16-byte salt, and a key-check blob. The sealing key is
 *
 *     ikm = scrypt(passphrase, salt, N, r, p)          (passphrase; RFC 7914)
 *     ikm = keyFileBytes                               (key file of 32 random bytes)
 *     key = HKDF-SHA256(ikm, salt, info = LP("omega/storage/seal-key/v1", kdf, storeId), 32)   (RFC 5869)
 *
 * and each secret is sealed with AES-256-GCM (NIST SP 800-38D; native in `node:crypto`, ARCHITECTURE.md D3)
 * under a fresh random 96-bit nonce, with the associated data LP("omega/storage/secret/v1", storeId, name).
 * Binding the store id and the name means a sealed blob moved to another name or another store does not
 * open (DECRYPTION_FAILED) — it cannot be swapped. The key check (a sealed constant under its own label)
 * tells a wrong operator secret apart at open (WRONG_OPERATOR_SECRET) instead of failing later on a
 * secret, or worse, returning garbage.
 *
 * Random 96-bit nonces are safe for up to 2^32 seals under one key (SP 800-38D §8.3); a replica seals a few
 * secrets per epoch.
 */
import {
  createCipheriv,
  createDecipheriv,
  hkdfSync,
  randomBytes,
  scrypt as scryptCallback,
  type ScryptOptions,
} from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import type { Reader } from '../../codec.js';
import { Writer, decodeAll } from '../../codec.js';
import { concatBytes, lengthPrefixed, utf8 } from '../../crypto/bytes.js';
import type { RandomSource } from '../../crypto/rand.js';
import { OmegaError } from '../../errors.js';
import { SCRYPT_LIMITS } from '../limits.js';
import type { OperatorSecret } from './types.js';

const HEADER_VERSION = 1;
const SEALED_VERSION = 1;
const STORE_ID_BYTES = 16;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Size of a key file (256 bits, the AES-256 key size). */
export const OPERATOR_KEY_FILE_BYTES = 32;

const KDF_SCRYPT = 1;
const KDF_KEY_FILE = 2;

const TAG_SEAL_KEY = utf8('omega/storage/seal-key/v1');
const TAG_SECRET = utf8('omega/storage/secret/v1');
const TAG_KEY_CHECK = utf8('omega/storage/key-check/v1');
const KEY_CHECK_PLAINTEXT = utf8('omega sealed store key check');

/** The random CSPRNG used when no {@link RandomSource} is injected. */
export const systemRandom: RandomSource = (n) => new Uint8Array(randomBytes(n));

/** Decoded seal header (stored in clear: nothing in it is secret). */
export interface SealHeader {
  readonly storeId: Uint8Array;
  readonly kdf: typeof KDF_SCRYPT | typeof KDF_KEY_FILE;
  readonly salt: Uint8Array;
  readonly scryptLogN: number;
  readonly keyCheck: Uint8Array;
}

/** Options that apply when a store is created (recorded in its header). */
export interface SealCreateOptions {
  /** scrypt cost log2(N) for passphrase stores (default SCRYPT_LIMITS.logNDefault). */
  readonly scryptLogN?: number;
}

/** The sealing key of one open store. Holds the key only in memory; {@link destroy} wipes it. */
export class Sealer {
  private constructor(
    readonly storeId: Uint8Array,
    private key: Uint8Array,
    private readonly random: RandomSource,
  ) {}

  /** Creates a new header (fresh store id and salt) and the sealer for it. */
  static async create(
    secret: OperatorSecret,
    random: RandomSource,
    options: SealCreateOptions = {},
  ): Promise<{ sealer: Sealer; header: Uint8Array }> {
    const kdf = secret.kind === 'passphrase' ? KDF_SCRYPT : KDF_KEY_FILE;
    const scryptLogN = kdf === KDF_SCRYPT ? (options.scryptLogN ?? SCRYPT_LIMITS.logNDefault) : 0;
    if (kdf === KDF_SCRYPT) checkLogN(scryptLogN);
    const storeId = random(STORE_ID_BYTES);
    const salt = random(SALT_BYTES);
    const key = await deriveKey(secret, kdf, salt, scryptLogN, storeId);
    const sealer = new Sealer(storeId, key, random);
    const keyCheck = sealer.sealWith(KEY_CHECK_PLAINTEXT, keyCheckAd(storeId));
    return { sealer, header: encodeHeader({ storeId, kdf, salt, scryptLogN, keyCheck }) };
  }

  /** Opens an existing header; WRONG_OPERATOR_SECRET if `secret` is not the one it was created with. */
  static async open(secret: OperatorSecret, headerBytes: Uint8Array, random: RandomSource): Promise<Sealer> {
    const header = decodeHeader(headerBytes);
    const expectedKdf = secret.kind === 'passphrase' ? KDF_SCRYPT : KDF_KEY_FILE;
    if (header.kdf !== expectedKdf) {
      throw new OmegaError(
        'WRONG_OPERATOR_SECRET',
        `this store is sealed with a ${header.kdf === KDF_SCRYPT ? 'passphrase' : 'key file'}`,
      );
    }
    const key = await deriveKey(secret, header.kdf, header.salt, header.scryptLogN, header.storeId);
    const sealer = new Sealer(header.storeId, key, random);
    let check: Uint8Array;
    try {
      check = sealer.openWith(header.keyCheck, keyCheckAd(header.storeId));
    } catch {
      sealer.destroy();
      throw new OmegaError('WRONG_OPERATOR_SECRET', 'the operator secret does not open this store');
    }
    if (Buffer.compare(check, KEY_CHECK_PLAINTEXT) !== 0) {
      sealer.destroy();
      throw new OmegaError('STORAGE_CORRUPT', 'key check opened to an unexpected value');
    }
    return sealer;
  }

  /** Seals a named secret: version || nonce || ciphertext || tag. */
  seal(name: string, plaintext: Uint8Array): Uint8Array {
    return this.sealWith(plaintext, secretAd(this.storeId, name));
  }

  /** Opens a named secret; DECRYPTION_FAILED if the blob is tampered, truncated or sealed for another name. */
  open(name: string, sealed: Uint8Array): Uint8Array {
    try {
      return this.openWith(sealed, secretAd(this.storeId, name));
    } catch (cause) {
      throw new OmegaError('DECRYPTION_FAILED', `sealed secret "${name}" does not open in this store`, {
        cause,
      });
    }
  }

  /** Overwrites the key in memory. The sealer is unusable afterwards. */
  destroy(): void {
    this.key.fill(0);
    this.key = new Uint8Array(0);
  }

  private sealWith(plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
    const nonce = this.random(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(ad);
    const body = concatBytes(cipher.update(plaintext), cipher.final());
    return concatBytes(Uint8Array.of(SEALED_VERSION), nonce, body, cipher.getAuthTag());
  }

  private openWith(sealed: Uint8Array, ad: Uint8Array): Uint8Array {
    if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== SEALED_VERSION) {
      throw new OmegaError('INVALID_ENCODING', 'not a sealed blob of a known version');
    }
    if (this.key.length !== KEY_BYTES) throw new OmegaError('STORAGE_CLOSED', 'sealer destroyed');
    const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
    const body = sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(ad);
    decipher.setAuthTag(tag);
    // final() throws on a bad tag; the partial output of update() is discarded with it.
    const out = concatBytes(decipher.update(body), decipher.final());
    return out;
  }
}

/**
 * Reads an operator key file: exactly 32 bytes, not readable by group or others (like ssh refuses a
 * private key file with loose permissions).
 */
export function readOperatorKeyFile(path: string): OperatorSecret {
  const mode = statSync(path).mode;
  if ((mode & 0o077) !== 0) {
    throw new OmegaError(
      'INVALID_ARGUMENT',
      `operator key file ${path} must not be accessible by group or others`,
    );
  }
  const key = new Uint8Array(readFileSync(path));
  if (key.length !== OPERATOR_KEY_FILE_BYTES) {
    throw new OmegaError('INVALID_LENGTH', `operator key file must hold ${OPERATOR_KEY_FILE_BYTES} bytes`);
  }
  return { kind: 'keyFile', key };
}

/** Writes a new operator key file of 32 random bytes with mode 0600; fails if the file exists. */
export function writeOperatorKeyFile(path: string, random: RandomSource = systemRandom): void {
  writeFileSync(path, random(OPERATOR_KEY_FILE_BYTES), { mode: 0o600, flag: 'wx' });
}

async function deriveKey(
  secret: OperatorSecret,
  kdf: number,
  salt: Uint8Array,
  scryptLogN: number,
  storeId: Uint8Array,
): Promise<Uint8Array> {
  let ikm: Uint8Array;
  if (secret.kind === 'passphrase') {
    if (typeof secret.passphrase !== 'string' || secret.passphrase.length === 0) {
      throw new OmegaError('INVALID_ARGUMENT', 'the operator passphrase must be a non-empty string');
    }
    // NFKC so the same passphrase typed on different systems derives the same key (RFC 8265 §4).
    ikm = await scryptAsync(utf8(secret.passphrase.normalize('NFKC')), salt, scryptLogN);
  } else {
    if (!(secret.key instanceof Uint8Array) || secret.key.length !== OPERATOR_KEY_FILE_BYTES) {
      throw new OmegaError('INVALID_LENGTH', `an operator key file holds ${OPERATOR_KEY_FILE_BYTES} bytes`);
    }
    ikm = secret.key;
  }
  const info = lengthPrefixed(TAG_SEAL_KEY, Uint8Array.of(kdf), storeId);
  const key = new Uint8Array(hkdfSync('sha256', ikm, salt, info, KEY_BYTES));
  if (secret.kind === 'passphrase') ikm.fill(0);
  return key;
}

function scryptAsync(password: Uint8Array, salt: Uint8Array, logN: number): Promise<Uint8Array> {
  const N = 2 ** logN;
  const options: ScryptOptions = {
    N,
    r: SCRYPT_LIMITS.r,
    p: SCRYPT_LIMITS.p,
    // scrypt needs 128·N·r bytes; raise Node's 32 MiB default accordingly (RFC 7914 §2).
    maxmem: 128 * N * SCRYPT_LIMITS.r + (1 << 20),
  };
  return new Promise((resolve, reject) => {
    // The async form runs on the libuv thread pool: a 0.3 s derivation does not stall the event loop.
    scryptCallback(password, salt, KEY_BYTES, options, (err, key) => {
      if (err) reject(err);
      else resolve(new Uint8Array(key));
    });
  });
}

function checkLogN(logN: number): void {
  if (!Number.isInteger(logN) || logN < SCRYPT_LIMITS.logNMin || logN > SCRYPT_LIMITS.logNMax) {
    throw new OmegaError(
      'OUT_OF_RANGE',
      `scrypt log2(N) must be in [${SCRYPT_LIMITS.logNMin}, ${SCRYPT_LIMITS.logNMax}], got ${logN}`,
    );
  }
}

function secretAd(storeId: Uint8Array, name: string): Uint8Array {
  return lengthPrefixed(TAG_SECRET, storeId, utf8(name));
}

function keyCheckAd(storeId: Uint8Array): Uint8Array {
  return lengthPrefixed(TAG_KEY_CHECK, storeId);
}

/** Header: u8 version, 16-byte store id, u8 kdf, 16-byte salt, u8 scrypt log2 N, bytes key check. */
function encodeHeader(h: SealHeader): Uint8Array {
  return new Writer()
    .u8(HEADER_VERSION)
    .fixed(h.storeId, STORE_ID_BYTES)
    .u8(h.kdf)
    .fixed(h.salt, SALT_BYTES)
    .u8(h.scryptLogN)
    .bytes(h.keyCheck)
    .finish();
}

/** Decodes and validates a header; STORAGE_CORRUPT for anything Omega did not write. */
export function decodeHeader(bytes: Uint8Array): SealHeader {
  try {
    return decodeAll(bytes, (r: Reader): SealHeader => {
      const version = r.u8();
      if (version !== HEADER_VERSION) throw new OmegaError('INVALID_ENCODING', `header version ${version}`);
      const storeId = r.fixed(STORE_ID_BYTES);
      const kdf = r.u8();
      if (kdf !== KDF_SCRYPT && kdf !== KDF_KEY_FILE) throw new OmegaError('INVALID_ENCODING', `kdf ${kdf}`);
      const salt = r.fixed(SALT_BYTES);
      const scryptLogN = r.u8();
      if (kdf === KDF_SCRYPT) checkLogN(scryptLogN);
      else if (scryptLogN !== 0) throw new OmegaError('NON_CANONICAL', 'key-file header with scrypt cost');
      const keyCheck = r.bytes(256);
      return { storeId, kdf, salt, scryptLogN, keyCheck };
    });
  } catch (cause) {
    throw new OmegaError('STORAGE_CORRUPT', 'the seal header of this store is malformed', { cause });
  }
}
