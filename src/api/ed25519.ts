/**
 * Ed25519 with `node:crypto` (OpenSSL): the native verifier and signer replicas use
 * (ARCHITECTURE.md D4: consensus and replica signatures use native Ed25519). OpenSSL verifies per
 * RFC 8032 §5.1.7 and rejects a non-canonical S, the rule every replica must share (src/core/machine
 * envelope.ts).
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Ed25519Verify } from '../core/machine/envelope.js';

// DER prefixes of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4) and a PKCS#8 private key (RFC 8410 §7).
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/**
 * Parsed keys of recent principals: importing a key costs about as much as a verification, and a
 * client sends many requests under one key. Bounded (oldest entry evicted first).
 */
const KEY_CACHE_ENTRIES_MAX = 4096;
const keyCache = new Map<string, KeyObject>();

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString('hex');
  let key = keyCache.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    if (keyCache.size >= KEY_CACHE_ENTRIES_MAX) keyCache.delete(keyCache.keys().next().value!);
    keyCache.set(id, key);
  }
  return key;
}

/** Native Ed25519 verification; returns false (never throws) on a malformed key or signature. */
export const nodeEd25519Verify: Ed25519Verify = (publicKey, message, signature) => {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
};

/** Successful verifications a {@link memoizedEd25519Verify} remembers by default. */
export const VERIFIED_CACHE_ENTRIES_DEFAULT = 16_384;

/**
 * {@link nodeEd25519Verify} remembering its successes. A replica checks one client envelope up to four
 * times — at the API, on admission to the mempool (or on gossip from a peer) and again when the block
 * holding it is applied (the machine re-checks every request because a Byzantine proposer may include
 * anything) — and each check is ≈ 0.2 ms of native verification, the largest per-request CPU item in the
 * replica profile (docs/performance.md). Verification is a pure function of (key, message, signature),
 * so a remembered success answers exactly as a fresh check would; the cache key is SHA-256 of
 * key ‖ signature ‖ message (fixed 32 + 64 byte prefix, so unambiguous). Failures are not remembered
 * (they cost an attacker as much as us). Bounded, oldest out.
 */
export function memoizedEd25519Verify(entriesMax: number = VERIFIED_CACHE_ENTRIES_DEFAULT): Ed25519Verify {
  const verified = new Set<string>();
  return (publicKey, message, signature) => {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    const id = createHash('sha256').update(publicKey).update(signature).update(message).digest('base64');
    if (verified.has(id)) return true;
    const valid = nodeEd25519Verify(publicKey, message, signature);
    if (valid) {
      verified.add(id);
      if (verified.size > entriesMax) verified.delete(verified.values().next().value!);
    }
    return valid;
  };
}

/** A native Ed25519 signer for a 32-byte secret seed (RFC 8032 §5.1.5). */
export function nodeEd25519Signer(secretSeed: Uint8Array): (message: Uint8Array) => Uint8Array {
  if (secretSeed.length !== 32) throw new RangeError('Ed25519 seed must be 32 bytes');
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, secretSeed]),
    format: 'der',
    type: 'pkcs8',
  });
  return (message) => new Uint8Array(sign(null, message, key));
}
