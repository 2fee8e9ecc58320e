/**
 * Ed25519 for the SDK: the platform's WebCrypto (`crypto.subtle`, algorithm "Ed25519") when it has it,
 * `@noble/curves` otherwise (docs/performance.md "Cluster throughput": pure-JS signing and verification
 * were most of the client's CPU per request; Node ≥ 18.4 and current browsers implement Ed25519 in
 * WebCrypto natively, ≈ 8× cheaper here).
 *
 * Ed25519 signatures are deterministic (RFC 8032 §5.1.6), so both paths produce identical bytes and a
 * request signed either way is the same envelope. Verification follows RFC 8032 §5.1.7 on both paths
 * (noble with `zip215: false`); an implementation that throws on a malformed input counts as "does not
 * verify". Browser-safe: Web APIs and noble only, no `node:` imports.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { toHex } from '../crypto/bytes.js';

/** PKCS #8 wrapping of a 32-byte Ed25519 seed (RFC 8410 §7): this fixed prefix, then the seed. */
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/** Imported public keys kept per signer (replica identity keys: a handful per cluster). */
const PUBLIC_KEYS_CACHED_MAX = 256;

export interface Ed25519Provider {
  /** Which implementation answered the feature test. */
  readonly name: 'webcrypto' | 'noble';
  sign(message: Uint8Array): Promise<Uint8Array>;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
}

/** The portable provider: `@noble/curves` (RFC 8032, strict verification). */
export function nobleEd25519(secretKey: Uint8Array): Ed25519Provider {
  const seed = secretKey.slice();
  return {
    name: 'noble',
    sign: (message) => Promise.resolve(ed25519.sign(message, seed)),
    verify: (signature, message, publicKey) => {
      try {
        return Promise.resolve(ed25519.verify(signature, message, publicKey, { zip215: false }));
      } catch {
        return Promise.resolve(false);
      }
    },
  };
}

/**
 * The fastest provider this platform has for `secretKey` (a 32-byte seed): WebCrypto if it imports the
 * key and its signature equals noble's on a probe message, noble otherwise. Never rejects.
 */
export async function loadEd25519(secretKey: Uint8Array): Promise<Ed25519Provider> {
  const fallback = nobleEd25519(secretKey);
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return fallback;
  try {
    const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + 32);
    pkcs8.set(PKCS8_PREFIX);
    pkcs8.set(secretKey, PKCS8_PREFIX.length);
    const privateKey = await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
    pkcs8.fill(0);
    const sign = async (message: Uint8Array): Promise<Uint8Array> =>
      new Uint8Array(await subtle.sign({ name: 'Ed25519' }, privateKey, message));
    // Known-answer check against the reference implementation before trusting the platform's.
    const probe = new TextEncoder().encode('omega/sdk/ed25519-probe/v1');
    const expected = await fallback.sign(probe);
    const got = await sign(probe);
    if (got.length !== 64 || !got.every((b, i) => b === expected[i])) return fallback;
    const keys = new Map<string, Promise<typeof privateKey>>();
    const importPublic = (publicKey: Uint8Array): Promise<typeof privateKey> => {
      const id = toHex(publicKey);
      let key = keys.get(id);
      if (key === undefined) {
        key = subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
        keys.set(id, key);
        if (keys.size > PUBLIC_KEYS_CACHED_MAX) keys.delete(keys.keys().next().value!);
      }
      return key;
    };
    return {
      name: 'webcrypto',
      sign,
      verify: async (signature, message, publicKey) => {
        if (signature.length !== 64 || publicKey.length !== 32) return false;
        try {
          return await subtle.verify({ name: 'Ed25519' }, await importPublic(publicKey), signature, message);
        } catch {
          // A public key the platform refuses to import (not a point): it verifies nothing. Forget it.
          keys.delete(toHex(publicKey));
          return false;
        }
      },
    };
  } catch {
    return fallback;
  }
}
