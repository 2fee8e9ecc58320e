/**
 * The life of an escrowed key, end to end on the crypto layer, with one Byzantine replica at every step
 * (n = 4, t = f = 1): deposit (Omega §5.2 "Escrow protocol"), use by an authorized party without any
 * replica learning the result ("Decryption using escrowed keys", blinded), and recovery to a
 * pre-authorized key ("Recovery of escrowed keys"). Messages cross the wire in their v1 encodings.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/bytes.js';
import type { DecryptionContext, DecryptionShare } from '../../src/crypto/elgamal/index.js';
import {
  blind,
  combineBlindedShares,
  createBlindedDecryptionShare,
  createDecryptionShare,
  decodeBlindingRequest,
  decodeDecryptionShare,
  encodeBlindingRequest,
  encodeDecryptionShare,
  unblind,
} from '../../src/crypto/elgamal/index.js';
import type { EdPoint } from '../../src/crypto/group.js';
import {
  createEscrow,
  decodeEscrowPackage,
  decodeReleasedShare,
  edwardsPointFromMontgomery,
  encodeEscrowPackage,
  encodeReleasedShare,
  judgeEscrowComplaint,
  judgeRecoveryComplaint,
  montgomeryFromEdwards,
  recoverEscrowedKey,
  recoveryComplaint,
  releaseShareForRecovery,
  verifyEscrowShare,
} from '../../src/crypto/escrow/index.js';
import { ED25519, RISTRETTO255 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { generateEpochKey } from '../../src/crypto/share-encryption.js';
import type { SecretShare } from '../../src/crypto/vss.js';
import { publicShare } from '../../src/crypto/vss.js';

const BYZANTINE = 4;

describe('escrowed X25519 key: deposit, blinded use and recovery with a Byzantine replica', () => {
  it('survives a false complaint, a bad decryption share and a bad recovery share, naming replica 4 each time', () => {
    const seed = 'escrow-lifecycle/1';
    const rng = deterministicRandom(seed);
    const replicas = [1, 2, 3, 4].map((index) => ({ index, ...generateEpochKey(rng) }));
    const recipients = replicas.map((r) => ({ index: r.index, publicKey: r.publicKey }));
    const alicePrivate = rng(32);
    const registry = new Map([['alice', x25519.getPublicKey(alicePrivate)]]);
    const alicePublic = registry.get('alice')!;

    // ── deposit ──────────────────────────────────────────────────────────────────────────────────
    const posted = encodeEscrowPackage(
      createEscrow(
        {
          keyType: 'x25519',
          privateKey: alicePrivate,
          registeredPublicKey: alicePublic,
          escrowId: utf8('escrow/alice/1'),
          owner: utf8('alice'),
          epoch: 3,
          threshold: 1,
          recipients,
        },
        rng,
      ),
    );
    const pkg = decodeEscrowPackage(posted);
    const shares = new Map<number, SecretShare>();
    for (const r of replicas) {
      const verdict = verifyEscrowShare(pkg, alicePublic, r, rng);
      expect(verdict.status, `replica ${r.index} (seed ${seed})`).toBe('ok');
      if (verdict.status === 'ok') shares.set(r.index, verdict.share);
    }
    // Replica 4 lies: it complains about its good share, disclosing its real pairwise key.
    const lie = verifyEscrowShare(
      { ...pkg, ciphertexts: pkg.ciphertexts.map((c, k) => (k === 3 ? c.map((b) => b ^ 1) : c)) },
      alicePublic,
      replicas[3]!,
      rng,
    );
    expect(lie.status).toBe('complaint');
    if (lie.status !== 'complaint') return;
    expect(judgeEscrowComplaint(pkg, recipients[3]!, lie.disclosure)).toEqual({ fault: 'complainant' });

    // ── blinded use by an authorized auditor ─────────────────────────────────────────────────────
    const commitments = pkg.commitments.map((c) => ED25519.decode(c));
    const ephemeralSecret = rng(32);
    const U = x25519.getPublicKey(ephemeralSecret);
    const senderSecret = x25519.getSharedSecret(ephemeralSecret, alicePublic);
    const ctx: DecryptionContext = {
      keyId: utf8('escrow/alice/1'),
      epoch: 3,
      requestId: utf8('audit-7'),
      requester: utf8('auditor'),
    };
    const target = U;
    const R = edwardsPointFromMontgomery(U);
    const { request, secret } = blind(ED25519, R, ctx, target, rng);
    const wireRequest = decodeBlindingRequest(ED25519, encodeBlindingRequest(ED25519, request));
    const answers: DecryptionShare<EdPoint>[] = replicas.map((r) => {
      const params = { index: r.index, secretShare: shares.get(r.index)!.value };
      const share =
        r.index === BYZANTINE
          ? // Replica 4 answers on the unblinded R (which would leak x_4·R to observers).
            createDecryptionShare(ED25519, params, { base: R, ctx, target }, rng)
          : createBlindedDecryptionShare(ED25519, R, wireRequest, params, ctx, target, rng);
      return decodeDecryptionShare(ED25519, encodeDecryptionShare(ED25519, share));
    });
    // The auditor happens to receive replica 4's answer first.
    const combined = combineBlindedShares(
      ED25519,
      request,
      {
        threshold: 1,
        publicShares: (i) => publicShare(ED25519, commitments, i),
        shares: [answers[3]!, answers[0]!, answers[1]!],
      },
      ctx,
      target,
    );
    expect(combined.subset).toEqual([1, 2]);
    expect(combined.culprits).toEqual([BYZANTINE]);
    const M = unblind(ED25519, commitments[0]!, combined.value, secret);
    expect(montgomeryFromEdwards(M)).toEqual(senderSecret);

    // ── recovery to Alice's pre-registered recovery key ─────────────────────────────────────────
    const recoverySecret = RISTRETTO255.field.random(rng);
    const rc = {
      requestId: utf8('recover-alice-1'),
      recoveryKey: RISTRETTO255.encode(RISTRETTO255.mulBase(recoverySecret)),
    };
    const released = replicas.map((r) => {
      const share =
        r.index === BYZANTINE
          ? { index: shares.get(r.index)!.index, value: ED25519.field.add(shares.get(r.index)!.value, 1n) }
          : shares.get(r.index)!;
      return decodeReleasedShare(encodeReleasedShare(releaseShareForRecovery(pkg, share, rc, rng)));
    });
    // Only replicas 4 and 3 answer at first: recovery names 4 and waits for more.
    const early = () =>
      recoverEscrowedKey(pkg, alicePublic, rc, recoverySecret, [released[3]!, released[2]!]);
    expect(early).toThrowError(/BAD_PARTIAL/);
    const { key, culprits } = recoverEscrowedKey(pkg, alicePublic, rc, recoverySecret, [
      released[3]!,
      released[2]!,
      released[0]!,
    ]);
    expect(culprits).toEqual([BYZANTINE]);
    expect(x25519.getSharedSecret(key.privateKey!, U)).toEqual(senderSecret);
    const proof = recoveryComplaint(pkg, rc, recoverySecret, released[3]!, rng);
    expect(judgeRecoveryComplaint(pkg, rc, released[3]!, proof)).toEqual({ fault: 'replica' });
  });
});
