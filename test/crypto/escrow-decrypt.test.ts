import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { bigintToBytesBE, fromHex, utf8 } from '../../src/crypto/bytes.js';
import type { DecryptionContext } from '../../src/crypto/elgamal/index.js';
import {
  blind,
  combineBlindedShares,
  createBlindedDecryptionShare,
  unblind,
} from '../../src/crypto/elgamal/index.js';
import {
  createEscrow,
  edwardsPointFromMontgomery,
  montgomeryFromEdwards,
  verifyEscrowShare,
} from '../../src/crypto/escrow/index.js';
import { ED25519, SECP256K1 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { generateEpochKey } from '../../src/crypto/share-encryption.js';
import type { SecretShare } from '../../src/crypto/vss.js';
import { publicShare } from '../../src/crypto/vss.js';

const ctx: DecryptionContext = {
  keyId: utf8('escrow-1'),
  epoch: 2,
  requestId: utf8('decrypt-1'),
  requester: utf8('auditor-pk'),
};

function escrowFor(
  keyType: 'x25519' | 'secp256k1',
  privateKey: Uint8Array,
  publicKey: Uint8Array,
  seed: string,
) {
  const rng = deterministicRandom(seed);
  const replicas = [1, 2, 3, 4].map((index) => ({ index, ...generateEpochKey(rng) }));
  const pkg = createEscrow(
    {
      keyType,
      privateKey,
      registeredPublicKey: publicKey,
      escrowId: utf8('escrow-1'),
      owner: utf8('alice'),
      epoch: 2,
      threshold: 1,
      recipients: replicas.map((r) => ({ index: r.index, publicKey: r.publicKey })),
    },
    rng,
  );
  const shares: SecretShare[] = replicas.map((r) => {
    const v = verifyEscrowShare(pkg, publicKey, r, rng);
    if (v.status !== 'ok') throw new Error('complaint');
    return v.share;
  });
  return { rng, pkg, shares };
}

describe('blinded decryption with an escrowed user key (Omega §5.2, "Decryption using escrowed keys")', () => {
  it('an escrowed X25519 key answers an ECDH ephemeral without any replica learning the shared secret', () => {
    const rng = deterministicRandom('escrow-decrypt/x25519');
    const userPrivate = rng(32);
    const userPublic = x25519.getPublicKey(userPrivate);
    const { pkg, shares } = escrowFor('x25519', userPrivate, userPublic, 'escrow-decrypt/x25519/escrow');
    // Someone sent Alice a message keyed by X25519(e, Alice); the ephemeral U travels with it.
    const e = rng(32);
    const U = x25519.getPublicKey(e);
    const expected = x25519.getSharedSecret(e, userPublic);
    const commitments = pkg.commitments.map((c) => ED25519.decode(c));
    const R = edwardsPointFromMontgomery(U);
    const target = utf8('message-42');
    const { request, secret } = blind(ED25519, R, ctx, target, rng);
    const partials = [2, 4].map((i) =>
      createBlindedDecryptionShare(
        ED25519,
        R,
        request,
        { index: i, secretShare: shares[i - 1]!.value },
        ctx,
        target,
        rng,
      ),
    );
    const combined = combineBlindedShares(
      ED25519,
      request,
      { threshold: 1, publicShares: (i) => publicShare(ED25519, commitments, i), shares: partials },
      ctx,
      target,
    );
    expect(montgomeryFromEdwards(combined.value)).not.toEqual(expected);
    const M = unblind(ED25519, commitments[0]!, combined.value, secret);
    expect(montgomeryFromEdwards(M)).toEqual(expected);
  });

  it('an escrowed secp256k1 key answers an ECDH ephemeral the same way', () => {
    const rng = deterministicRandom('escrow-decrypt/secp256k1');
    const userPrivate = bigintToBytesBE(SECP256K1.field.random(rng), 32);
    const userPublic = secp256k1.getPublicKey(userPrivate, true);
    const { pkg, shares } = escrowFor(
      'secp256k1',
      userPrivate,
      userPublic,
      'escrow-decrypt/secp256k1/escrow',
    );
    const e = bigintToBytesBE(SECP256K1.field.random(rng), 32);
    const R = SECP256K1.decode(secp256k1.getPublicKey(e, true));
    const expected = secp256k1.getSharedSecret(e, userPublic, true);
    const commitments = pkg.commitments.map((c) => SECP256K1.decode(c));
    const target = utf8('message-43');
    const { request, secret } = blind(SECP256K1, R, ctx, target, rng);
    const partials = [1, 3].map((i) =>
      createBlindedDecryptionShare(
        SECP256K1,
        R,
        request,
        { index: i, secretShare: shares[i - 1]!.value },
        ctx,
        target,
        rng,
      ),
    );
    const combined = combineBlindedShares(
      SECP256K1,
      request,
      { threshold: 1, publicShares: (i) => publicShare(SECP256K1, commitments, i), shares: partials },
      ctx,
      target,
    );
    expect(SECP256K1.encode(unblind(SECP256K1, commitments[0]!, combined.value, secret))).toEqual(expected);
  });

  it('clamping rules: a mixed-order X25519 ephemeral gives exactly what X25519 gives', () => {
    const rng = deterministicRandom('escrow-decrypt/x25519-mixed-order');
    const userPrivate = rng(32);
    const userPublic = x25519.getPublicKey(userPrivate);
    const { pkg, shares } = escrowFor(
      'x25519',
      userPrivate,
      userPublic,
      'escrow-decrypt/x25519-mixed/escrow',
    );
    const commitments = pkg.commitments.map((c) => ED25519.decode(c));
    // e·B plus a point of order 8 (a well-known small-order edwards25519 encoding).
    const torsion = ed25519.Point.fromBytes(
      fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
    );
    const U = ed25519.utils.toMontgomery(ED25519.mulBase(ED25519.field.random(rng)).add(torsion).toBytes());
    expect(torsion.is0()).toBe(false);
    expect(torsion.multiplyUnsafe(8n).is0()).toBe(true);
    const expected = x25519.getSharedSecret(userPrivate, U);
    const R = edwardsPointFromMontgomery(U);
    const target = utf8('message-44');
    const { request, secret } = blind(ED25519, R, ctx, target, rng);
    const partials = [1, 2].map((i) =>
      createBlindedDecryptionShare(
        ED25519,
        R,
        request,
        { index: i, secretShare: shares[i - 1]!.value },
        ctx,
        target,
        rng,
      ),
    );
    const combined = combineBlindedShares(
      ED25519,
      request,
      { threshold: 1, publicShares: (i) => publicShare(ED25519, commitments, i), shares: partials },
      ctx,
      target,
    );
    expect(montgomeryFromEdwards(unblind(ED25519, commitments[0]!, combined.value, secret))).toEqual(
      expected,
    );
  });

  it('an X25519 value of small order, on the twist or not reduced is rejected with a stable code', () => {
    // u = 0 is a small-order point (RFC 7748 §6.1 low-order inputs); p itself is non-canonical.
    expect(() => edwardsPointFromMontgomery(new Uint8Array(32))).toThrowError(
      /WRONG_SUBGROUP|IDENTITY_POINT|NOT_ON_CURVE/,
    );
    const p = new Uint8Array(32).fill(0xff);
    p[0] = 0xed;
    p[31] = 0x7f;
    expect(() => edwardsPointFromMontgomery(p)).toThrowError(/NON_CANONICAL/);
  });
});
