/**
 * The signature verifier the registry's pure core needs (`KeySignatureVerify`, src/core/registry/keys.ts),
 * implemented with `node:crypto` (OpenSSL): PureEdDSA for Ed25519 (RFC 8032 §5.1.7), ECDSA-SHA-256 with a
 * DER signature for P-256 and secp256k1, RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt for RSA
 * (RFC 8017 §8.1.2). Every replica of a cluster must use this same function (docs/registry.md).
 */
import { constants, createPublicKey, verify } from 'node:crypto';
import type { KeySignatureVerify, PublicKeyInfo } from '../../core/registry/keys.js';

/** RSA-PSS salt length used by Omega's proof-of-possession and revocation signatures. */
export const RSA_PSS_SALT_BYTES = 32;

/** Verifies `signature` on `message` under a validated registry key; false (never a throw) if invalid. */
export const nodeKeySignatureVerify: KeySignatureVerify = (
  key: PublicKeyInfo,
  message: Uint8Array,
  signature: Uint8Array,
): boolean => {
  try {
    const publicKey = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
    switch (key.type) {
      case 'ed25519':
        return verify(null, message, publicKey, signature);
      case 'p256':
      case 'secp256k1':
        return verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, signature);
      case 'rsa':
        return verify(
          'sha256',
          message,
          { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: RSA_PSS_SALT_BYTES },
          signature,
        );
      case 'x25519':
        return false;
      default:
        return false;
    }
  } catch {
    return false;
  }
};
