/**
 * Replica identities for tests, the simulator and benchmarks: real Ed25519 from `node:crypto` (RFC 8032,
 * OpenSSL) or a cheap keyed-hash stand-in that keeps the simulator's CI runs fast.
 *
 * The cheap scheme is *not* a signature scheme: verification consults the key set's table of secrets.
 * It models exactly the assumption Tendermint makes (Byzantine replicas cannot forge correct replicas'
 * signatures, overview.md "non-masquerading") at a hash's cost. `--crypto ed25519` runs the real thing.
 */
import {
  type KeyObject,
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as edSign,
  verify as edVerify,
} from 'node:crypto';
import { toHex } from '../src/crypto/bytes.js';
import type { Signer, Verifier } from '../src/core/consensus/index.js';

export interface Identity {
  readonly publicKey: Uint8Array;
  readonly sign: Signer;
}

export interface KeySet {
  readonly identities: readonly Identity[];
  readonly verify: Verifier;
  readonly kind: 'ed25519' | 'cheap';
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function seedBytes(seed: string, i: number): Buffer {
  return createHash('sha256').update(`omega/sim/key/v1|${seed}|${i}`).digest();
}

/** Real Ed25519 keys derived from (seed, i), signing and verifying with node:crypto. */
export function ed25519Keys(n: number, seed: string): KeySet {
  const identities: Identity[] = [];
  for (let i = 0; i < n; i++) {
    const priv = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, seedBytes(seed, i)]),
      format: 'der',
      type: 'pkcs8',
    });
    const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' });
    const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
    identities.push({ publicKey, sign: (m) => new Uint8Array(edSign(null, m, priv)) });
  }
  return { identities, verify: ed25519Verify, kind: 'ed25519' };
}

const keyCache = new Map<string, KeyObject>();

/**
 * Ed25519 verification of a raw 32-byte public key with node:crypto. Key objects are cached per key (a
 * committee is small), since building one from DER costs more than the verification itself.
 */
export const ed25519Verify: Verifier = (publicKey, message, signature) => {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const hex = toHex(publicKey);
    let key = keyCache.get(hex);
    if (key === undefined) {
      key = createPublicKey({
        key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]),
        format: 'der',
        type: 'spki',
      });
      if (keyCache.size < 4096) keyCache.set(hex, key);
    }
    return edVerify(null, message, key, signature);
  } catch {
    return false;
  }
};

/** Keyed-hash stand-in: signature = SHA-512(secret ‖ message); verify looks the secret up. */
export function cheapKeys(n: number, seed: string): KeySet {
  const secrets = new Map<string, Buffer>();
  const identities: Identity[] = [];
  for (let i = 0; i < n; i++) {
    const secret = seedBytes(seed, i);
    const publicKey = new Uint8Array(
      createHash('sha256').update('omega/sim/cheap-pk/v1').update(secret).digest(),
    );
    secrets.set(toHex(publicKey), secret);
    identities.push({ publicKey, sign: (m) => mac(secret, m) });
  }
  const verify: Verifier = (publicKey, message, signature) => {
    const secret = secrets.get(toHex(publicKey));
    if (secret === undefined || signature.length !== 64) return false;
    return Buffer.from(mac(secret, message)).equals(Buffer.from(signature));
  };
  return { identities, verify, kind: 'cheap' };
}

function mac(secret: Buffer, m: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha512').update(secret).update(m).digest());
}
