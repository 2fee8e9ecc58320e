import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/bytes.js';
import type { DecryptionContext } from '../../src/crypto/elgamal/index.js';
import {
  blind,
  blindedStatement,
  ciphertextId,
  ciphertextLabel,
  combineBlindedShares,
  createBlindedDecryptionShare,
  createCiphertextBlindedShare,
  createDecryptionShare,
  combineDecryptionShares,
  decodeBlindingRequest,
  encodeBlindingRequest,
  encrypt,
  openWithSharedPoint,
  unblind,
  verifyBlindingRequest,
} from '../../src/crypto/elgamal/index.js';
import { ED25519, RISTRETTO255 as G } from '../../src/crypto/group.js';
import { proveSchnorr } from '../../src/crypto/proofs.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { dealServiceKey, N, T } from './elgamal-fixtures.js';
import { deal, publicShare } from '../../src/crypto/vss.js';

const setup = dealServiceKey;

const aliceCtx: DecryptionContext = {
  keyId: utf8('service-key/1'),
  epoch: 1,
  requestId: utf8('req-alice-1'),
  requester: utf8('alice-pk'),
};

describe('blinded threshold decryption (Omega §5.2 on ristretto255)', () => {
  it('blinding round-trips: unblinded result decrypts, for any t+1 replicas (property)', () => {
    const s = setup('blinding/roundtrip');
    const ct = encrypt(
      s.publicKey,
      utf8('alice secret'),
      ciphertextLabel({ purpose: 'p', owner: utf8('alice-pk') }),
      s.rng,
    );
    const target = ciphertextId(ct);
    fc.assert(
      fc.property(
        fc.shuffledSubarray([1, 2, 3, 4, 5, 6, 7], { minLength: T + 1, maxLength: N }),
        (indices) => {
          const { request, secret } = blind(G, ct.R, aliceCtx, target, s.rng);
          // The replicas never see x·R: the blinded base differs from R.
          expect(G.equals(request.blinded, ct.R)).toBe(false);
          const shares = indices.map((i) =>
            createBlindedDecryptionShare(
              G,
              ct.R,
              request,
              { index: i, secretShare: s.dealing.shares[i - 1]!.value },
              aliceCtx,
              target,
              s.rng,
            ),
          );
          const combined = combineBlindedShares(
            G,
            request,
            { threshold: T, publicShares: s.publicShares, shares },
            aliceCtx,
            target,
          );
          const xR = G.mul(ct.R, s.secret);
          // What passes through replicas and gateways is x·R' ≠ x·R ...
          expect(G.equals(combined.value, xR)).toBe(false);
          // ... and the requester unblinds to exactly x·R.
          const M = unblind(G, s.publicKey, combined.value, secret);
          expect(G.equals(M, xR)).toBe(true);
          expect(openWithSharedPoint(s.publicKey, ct, M)).toEqual(utf8('alice secret'));
        },
      ),
      { seed: 401, numRuns: 10 },
    );
  });

  it('a blinding request without a valid proof is refused', () => {
    const s = setup('blinding/no-proof');
    const ct = encrypt(
      s.publicKey,
      utf8('m'),
      ciphertextLabel({ purpose: 'p', owner: utf8('alice-pk') }),
      s.rng,
    );
    const target = ciphertextId(ct);
    const { request } = blind(G, ct.R, aliceCtx, target, s.rng);
    const params = { index: 1, secretShare: s.dealing.shares[0]!.value };
    const bad = [
      { ...request, proof: { c: 0n, z: 0n } },
      { ...request, proof: { ...request.proof, z: G.field.add(request.proof.z, 1n) } },
      { ...request, blinded: G.add(request.blinded, G.generator) },
    ];
    for (const r of bad) {
      expect(() => verifyBlindingRequest(G, ct.R, r, aliceCtx, target)).toThrowError(
        /BAD_PROOF: blinding request refused/,
      );
      expect(() => createBlindedDecryptionShare(G, ct.R, r, params, aliceCtx, target, s.rng)).toThrowError(
        /BAD_PROOF/,
      );
    }
    // R' = R (b = 0) carries no blinding at all and is refused too.
    expect(() =>
      verifyBlindingRequest(G, ct.R, { blinded: ct.R, proof: request.proof }, aliceCtx, target),
    ).toThrowError(/BAD_PROOF/);
  });

  it('a blinding request replayed for another request, requester, epoch or ciphertext is refused', () => {
    const s = setup('blinding/replay');
    const ct = encrypt(
      s.publicKey,
      utf8('m'),
      ciphertextLabel({ purpose: 'p', owner: utf8('alice-pk') }),
      s.rng,
    );
    const target = ciphertextId(ct);
    const { request } = blind(G, ct.R, aliceCtx, target, s.rng);
    expect(() => verifyBlindingRequest(G, ct.R, request, aliceCtx, target)).not.toThrow();
    for (const ctx of [
      { ...aliceCtx, requestId: utf8('req-alice-2') },
      { ...aliceCtx, requester: utf8('mallory-pk') },
      { ...aliceCtx, epoch: 2 },
    ]) {
      expect(() => verifyBlindingRequest(G, ct.R, request, ctx, target)).toThrowError(/BAD_PROOF/);
    }
    expect(() => verifyBlindingRequest(G, ct.R, request, aliceCtx, utf8('other-ciphertext'))).toThrowError(
      /BAD_PROOF/,
    );
  });

  it('blinding-as-oracle: smuggling a victim’s ciphertext in as the “blinding” is refused', () => {
    const s = setup('blinding/oracle');
    const victimCt = encrypt(
      s.publicKey,
      utf8('victim secret'),
      ciphertextLabel({ purpose: 'p', owner: utf8('victim-pk') }),
      s.rng,
    );
    const malloryCt = encrypt(
      s.publicKey,
      utf8('mallory own'),
      ciphertextLabel({ purpose: 'p', owner: utf8('mallory-pk') }),
      s.rng,
    );
    const ctx = { ...aliceCtx, requester: utf8('mallory-pk'), requestId: utf8('req-m') };
    const target = ciphertextId(malloryCt);
    const params = (i: number) => ({ index: i, secretShare: s.dealing.shares[i - 1]!.value });

    // The threat, shown on the unchecked primitive: shares on R' = R_V + b·G, which Mallory can form
    // for any b she likes, unblind to the victim's plaintext.
    const b = G.field.random(s.rng);
    const smuggled = G.add(victimCt.R, G.mulBase(b));
    const st = { base: smuggled, ctx, target };
    const raw = [1, 2, 3].map((i) => createDecryptionShare(G, params(i), st, s.rng));
    const leaked = G.sub(
      combineDecryptionShares(G, { threshold: T, publicShares: s.publicShares, shares: raw }, st).value,
      G.mul(s.publicKey, b),
    );
    expect(openWithSharedPoint(s.publicKey, victimCt, leaked)).toEqual(utf8('victim secret'));

    // The defence: the request must prove knowledge of log_G(R' − R_M) for her own R_M. She knows b
    // (log_G(R' − R_V)) but not log_G(R' − R_M) = r_V − r_M + b, so any proof she can make is refused.
    const proofOfB = proveSchnorr(
      G,
      b,
      { sessionId: utf8('anything'), purpose: 'elgamal/blinding-pok' },
      s.rng,
    );
    expect(() =>
      createBlindedDecryptionShare(
        G,
        malloryCt.R,
        { blinded: smuggled, proof: proofOfB },
        params(1),
        ctx,
        target,
        s.rng,
      ),
    ).toThrowError(/BAD_PROOF/);
    // Nor can she reuse a genuine blinding of the victim's R made in the victim's request.
    const victimCtx = { ...aliceCtx, requester: utf8('victim-pk') };
    const victimBlind = blind(G, victimCt.R, victimCtx, ciphertextId(victimCt), s.rng);
    expect(() =>
      createBlindedDecryptionShare(G, malloryCt.R, victimBlind.request, params(1), ctx, target, s.rng),
    ).toThrowError(/BAD_PROOF/);
    // Her honest blinding of her own ciphertext still works.
    const own = blind(G, malloryCt.R, ctx, target, s.rng);
    const shares = [4, 5, 6].map((i) =>
      createBlindedDecryptionShare(G, malloryCt.R, own.request, params(i), ctx, target, s.rng),
    );
    const combined = combineBlindedShares(
      G,
      own.request,
      { threshold: T, publicShares: s.publicShares, shares },
      ctx,
      target,
    );
    expect(
      openWithSharedPoint(s.publicKey, malloryCt, unblind(G, s.publicKey, combined.value, own.secret)),
    ).toEqual(utf8('mallory own'));
  });

  it('a bad share on the blinded base is rejected and attributed', () => {
    const s = setup('blinding/bad-share');
    const R = G.mulBase(G.field.random(s.rng));
    const target = utf8('ct');
    const { request } = blind(G, R, aliceCtx, target, s.rng);
    const shares = [1, 2, 3, 4].map((i) =>
      createBlindedDecryptionShare(
        G,
        R,
        request,
        { index: i, secretShare: s.dealing.shares[i - 1]!.value },
        aliceCtx,
        target,
        s.rng,
      ),
    );
    // Replica 1 answers on the unblinded R instead (a share that would reveal x_1·R to observers).
    const wrong = createDecryptionShare(
      G,
      { index: 1, secretShare: s.dealing.shares[0]!.value },
      { base: R, ctx: aliceCtx, target },
      s.rng,
    );
    const combined = combineBlindedShares(
      G,
      request,
      { threshold: T, publicShares: s.publicShares, shares: [wrong, ...shares.slice(1)] },
      aliceCtx,
      target,
    );
    expect(combined.culprits).toEqual([1]);
    expect(combined.subset).toEqual([2, 3, 4]);
    expect(G.equals(combined.value, G.mul(blindedStatement(request, aliceCtx, target).base, s.secret))).toBe(
      true,
    );
  });

  it('blinding works on the ed25519 prime-order subgroup (escrowed Ed25519/X25519 keys)', () => {
    const rng = deterministicRandom('blinding/ed25519');
    const d = deal(ED25519, { threshold: 1, parties: 4 }, rng);
    const R = ED25519.mulBase(ED25519.field.random(rng));
    const target = utf8('message-ephemeral');
    const { request, secret } = blind(ED25519, R, aliceCtx, target, rng);
    const shares = [1, 3].map((i) =>
      createBlindedDecryptionShare(
        ED25519,
        R,
        request,
        { index: i, secretShare: d.shares[i - 1]!.value },
        aliceCtx,
        target,
        rng,
      ),
    );
    const combined = combineBlindedShares(
      ED25519,
      request,
      { threshold: 1, publicShares: (i) => publicShare(ED25519, d.commitments, i), shares },
      aliceCtx,
      target,
    );
    const M = unblind(ED25519, d.commitments[0]!, combined.value, secret);
    expect(ED25519.equals(M, ED25519.mul(R, d.polynomial[0]!))).toBe(true);
  });

  it('blinding requests round-trip through their strict 97-byte encoding', () => {
    const s = setup('blinding/encoding');
    const R = G.mulBase(G.field.random(s.rng));
    const { request } = blind(G, R, aliceCtx, utf8('ct'), s.rng);
    const bytes = encodeBlindingRequest(G, request);
    expect(bytes.length).toBe(97);
    const back = decodeBlindingRequest(G, bytes);
    expect(() => verifyBlindingRequest(G, R, back, aliceCtx, utf8('ct'))).not.toThrow();
    expect(() => decodeBlindingRequest(G, bytes.subarray(1))).toThrowError(/INVALID_LENGTH/);
    const badVersion = bytes.slice();
    badVersion[0] = 2;
    expect(() => decodeBlindingRequest(G, badVersion)).toThrowError(/UNSUPPORTED_VERSION/);
    const identity = bytes.slice();
    identity.fill(0, 1, 33);
    expect(() => decodeBlindingRequest(G, identity)).toThrowError(/IDENTITY_POINT/);
  });

  it('stored ciphertexts: a blinded share needs both a valid ciphertext and a valid blinding proof', () => {
    const s = setup('blinding/ciphertext');
    const ct = encrypt(
      s.publicKey,
      utf8('m'),
      ciphertextLabel({ purpose: 'p', owner: utf8('alice-pk') }),
      s.rng,
    );
    const { request, secret } = blind(G, ct.R, aliceCtx, ciphertextId(ct), s.rng);
    const params = (i: number) => ({ index: i, secretShare: s.dealing.shares[i - 1]!.value });
    const shares = [3, 6, 7].map((i) =>
      createCiphertextBlindedShare(s.publicKey, ct, request, params(i), aliceCtx, s.rng),
    );
    const combined = combineBlindedShares(
      G,
      request,
      { threshold: T, publicShares: s.publicShares, shares },
      aliceCtx,
      ciphertextId(ct),
    );
    expect(openWithSharedPoint(s.publicKey, ct, unblind(G, s.publicKey, combined.value, secret))).toEqual(
      utf8('m'),
    );
    const relabelled = { ...ct, label: utf8('x') };
    expect(() =>
      createCiphertextBlindedShare(s.publicKey, relabelled, request, params(1), aliceCtx, s.rng),
    ).toThrowError(/BAD_PROOF/);
  });
});
