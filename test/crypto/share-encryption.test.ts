import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/bytes.js';
import { isOmegaError } from '../../src/errors.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import type { ShareEncryptionContext } from '../../src/crypto/share-encryption.js';
import {
  decryptShare,
  decryptWithDisclosure,
  disclosePairwiseKey,
  encryptShares,
  generateEpochKey,
  verifyDisclosure,
} from '../../src/crypto/share-encryption.js';

const ctx: ShareEncryptionContext = {
  sessionId: utf8('dkg/epoch-1/session-a'),
  purpose: 'dkg/deal',
  dealer: 1,
};

function setup(seed: string) {
  const rng = deterministicRandom(seed);
  const keys = [1, 2, 3, 4].map(() => generateEpochKey(rng));
  const recipients = keys.map((k, i) => ({ index: i + 1, publicKey: k.publicKey }));
  const plaintexts = recipients.map((r) => utf8(`share-for-${r.index}`));
  const enc = encryptShares(ctx, recipients, plaintexts, rng);
  return { rng, keys, recipients, plaintexts, enc };
}

describe('share encryption to epoch keys', () => {
  it('each receiver decrypts its own share', () => {
    const { keys, recipients, plaintexts, enc } = setup('se/roundtrip');
    recipients.forEach((r, i) => {
      expect(decryptShare(ctx, r, keys[i]!.secretKey, enc.ephemeral, enc.ciphertexts[i]!)).toEqual(
        plaintexts[i],
      );
    });
  });

  it('a tampered encrypted share fails to decrypt', () => {
    const { keys, recipients, enc } = setup('se/tamper');
    const c = enc.ciphertexts[0]!.slice();
    c[0]! ^= 1;
    expect(() => decryptShare(ctx, recipients[0]!, keys[0]!.secretKey, enc.ephemeral, c)).toThrowError(
      /DECRYPTION_FAILED/,
    );
  });

  it('a share bound to another session, dealer or receiver does not decrypt (context binding)', () => {
    const { keys, recipients, enc } = setup('se/context');
    const r = recipients[1]!;
    const sk = keys[1]!.secretKey;
    const c = enc.ciphertexts[1]!;
    expect(() => decryptShare({ ...ctx, sessionId: utf8('other') }, r, sk, enc.ephemeral, c)).toThrowError(
      /DECRYPTION_FAILED/,
    );
    expect(() => decryptShare({ ...ctx, dealer: 2 }, r, sk, enc.ephemeral, c)).toThrowError(
      /DECRYPTION_FAILED/,
    );
    expect(() => decryptShare(ctx, { ...r, index: 3 }, sk, enc.ephemeral, c)).toThrowError(
      /DECRYPTION_FAILED/,
    );
    // Receiver 3 cannot read receiver 2's ciphertext.
    expect(() => decryptShare(ctx, recipients[2]!, keys[2]!.secretKey, enc.ephemeral, c)).toThrowError(
      /DECRYPTION_FAILED/,
    );
  });

  it('a complaint disclosure lets anyone decrypt exactly the disputed share', () => {
    const { rng, keys, recipients, plaintexts, enc } = setup('se/complaint');
    const d = disclosePairwiseKey(ctx, recipients[2]!, keys[2]!.secretKey, enc.ephemeral, rng);
    expect(verifyDisclosure(ctx, recipients[2]!, enc.ephemeral, d)).toBe(true);
    expect(decryptWithDisclosure(ctx, recipients[2]!, enc.ephemeral, d, enc.ciphertexts[2]!)).toEqual(
      plaintexts[2],
    );
    // The disclosed key does not open another receiver's ciphertext.
    expect(() =>
      decryptWithDisclosure(ctx, recipients[2]!, enc.ephemeral, d, enc.ciphertexts[1]!),
    ).toThrowError(/DECRYPTION_FAILED/);
  });

  it('a false disclosure (wrong key or proof replayed under another session) is rejected and blames the receiver', () => {
    const { rng, keys, recipients, enc } = setup('se/false-complaint');
    const d = disclosePairwiseKey(ctx, recipients[0]!, keys[0]!.secretKey, enc.ephemeral, rng);
    const forged = { ...d, key: recipients[3]!.publicKey };
    expect(verifyDisclosure(ctx, recipients[0]!, enc.ephemeral, forged)).toBe(false);
    expect(verifyDisclosure({ ...ctx, sessionId: utf8('replayed') }, recipients[0]!, enc.ephemeral, d)).toBe(
      false,
    );
    try {
      decryptWithDisclosure(ctx, recipients[0]!, enc.ephemeral, forged, enc.ciphertexts[0]!);
      expect.unreachable();
    } catch (e) {
      expect(isOmegaError(e, 'BAD_PROOF')).toBe(true);
      expect((e as { culprits: number[] }).culprits).toEqual([1]);
    }
  });

  it('a dealer that encrypted garbage is blamed once the disclosure verifies', () => {
    const { rng, keys, recipients, enc } = setup('se/bad-dealer');
    const garbage = new Uint8Array(enc.ciphertexts[0]!.length).fill(7);
    const d = disclosePairwiseKey(ctx, recipients[0]!, keys[0]!.secretKey, enc.ephemeral, rng);
    try {
      decryptWithDisclosure(ctx, recipients[0]!, enc.ephemeral, d, garbage);
      expect.unreachable();
    } catch (e) {
      expect(isOmegaError(e, 'DECRYPTION_FAILED')).toBe(true);
      expect((e as { culprits: number[] }).culprits).toEqual([ctx.dealer]);
    }
  });

  it('malformed inputs throw typed errors', () => {
    const { keys, recipients, enc } = setup('se/malformed');
    expect(() =>
      decryptShare(ctx, recipients[0]!, keys[0]!.secretKey, new Uint8Array(31), enc.ciphertexts[0]!),
    ).toThrowError(/INVALID_LENGTH/);
    expect(() =>
      decryptShare(ctx, recipients[0]!, keys[0]!.secretKey, enc.ephemeral, new Uint8Array(3)),
    ).toThrowError(/INVALID_LENGTH/);
  });
});
