import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/bytes.js';
import type { DecryptionContext, DecryptionShare } from '../../src/crypto/elgamal/index.js';
import {
  CIPHERTEXT_OVERHEAD_BYTES,
  MAX_LABEL_BYTES,
  MAX_PLAINTEXT_BYTES,
  ciphertextId,
  ciphertextLabel,
  ciphertextStatement,
  combineAndDecrypt,
  combineDecryptionShares,
  createCiphertextDecryptionShare,
  createDecryptionShare,
  decodeCiphertext,
  decodeDecryptionShare,
  decryptWithSecret,
  encodeCiphertext,
  encodeDecryptionShare,
  encrypt,
  openWithSharedPoint,
  validateCiphertext,
  verifyDecryptionShare,
} from '../../src/crypto/elgamal/index.js';
import { withEncodingCache } from '../../src/crypto/elgamal/encoding-cache.js';
import { shareIndex } from '../../src/crypto/field.js';
import type { Group, PointLike, RistrettoPoint } from '../../src/crypto/group.js';
import { P256, RISTRETTO255 as G, SECP256K1 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { dealServiceKey, N, T } from './elgamal-fixtures.js';
import { deal, publicShare } from '../../src/crypto/vss.js';
import { isOmegaError } from '../../src/errors.js';

const setupServiceKey = dealServiceKey;

const ctx: DecryptionContext = {
  keyId: utf8('service-key/1'),
  epoch: 3,
  requestId: utf8('req-17'),
  requester: utf8('alice-pk'),
};
const label = ciphertextLabel({
  purpose: 'vault/data-key',
  owner: utf8('alice-pk'),
  objectId: utf8('doc-9'),
});

function sharesFor(
  s: ReturnType<typeof setupServiceKey>,
  ct: ReturnType<typeof encrypt>,
  indices: readonly number[],
  c: DecryptionContext = ctx,
): DecryptionShare<RistrettoPoint>[] {
  return indices.map((i) =>
    createCiphertextDecryptionShare(
      s.publicKey,
      ct,
      { index: i, secretShare: s.dealing.shares[i - 1]!.value },
      c,
      s.rng,
    ),
  );
}

describe('TDH2 threshold ElGamal over ristretto255', () => {
  it('any t+1 decryption shares give the same plaintext (property)', () => {
    const s = setupServiceKey('elgamal/any-subset');
    const plaintext = utf8('the data key of doc-9');
    const ct = encrypt(s.publicKey, plaintext, label, s.rng);
    const all = sharesFor(s, ct, [1, 2, 3, 4, 5, 6, 7]);
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: T + 1, maxLength: N }), (subset) => {
        const out = combineAndDecrypt(
          s.publicKey,
          ct,
          { threshold: T, publicShares: s.publicShares, shares: subset },
          ctx,
        );
        expect(out.plaintext).toEqual(plaintext);
        expect(out.culprits).toEqual([]);
      }),
      { seed: 301, numRuns: 25 },
    );
  });

  it('encryption round-trips through the byte format for random plaintexts and labels (property)', () => {
    const s = setupServiceKey('elgamal/roundtrip');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 64 }), (m, l) => {
        const ct = encrypt(s.publicKey, m, l, s.rng);
        const bytes = encodeCiphertext(ct);
        expect(bytes.length).toBe(CIPHERTEXT_OVERHEAD_BYTES + m.length + l.length);
        const back = decodeCiphertext(bytes);
        expect(encodeCiphertext(back)).toEqual(bytes);
        expect(decryptWithSecret(s.publicKey, back, s.secret)).toEqual(m);
      }),
      { seed: 302, numRuns: 15 },
    );
  });

  it('a decryption share with a wrong DLEQ proof is rejected and attributed', () => {
    const s = setupServiceKey('elgamal/bad-share');
    const ct = encrypt(s.publicKey, utf8('m'), label, s.rng);
    const shares = sharesFor(s, ct, [1, 2, 3, 4]);
    const st = ciphertextStatement(ct, ctx);
    // Replica 2 sends a wrong value with its old proof; replica 3 a right value with a mangled proof.
    const forged2 = { ...shares[1]!, value: G.add(shares[1]!.value, G.generator) };
    const forged3 = { ...shares[2]!, proof: { ...shares[2]!.proof, z: G.field.add(shares[2]!.proof.z, 1n) } };
    expect(verifyDecryptionShare(G, s.publicShares.get(2)!, forged2, st)).toBe(false);
    expect(verifyDecryptionShare(G, s.publicShares.get(3)!, forged3, st)).toBe(false);
    // Enough good shares: decryption succeeds and names the culprits.
    const ok = combineAndDecrypt(
      s.publicKey,
      ct,
      {
        threshold: T,
        publicShares: s.publicShares,
        shares: [shares[0]!, forged2, forged3, shares[3]!, ...sharesFor(s, ct, [5])],
      },
      ctx,
    );
    expect(ok.plaintext).toEqual(utf8('m'));
    expect(ok.culprits).toEqual([2, 3]);
    // Not enough good shares: BAD_PARTIAL naming them.
    try {
      combineDecryptionShares(
        G,
        { threshold: T, publicShares: s.publicShares, shares: [shares[0]!, forged2, forged3] },
        st,
      );
      expect.unreachable();
    } catch (e) {
      expect(isOmegaError(e, 'BAD_PARTIAL')).toBe(true);
      expect((e as { culprits: number[] }).culprits).toEqual([2, 3]);
    }
  });

  it('a share made by one replica does not verify as another replica’s (index binding)', () => {
    const s = setupServiceKey('elgamal/index-binding');
    const ct = encrypt(s.publicKey, utf8('m'), label, s.rng);
    const [share1] = sharesFor(s, ct, [1]);
    const st = ciphertextStatement(ct, ctx);
    expect(verifyDecryptionShare(G, s.publicShares.get(1)!, share1!, st)).toBe(true);
    expect(verifyDecryptionShare(G, s.publicShares.get(1)!, { ...share1!, index: shareIndex(2) }, st)).toBe(
      false,
    );
  });

  it('a decryption share replayed into another request, epoch or requester does not verify', () => {
    const s = setupServiceKey('elgamal/replay');
    const ct = encrypt(s.publicKey, utf8('m'), label, s.rng);
    const [share] = sharesFor(s, ct, [1]);
    const pk1 = s.publicShares.get(1)!;
    for (const other of [
      { ...ctx, epoch: 4 },
      { ...ctx, requestId: utf8('req-18') },
      { ...ctx, requester: utf8('mallory-pk') },
      { ...ctx, keyId: utf8('service-key/2') },
    ]) {
      expect(verifyDecryptionShare(G, pk1, share!, ciphertextStatement(ct, other))).toBe(false);
    }
  });

  it('a share for one ciphertext does not verify for another (ciphertext-id binding)', () => {
    const s = setupServiceKey('elgamal/ct-binding');
    const ct1 = encrypt(s.publicKey, utf8('one'), label, s.rng);
    const ct2 = encrypt(s.publicKey, utf8('two'), label, s.rng);
    expect(ciphertextId(ct1)).not.toEqual(ciphertextId(ct2));
    const [share] = sharesFor(s, ct1, [1]);
    // Same base R, other target: the proof is bound to the ciphertext id, not only to R.
    const st = { base: ct1.R, ctx, target: ciphertextId(ct2) };
    expect(verifyDecryptionShare(G, s.publicShares.get(1)!, share!, st)).toBe(false);
  });

  it('a ciphertext with a changed label does not decrypt', () => {
    const s = setupServiceKey('elgamal/label');
    const ct = encrypt(s.publicKey, utf8('secret'), label, s.rng);
    const relabelled = {
      ...ct,
      label: ciphertextLabel({ purpose: 'vault/data-key', owner: utf8('mallory-pk') }),
    };
    // Replicas refuse to produce shares for it ...
    expect(() => validateCiphertext(s.publicKey, relabelled)).toThrowError(/BAD_PROOF/);
    expect(() =>
      createCiphertextDecryptionShare(
        s.publicKey,
        relabelled,
        { index: 1, secretShare: s.dealing.shares[0]!.value },
        ctx,
        s.rng,
      ),
    ).toThrowError(/BAD_PROOF/);
    // ... and even with the right K the AEAD rejects the new label.
    expect(() => openWithSharedPoint(s.publicKey, relabelled, G.mul(ct.R, s.secret))).toThrowError(
      /DECRYPTION_FAILED/,
    );
    expect(openWithSharedPoint(s.publicKey, ct, G.mul(ct.R, s.secret))).toEqual(utf8('secret'));
  });

  it('a mauled ciphertext (re-randomized R, changed body, other key) gets no decryption share', () => {
    const s = setupServiceKey('elgamal/malleability');
    const other = setupServiceKey('elgamal/malleability/other-key');
    const ct = encrypt(s.publicKey, utf8('secret'), label, s.rng);
    const rerandomized = { ...ct, R: G.add(ct.R, G.generator), Rbar: ct.Rbar };
    const body = ct.body.slice();
    body[0]! ^= 1;
    expect(() => validateCiphertext(s.publicKey, rerandomized)).toThrowError(/BAD_PROOF/);
    expect(() => validateCiphertext(s.publicKey, { ...ct, body })).toThrowError(/BAD_PROOF/);
    expect(() => validateCiphertext(other.publicKey, ct)).toThrowError(/BAD_PROOF/);
  });

  it('the ciphertext decoder rejects malformed input with stable codes, never a crash', () => {
    const s = setupServiceKey('elgamal/decoder');
    const bytes = encodeCiphertext(encrypt(s.publicKey, utf8('x'), label, s.rng));
    expect(() => decodeCiphertext(bytes.subarray(0, bytes.length - 1))).toThrowError(/INVALID_ENCODING/);
    expect(() => decodeCiphertext(new Uint8Array([...bytes, 0]))).toThrowError(/INVALID_ENCODING/);
    const badVersion = bytes.slice();
    badVersion[0] = 2;
    expect(() => decodeCiphertext(badVersion)).toThrowError(
      /UNSUPPORTED_VERSION: unknown ciphertext version/,
    );
    const badSuite = bytes.slice();
    badSuite[1] = 9;
    expect(() => decodeCiphertext(badSuite)).toThrowError(/UNSUPPORTED_VERSION: unknown ciphertext suite/);
    const identityR = bytes.slice();
    identityR.fill(0, 2, 34);
    expect(() => decodeCiphertext(identityR)).toThrowError(/IDENTITY_POINT/);
    expect(() => encrypt(s.publicKey, new Uint8Array(MAX_PLAINTEXT_BYTES + 1), label, s.rng)).toThrowError(
      /LIMIT_EXCEEDED/,
    );
    expect(() => encrypt(s.publicKey, utf8('x'), new Uint8Array(MAX_LABEL_BYTES + 1), s.rng)).toThrowError(
      /LIMIT_EXCEEDED/,
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (pos, flip) => {
          const mutated = bytes.slice();
          mutated[pos]! ^= flip;
          try {
            const ct = decodeCiphertext(mutated);
            // Decoded: then the validity proof or the AEAD must catch it.
            expect(() => decryptWithSecret(s.publicKey, ct, s.secret)).toThrow();
          } catch (e) {
            expect((e as Error).name).toBe('OmegaError');
          }
        },
      ),
      { seed: 303, numRuns: 60 },
    );
  });

  it('decryption shares round-trip through their strict encoding', () => {
    const s = setupServiceKey('elgamal/share-encoding');
    const ct = encrypt(s.publicKey, utf8('x'), label, s.rng);
    const [share] = sharesFor(s, ct, [5]);
    const bytes = encodeDecryptionShare(G, share!);
    expect(bytes.length).toBe(98);
    const back = decodeDecryptionShare(G, bytes);
    expect(verifyDecryptionShare(G, s.publicShares.get(5)!, back, ciphertextStatement(ct, ctx))).toBe(true);
    expect(() => decodeDecryptionShare(G, bytes.subarray(1))).toThrowError(/INVALID_LENGTH/);
    const zeroIndex = bytes.slice();
    zeroIndex[1] = 0;
    expect(() => decodeDecryptionShare(G, zeroIndex)).toThrowError(/OUT_OF_RANGE/);
  });

  it('fewer than t+1 shares is NOT_ENOUGH_SHARES; duplicates count once', () => {
    const s = setupServiceKey('elgamal/not-enough');
    const ct = encrypt(s.publicKey, utf8('x'), label, s.rng);
    const shares = sharesFor(s, ct, [1, 2]);
    expect(() =>
      combineAndDecrypt(
        s.publicKey,
        ct,
        { threshold: T, publicShares: s.publicShares, shares: [...shares, shares[0]!] },
        ctx,
      ),
    ).toThrowError(/NOT_ENOUGH_SHARES/);
  });

  it('the generic share functions work on secp256k1 and P-256 as well', () => {
    const check = <P extends PointLike<P>>(group: Group<P>): void => {
      const rng = deterministicRandom(`elgamal/generic/${group.name}`);
      const d = deal(group, { threshold: 1, parties: 4 }, rng);
      const R = group.mulBase(group.field.random(rng));
      const st = { base: R, ctx, target: utf8('t') };
      const shares = [2, 4].map((i) =>
        createDecryptionShare(group, { index: i, secretShare: d.shares[i - 1]!.value }, st, rng),
      );
      const combined = combineDecryptionShares(
        group,
        { threshold: 1, publicShares: (i) => publicShare(group, d.commitments, i), shares },
        st,
      );
      expect(group.equals(combined.value, group.mul(R, d.polynomial[0]!))).toBe(true);
    };
    check(SECP256K1);
    check(P256);
  });

  it('the encoding cache hands out copies: mutating an encoding cannot poison later transcripts', () => {
    const cached = withEncodingCache(G);
    expect(withEncodingCache(G)).toBe(cached);
    const P = G.mulBase(7n);
    const e = cached.encode(P);
    expect(e).toEqual(G.encode(P));
    e[0]! ^= 1;
    expect(cached.encode(P)).toEqual(G.encode(P));
    const decoded = cached.decode(G.encode(P));
    expect(cached.encode(decoded)).toEqual(G.encode(P));
    expect(cached.name).toBe(G.name);
  });
});
