import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/bytes.js';
import type { DecryptionContext, ReencryptionStatement } from '../../src/crypto/elgamal/index.js';
import {
  ciphertextId,
  ciphertextLabel,
  combineAndOpenReencrypted,
  combineReencryptedShares,
  createCiphertextReencryptedShare,
  createReencryptedShare,
  decodeReencryptedShare,
  encodeReencryptedShare,
  encrypt,
  openReencrypted,
  openWithSharedPoint,
  validateCiphertext,
  verifyReencryptedShare,
} from '../../src/crypto/elgamal/index.js';
import { shareIndex } from '../../src/crypto/field.js';
import type { Group, PointLike, RistrettoPoint } from '../../src/crypto/group.js';
import { RISTRETTO255 as G, SECP256K1 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { dealServiceKey, N, T } from './elgamal-fixtures.js';
import { deal, publicShare } from '../../src/crypto/vss.js';

function setup(seed: string) {
  const { rng, dealing, publicKey, publicShares } = dealServiceKey(seed);
  const transportSecret = G.field.random(rng);
  const transportKey = G.mulBase(transportSecret);
  const ct = encrypt(
    publicKey,
    utf8('sealed secret'),
    ciphertextLabel({ purpose: 'sealed', owner: utf8('bob-pk') }),
    rng,
  );
  const ctx: DecryptionContext = {
    keyId: utf8('service-key/1'),
    epoch: 9,
    requestId: utf8('req-b'),
    requester: utf8('bob-pk'),
  };
  const st: ReencryptionStatement<RistrettoPoint> = {
    base: ct.R,
    transportKey,
    ctx,
    target: ciphertextId(ct),
  };
  const params = (i: number) => ({ index: i, secretShare: dealing.shares[i - 1]!.value });
  return {
    rng,
    dealing,
    publicKey,
    publicShares,
    transportSecret,
    transportKey,
    ct,
    ctx,
    st,
    params,
    secret: dealing.polynomial[0]!,
  };
}

describe('re-encryption to a transport key (vetKD pattern, Maurer Σ-protocol)', () => {
  it('any t+1 re-encrypted shares open to x·R for the transport-key holder only (property)', () => {
    const s = setup('reenc/roundtrip');
    validateCiphertext(s.publicKey, s.ct);
    const all = [1, 2, 3, 4, 5, 6, 7].map((i) => createReencryptedShare(G, s.params(i), s.st, s.rng));
    const xR = G.mul(s.ct.R, s.secret);
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: T + 1, maxLength: N }), (subset) => {
        const combined = combineReencryptedShares(
          G,
          { threshold: T, publicShares: s.publicShares, shares: subset },
          s.st,
        );
        expect(combined.culprits).toEqual([]);
        // A gateway sees D' and P; neither is x·R.
        expect(G.equals(combined.value, xR)).toBe(false);
        const M = openReencrypted(G, s.transportSecret, combined);
        expect(G.equals(M, xR)).toBe(true);
        expect(openWithSharedPoint(s.publicKey, s.ct, M)).toEqual(utf8('sealed secret'));
      }),
      { seed: 501, numRuns: 15 },
    );
    // A different transport secret opens to garbage that does not decrypt.
    const combined = combineReencryptedShares(
      G,
      { threshold: T, publicShares: s.publicShares, shares: all },
      s.st,
    );
    const wrong = openReencrypted(G, G.field.add(s.transportSecret, 1n), combined);
    expect(() => openWithSharedPoint(s.publicKey, s.ct, wrong)).toThrowError(/DECRYPTION_FAILED/);
  });

  it('a re-encrypted share with a wrong value, ephemeral or proof is rejected and attributed', () => {
    const s = setup('reenc/bad');
    const shares = [1, 2, 3, 4, 5].map((i) => createReencryptedShare(G, s.params(i), s.st, s.rng));
    const bad = [
      { ...shares[0]!, value: G.add(shares[0]!.value, G.generator) },
      { ...shares[1]!, ephemeral: G.add(shares[1]!.ephemeral, G.generator) },
      { ...shares[2]!, proof: { ...shares[2]!.proof, z2: G.field.add(shares[2]!.proof.z2, 1n) } },
    ];
    for (const b of bad) expect(verifyReencryptedShare(G, s.publicShares.get(b.index)!, b, s.st)).toBe(false);
    const combined = combineReencryptedShares(
      G,
      {
        threshold: T,
        publicShares: s.publicShares,
        shares: [...bad, shares[3]!, shares[4]!, createReencryptedShare(G, s.params(6), s.st, s.rng)],
      },
      s.st,
    );
    expect(combined.culprits).toEqual([1, 2, 3]);
    expect(combined.subset).toEqual([4, 5, 6]);
    expect(G.equals(openReencrypted(G, s.transportSecret, combined), G.mul(s.ct.R, s.secret))).toBe(true);
    expect(() =>
      combineReencryptedShares(
        G,
        { threshold: T, publicShares: s.publicShares, shares: [...bad, shares[3]!] },
        s.st,
      ),
    ).toThrowError(/BAD_PARTIAL/);
  });

  it('soundness: a replica using a wrong share cannot prove the relation for its public share', () => {
    const s = setup('reenc/soundness');
    const pk1 = s.publicShares.get(1)!;
    const cheat = createReencryptedShare(
      G,
      { index: 1, secretShare: G.field.add(s.dealing.shares[0]!.value, 1n), publicShare: pk1 },
      s.st,
      s.rng,
    );
    expect(verifyReencryptedShare(G, pk1, cheat, s.st)).toBe(false);
  });

  it('a re-encrypted share cannot be redirected to another transport key or replayed in another context', () => {
    const s = setup('reenc/binding');
    const share = createReencryptedShare(G, s.params(1), s.st, s.rng);
    const pk1 = s.publicShares.get(1)!;
    expect(verifyReencryptedShare(G, pk1, share, s.st)).toBe(true);
    const gatewayKey = G.mulBase(G.field.random(s.rng));
    expect(verifyReencryptedShare(G, pk1, share, { ...s.st, transportKey: gatewayKey })).toBe(false);
    expect(verifyReencryptedShare(G, pk1, share, { ...s.st, ctx: { ...s.ctx, epoch: 10 } })).toBe(false);
    expect(
      verifyReencryptedShare(G, pk1, share, { ...s.st, ctx: { ...s.ctx, requester: utf8('eve') } }),
    ).toBe(false);
    expect(verifyReencryptedShare(G, pk1, share, { ...s.st, target: utf8('other') })).toBe(false);
    expect(verifyReencryptedShare(G, pk1, { ...share, index: shareIndex(2) }, s.st)).toBe(false);
  });

  it('re-encrypted shares round-trip through their strict 162-byte encoding', () => {
    const s = setup('reenc/encoding');
    const share = createReencryptedShare(G, s.params(3), s.st, s.rng);
    const bytes = encodeReencryptedShare(G, share);
    expect(bytes.length).toBe(162);
    const back = decodeReencryptedShare(G, bytes);
    expect(verifyReencryptedShare(G, s.publicShares.get(3)!, back, s.st)).toBe(true);
    expect(() => decodeReencryptedShare(G, bytes.subarray(0, 161))).toThrowError(/INVALID_LENGTH/);
    const badVersion = bytes.slice();
    badVersion[0] = 7;
    expect(() => decodeReencryptedShare(G, badVersion)).toThrowError(/UNSUPPORTED_VERSION/);
    const nonCanonical = bytes.slice();
    nonCanonical.fill(0xff, 66, 98);
    expect(() => decodeReencryptedShare(G, nonCanonical)).toThrowError(/NON_CANONICAL/);
  });

  it('the Σ-protocol is generic: it also runs on secp256k1', () => {
    const check = <P extends PointLike<P>>(group: Group<P>): void => {
      const rng = deterministicRandom(`reenc/generic/${group.name}`);
      const d = deal(group, { threshold: 1, parties: 4 }, rng);
      const t = group.field.random(rng);
      const st = {
        base: group.mulBase(group.field.random(rng)),
        transportKey: group.mulBase(t),
        ctx: { keyId: utf8('k'), epoch: 1, requestId: utf8('r'), requester: utf8('q') },
        target: utf8('x'),
      };
      const shares = [1, 4].map((i) =>
        createReencryptedShare(group, { index: i, secretShare: d.shares[i - 1]!.value }, st, rng),
      );
      const combined = combineReencryptedShares(
        group,
        { threshold: 1, publicShares: (i) => publicShare(group, d.commitments, i), shares },
        st,
      );
      expect(group.equals(openReencrypted(group, t, combined), group.mul(st.base, d.polynomial[0]!))).toBe(
        true,
      );
    };
    check(SECP256K1);
  });

  it('stored ciphertexts: replicas re-encrypt only valid ciphertexts, the requester decrypts through any gateway', () => {
    const s = setup('reenc/ciphertext');
    const shares = [2, 5, 7].map((i) =>
      createCiphertextReencryptedShare(s.publicKey, s.ct, s.transportKey, s.params(i), s.ctx, s.rng),
    );
    // What a gateway forwards is the encoded shares; the requester decodes, verifies, combines, opens.
    const forwarded = shares.map((sh) => decodeReencryptedShare(G, encodeReencryptedShare(G, sh)));
    const out = combineAndOpenReencrypted(
      s.publicKey,
      s.ct,
      s.transportSecret,
      { threshold: T, publicShares: s.publicShares, shares: forwarded },
      s.ctx,
    );
    expect(out.plaintext).toEqual(utf8('sealed secret'));
    // A relabelled ciphertext gets no re-encrypted share.
    const relabelled = { ...s.ct, label: utf8('other label') };
    expect(() =>
      createCiphertextReencryptedShare(s.publicKey, relabelled, s.transportKey, s.params(1), s.ctx, s.rng),
    ).toThrowError(/BAD_PROOF/);
  });
});
