import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { memoizedEd25519Verify } from '../../src/api/ed25519.js';
import { deterministicRandom } from '../../src/crypto/rand.js';

const rand = deterministicRandom('ed25519-memo');
const seed = rand(32);
const publicKey = ed25519.getPublicKey(seed);
const message = rand(200);
const signature = ed25519.sign(message, seed);

describe('memoized Ed25519 verification', () => {
  it('answers exactly like a fresh check: a remembered success never vouches for other bytes', () => {
    const verify = memoizedEd25519Verify();
    expect(verify(publicKey, message, signature)).toBe(true);
    expect(verify(publicKey, message, signature)).toBe(true);
    const otherMessage = message.slice();
    otherMessage[199]! ^= 1;
    expect(verify(publicKey, otherMessage, signature)).toBe(false);
    const otherSignature = signature.slice();
    otherSignature[3]! ^= 1;
    expect(verify(publicKey, message, otherSignature)).toBe(false);
    expect(verify(ed25519.getPublicKey(rand(32)), message, signature)).toBe(false);
    // Boundary shifts between key, signature and message cannot collide with a cached entry.
    expect(
      verify(publicKey, message.subarray(1), Uint8Array.from([...signature.subarray(1), message[0]!])),
    ).toBe(false);
    expect(verify(publicKey.subarray(0, 31), message, signature)).toBe(false);
    expect(verify(publicKey, message, signature.subarray(0, 63))).toBe(false);
  });

  it('does not remember failures, and stays bounded (an evicted success is simply checked again)', () => {
    const verify = memoizedEd25519Verify(2);
    const bad = signature.slice();
    bad[0]! ^= 1;
    expect(verify(publicKey, message, bad)).toBe(false);
    expect(verify(publicKey, message, bad)).toBe(false);
    const messages = [rand(10), rand(20), rand(30)];
    for (const m of messages) expect(verify(publicKey, m, ed25519.sign(m, seed))).toBe(true);
    for (const m of messages) expect(verify(publicKey, m, ed25519.sign(m, seed))).toBe(true);
  });
});
