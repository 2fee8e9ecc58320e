/**
 * Key fixtures for the registry tests: one key pair per type, deterministic (seeded) except RSA, which is
 * a stored PEM (RSA key generation is too slow for a test). Signing uses @noble/curves (Ed25519, ECDSA,
 * RFC 6979 deterministic) and node:crypto (RSA-PSS).
 */
import { constants, createPrivateKey, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../../src/crypto/bytes.js';
import type { PublicKeyInfo, RegistryKeyType } from '../../src/core/registry/keys.js';
import { parsePublicKey, publicKeyFromRaw } from '../../src/core/registry/keys.js';

const vectors = new URL('../vectors/registry/', import.meta.url);

export function readVector(name: string): string {
  return readFileSync(new URL(name, vectors), 'utf8');
}

export const RSA_PRIMES = JSON.parse(readVector('rsa-primes.json')) as Record<string, string>;

/** DER body of a PEM block. */
export function pemToDer(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

export interface TestKey {
  readonly info: PublicKeyInfo;
  /** Signs with the key's registry scheme (undefined for X25519). */
  readonly sign?: (message: Uint8Array) => Uint8Array;
}

function seed32(label: string): Uint8Array {
  return sha256(utf8(`omega/test/registry/${label}`));
}

/** A deterministic key of each type (`label` varies the seed). */
export function testKey(type: RegistryKeyType, label = 'a'): TestKey {
  const s = seed32(`${type}/${label}`);
  switch (type) {
    case 'ed25519':
      return {
        info: publicKeyFromRaw('ed25519', ed25519.getPublicKey(s)),
        sign: (m) => ed25519.sign(m, s),
      };
    case 'x25519':
      return { info: publicKeyFromRaw('x25519', x25519.getPublicKey(s)) };
    case 'p256':
      return {
        info: publicKeyFromRaw('p256', p256.getPublicKey(s, false)),
        sign: (m) => p256.sign(m, s, { format: 'der' }),
      };
    case 'secp256k1':
      return {
        info: publicKeyFromRaw('secp256k1', secp256k1.getPublicKey(s, false)),
        sign: (m) => secp256k1.sign(m, s, { format: 'der' }),
      };
    case 'rsa': {
      const priv = createPrivateKey(readVector('rsa2048.key.pem'));
      return {
        info: parsePublicKey(pemToDer(readVector('rsa2048.pub.pem'))),
        sign: (m) =>
          new Uint8Array(
            nodeSign('sha256', m, { key: priv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
          ),
      };
    }
    default:
      throw new Error(`no fixture for ${String(type)}`);
  }
}
