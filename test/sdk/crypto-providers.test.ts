import { ed25519 } from '@noble/curves/ed25519.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BLS_SIG_DST } from '../../src/crypto/bls/encoding.js';
import { loadBlsBackend, nobleBackend } from '../../src/crypto/bls/index.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { loadEd25519, nobleEd25519 } from '../../src/sdk/ed25519.js';
import { blsBackendVerify, nobleServiceVerify } from '../../src/sdk/index.js';

const rand = deterministicRandom('sdk-crypto-providers');
const seed = rand(32);
const publicKey = ed25519.getPublicKey(seed);
const message = new TextEncoder().encode('omega/test/message');

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('SDK Ed25519 providers', () => {
  it('uses WebCrypto on Node 20 and signs exactly what noble signs (deterministic RFC 8032 signatures)', async () => {
    const provider = await loadEd25519(seed);
    expect(provider.name).toBe('webcrypto');
    for (let i = 0; i < 5; i++) {
      const m = rand(1 + i * 37);
      expect(await provider.sign(m)).toEqual(ed25519.sign(m, seed));
    }
  });

  it('both providers accept a valid signature and refuse a changed message, signature or key', async () => {
    for (const provider of [await loadEd25519(seed), nobleEd25519(seed)]) {
      const sig = await provider.sign(message);
      expect(await provider.verify(sig, message, publicKey)).toBe(true);
      const flipped = sig.slice();
      flipped[10]! ^= 1;
      expect(await provider.verify(flipped, message, publicKey), provider.name).toBe(false);
      expect(await provider.verify(sig, new Uint8Array([1, 2, 3]), publicKey), provider.name).toBe(false);
      const other = ed25519.getPublicKey(rand(32));
      expect(await provider.verify(sig, message, other), provider.name).toBe(false);
      // Malformed inputs verify nothing; they never throw.
      expect(await provider.verify(sig.subarray(0, 63), message, publicKey), provider.name).toBe(false);
      expect(await provider.verify(sig, message, new Uint8Array(31)), provider.name).toBe(false);
      expect(await provider.verify(sig, message, new Uint8Array(32).fill(0xff)), provider.name).toBe(false);
    }
  });

  it('falls back to noble where the platform has no WebCrypto', async () => {
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: real.getRandomValues.bind(real) });
    const provider = await loadEd25519(seed);
    expect(provider.name).toBe('noble');
    expect(await provider.sign(message)).toEqual(ed25519.sign(message, seed));
  });

  it('falls back to noble where WebCrypto lacks Ed25519', async () => {
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', {
      getRandomValues: real.getRandomValues.bind(real),
      subtle: { importKey: () => Promise.reject(new Error('NotSupportedError')) },
    });
    expect((await loadEd25519(seed)).name).toBe('noble');
  });

  it('refuses a platform whose signatures disagree with the reference (known-answer probe)', async () => {
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', {
      getRandomValues: real.getRandomValues.bind(real),
      subtle: {
        importKey: real.subtle.importKey.bind(real.subtle),
        sign: () => Promise.resolve(new Uint8Array(64).buffer),
      },
    });
    expect((await loadEd25519(seed)).name).toBe('noble');
  });
});

describe('SDK service-signature verifiers', () => {
  const sk = 0x1234567890abcdefn;
  const pk = nobleBackend.g2MulBase(sk);
  const statement = new TextEncoder().encode('omega/block-results/v1 test statement');
  const signature = nobleBackend.signG1(statement, BLS_SIG_DST, sk);

  it('noble, a noble backend and the mcl backend agree on valid, forged and malformed signatures', async () => {
    const mcl = await loadBlsBackend({ prefer: 'mcl' });
    const verifiers = [nobleServiceVerify(pk), blsBackendVerify(nobleBackend), blsBackendVerify(mcl)];
    const otherSig = nobleBackend.signG1(statement, BLS_SIG_DST, sk + 1n);
    const garbage = new Uint8Array(48).fill(0x01);
    for (const verify of verifiers) {
      expect(verify(pk, statement, signature)).toBe(true);
      expect(verify(pk, statement, otherSig)).toBe(false);
      expect(verify(pk, new Uint8Array([1]), signature)).toBe(false);
    }
    // The backend verifiers turn a malformed encoding into "does not verify".
    expect(blsBackendVerify(mcl)(pk, statement, garbage)).toBe(false);
    expect(blsBackendVerify(nobleBackend)(pk, statement, garbage)).toBe(false);
  });
});
