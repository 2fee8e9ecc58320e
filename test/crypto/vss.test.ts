import { describe, expect, it } from 'vitest';
import { shareIndex } from '../../src/crypto/field.js';
import { G2, RISTRETTO255, SECP256K1 } from '../../src/crypto/group.js';
import { interpolateScalarAtZero } from '../../src/crypto/poly.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import {
  batchVerifyShares,
  checkCommitments,
  deal,
  decodeCommitments,
  publicShare,
  verifyShare,
} from '../../src/crypto/vss.js';

describe('Feldman VSS', () => {
  it.each([
    ['ristretto255', RISTRETTO255],
    ['secp256k1', SECP256K1],
  ] as const)('%s: every share verifies and any t+1 reconstruct the secret', (_n, group: any) => {
    const rng = deterministicRandom(`vss/${group.name}`);
    const d: any = deal(group, { threshold: 2, parties: 5, secret: 12345n }, rng);
    expect(d.commitments).toHaveLength(3);
    for (const s of d.shares) expect(verifyShare(group, d.commitments, s)).toBe(true);
    expect(interpolateScalarAtZero(group.field, [d.shares[4]!, d.shares[0]!, d.shares[2]!])).toBe(12345n);
    expect(
      group.equals(publicShare(group, d.commitments, shareIndex(3)), group.mulBase(d.shares[2]!.value)),
    ).toBe(true);
  });

  it('a bad share is detected and attributed to its dealer (batch falls back to individual checks)', () => {
    const rng = deterministicRandom('vss/batch');
    const group = RISTRETTO255;
    const dealings = [1, 2, 3, 4].map(() => deal(group, { threshold: 1, parties: 4 }, rng));
    const checks = dealings.map((d, i) => ({
      commitments: d.commitments,
      share: d.shares[1]!,
      sender: i + 1,
    }));
    expect(batchVerifyShares(group, checks, rng)).toEqual([]);
    const tampered = checks.map((c) =>
      c.sender === 3 ? { ...c, share: { ...c.share, value: group.field.add(c.share.value, 1n) } } : c,
    );
    expect(batchVerifyShares(group, tampered, rng)).toEqual([3]);
  });

  it('batch verification of many shares of one dealer', () => {
    const rng = deterministicRandom('vss/one-dealer');
    const d = deal(RISTRETTO255, { threshold: 3, parties: 10 }, rng);
    const checks = d.shares.map((share) => ({ commitments: d.commitments, share, sender: 7 }));
    expect(batchVerifyShares(RISTRETTO255, checks, rng)).toEqual([]);
    const bad = [...checks];
    bad[5] = { ...bad[5]!, share: { index: bad[5]!.share.index, value: 1n } };
    expect(batchVerifyShares(RISTRETTO255, bad, rng)).toEqual([7]);
  });

  it('a commitment vector of the wrong length is rejected', () => {
    const rng = deterministicRandom('vss/len');
    const d = deal(RISTRETTO255, { threshold: 2, parties: 4 }, rng);
    expect(() => checkCommitments(RISTRETTO255, d.commitments.slice(0, 2), 2)).toThrowError(
      /BAD_COMMITMENTS/,
    );
    expect(() => checkCommitments(RISTRETTO255, [...d.commitments, d.commitments[0]!], 2)).toThrowError(
      /BAD_COMMITMENTS/,
    );
    const enc = d.commitments.map((c) => RISTRETTO255.encode(c));
    expect(() => decodeCommitments(RISTRETTO255, enc.slice(1), 2)).toThrowError(/BAD_COMMITMENTS/);
  });

  it('an identity commitment is rejected', () => {
    const rng = deterministicRandom('vss/identity');
    const d = deal(G2, { threshold: 1, parties: 4 }, rng);
    expect(() => checkCommitments(G2, [G2.identity, d.commitments[1]!], 1)).toThrowError(/BAD_COMMITMENTS/);
    const enc = [G2.encode(G2.identity), G2.encode(d.commitments[1]!)];
    expect(() => decodeCommitments(G2, enc, 1)).toThrowError(/IDENTITY_POINT/);
  });

  it('rejects t >= n', () => {
    expect(() => deal(RISTRETTO255, { threshold: 4, parties: 4 }, deterministicRandom('x'))).toThrowError(
      /INVALID_ARGUMENT/,
    );
  });
});
