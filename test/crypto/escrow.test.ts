import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigintToBytesBE, utf8 } from '../../src/crypto/bytes.js';
import type { EscrowKeyType, EscrowPackage, ReleasedShare } from '../../src/crypto/escrow/index.js';
import {
  DEPOSITOR,
  checkEscrowPackage,
  clampedScalarFromReduced,
  createEscrow,
  decodeEscrowPackage,
  decodeReleasedShare,
  encodeEscrowPackage,
  encodeReleasedShare,
  escrowSessionId,
  judgeEscrowComplaint,
  judgeRecoveryComplaint,
  reconstructEscrowedKey,
  recoverEscrowedKey,
  recoveryComplaint,
  releaseShareForRecovery,
  secretScalar,
  verifyEscrowShare,
} from '../../src/crypto/escrow/index.js';
import { shareIndex } from '../../src/crypto/field.js';
import { ED25519, P256, RISTRETTO255, SECP256K1 } from '../../src/crypto/group.js';
import { encodeProof, proveSchnorr } from '../../src/crypto/proofs.js';
import type { RandomSource } from '../../src/crypto/rand.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { encryptShares, generateEpochKey } from '../../src/crypto/share-encryption.js';
import type { SecretShare } from '../../src/crypto/vss.js';
import { deal } from '../../src/crypto/vss.js';
import { isOmegaError } from '../../src/errors.js';

const N = 4;
const T = 1;
const KEY_TYPES: readonly EscrowKeyType[] = ['ed25519', 'x25519', 'secp256k1', 'p256'];

/** A user key pair of the given type, made with the reference library (not with the code under test). */
function userKey(
  keyType: EscrowKeyType,
  rng: RandomSource,
): { privateKey: Uint8Array; publicKey: Uint8Array } {
  switch (keyType) {
    case 'ed25519': {
      const privateKey = rng(32);
      return { privateKey, publicKey: ed25519.getPublicKey(privateKey) };
    }
    case 'x25519': {
      const privateKey = rng(32);
      return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
    }
    case 'secp256k1': {
      const privateKey = bigintToBytesBE(SECP256K1.field.random(rng), 32);
      return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, true) };
    }
    case 'p256': {
      const privateKey = bigintToBytesBE(P256.field.random(rng), 32);
      return { privateKey, publicKey: p256.getPublicKey(privateKey, true) };
    }
  }
}

function setup(keyType: EscrowKeyType, seed: string) {
  const rng = deterministicRandom(seed);
  const replicas = Array.from({ length: N }, (_, k) => ({ index: k + 1, ...generateEpochKey(rng) }));
  const recipients = replicas.map((r) => ({ index: r.index, publicKey: r.publicKey }));
  const user = userKey(keyType, rng);
  const request = {
    keyType,
    privateKey: user.privateKey,
    registeredPublicKey: user.publicKey,
    escrowId: utf8(`escrow-${seed}`),
    owner: utf8('alice'),
    epoch: 5,
    threshold: T,
    recipients,
  };
  const pkg = createEscrow(request, rng);
  return { rng, replicas, recipients, user, request, pkg };
}

function verifiedShares(s: ReturnType<typeof setup>, pkg: EscrowPackage = s.pkg): SecretShare[] {
  return s.replicas.map((r) => {
    const v = verifyEscrowShare(pkg, s.user.publicKey, r, s.rng);
    if (v.status !== 'ok') throw new Error(`replica ${r.index} complained: ${v.reason}`);
    return v.share;
  });
}

describe.each(KEY_TYPES)('escrow of a %s key', (keyType) => {
  it('every replica accepts its share and any t+1 shares rebuild the key the user holds', () => {
    const s = setup(keyType, `escrow/${keyType}/roundtrip`);
    const decoded = decodeEscrowPackage(encodeEscrowPackage(s.pkg));
    expect(encodeEscrowPackage(decoded)).toEqual(encodeEscrowPackage(s.pkg));
    const shares = verifiedShares(s, decoded);
    for (const pair of [
      [0, 1],
      [1, 3],
      [2, 3],
    ] as const) {
      const { key, culprits } = reconstructEscrowedKey(decoded, s.user.publicKey, [
        shares[pair[0]]!,
        shares[pair[1]]!,
      ]);
      expect(culprits).toEqual([]);
      expect(key.scalar).toBe(secretScalar(keyType, s.user.privateKey));
      if (keyType === 'secp256k1' || keyType === 'p256') expect(key.privateKey).toEqual(s.user.privateKey);
      if (keyType === 'x25519') {
        // The recovered clamped scalar is a working X25519 key: same public key, same shared secrets.
        const peer = x25519.getPublicKey(s.rng(32));
        expect(x25519.getPublicKey(key.privateKey!)).toEqual(s.user.publicKey);
        expect(x25519.getSharedSecret(key.privateKey!, peer)).toEqual(
          x25519.getSharedSecret(s.user.privateKey, peer),
        );
      }
      if (keyType === 'ed25519') {
        // Same scalar as RFC 8032's expanded key (noble's reference computation).
        expect(key.scalar).toBe(ed25519.utils.getExtendedPublicKey(s.user.privateKey).scalar);
        expect(key.privateKey).toBeUndefined();
      }
    }
  });

  it('an escrow whose constant commitment differs from the public key is rejected', () => {
    const s = setup(keyType, `escrow/${keyType}/c0`);
    const other = userKey(keyType, s.rng);
    // The package checked against another registered key ...
    expect(() => checkEscrowPackage(s.pkg, other.publicKey)).toThrowError(/ESCROW_KEY_MISMATCH/);
    // ... a package whose C_0 was swapped for another key's point ...
    const swapped = {
      ...s.pkg,
      commitments: [otherPoint(keyType, other.publicKey, s.rng), ...s.pkg.commitments.slice(1)],
    };
    try {
      checkEscrowPackage(swapped, s.user.publicKey);
      expect.unreachable();
    } catch (e) {
      expect(isOmegaError(e, 'ESCROW_KEY_MISMATCH')).toBe(true);
      expect((e as { culprits: number[] }).culprits).toEqual([DEPOSITOR]);
    }
    expect(() => verifyEscrowShare(swapped, s.user.publicKey, s.replicas[0]!, s.rng)).toThrowError(
      /ESCROW_KEY_MISMATCH/,
    );
    // ... and a client holding the wrong private key cannot even build one.
    expect(() => createEscrow({ ...s.request, registeredPublicKey: other.publicKey }, s.rng)).toThrowError(
      /ESCROW_KEY_MISMATCH/,
    );
  });
});

/** A valid commitment-group point that is not the user's key: the other key's point where possible. */
function otherPoint(keyType: EscrowKeyType, otherPublicKey: Uint8Array, rng: RandomSource): Uint8Array {
  if (keyType === 'x25519') return ED25519.encode(ED25519.mulBase(ED25519.field.random(rng)));
  return otherPublicKey;
}

describe('escrow verification', () => {
  it('a commitment vector of the wrong length (degree check) is rejected', () => {
    const s = setup('secp256k1', 'escrow/degree');
    const longer = { ...s.pkg, commitments: [...s.pkg.commitments, s.pkg.commitments[1]!] };
    expect(() => checkEscrowPackage(longer, s.user.publicKey)).toThrowError(/BAD_COMMITMENTS/);
    expect(() =>
      checkEscrowPackage({ ...s.pkg, commitments: s.pkg.commitments.slice(0, 1) }, s.user.publicKey),
    ).toThrowError(/BAD_COMMITMENTS/);
  });

  it('an escrow without a valid proof of knowledge of the key is rejected (rogue escrow)', () => {
    const s = setup('ed25519', 'escrow/pok');
    const other = setup('ed25519', 'escrow/pok/other');
    // A proof from another escrow, or a mangled one, does not verify in this escrow's context.
    expect(() => checkEscrowPackage({ ...s.pkg, proof: other.pkg.proof }, s.user.publicKey)).toThrowError(
      /BAD_PROOF/,
    );
    const mangled = s.pkg.proof.slice();
    mangled[0]! ^= 1;
    expect(() => checkEscrowPackage({ ...s.pkg, proof: mangled }, s.user.publicKey)).toThrowError(
      /BAD_PROOF|NON_CANONICAL/,
    );
    // The same package relabelled to another owner or epoch loses its proof.
    expect(() => checkEscrowPackage({ ...s.pkg, owner: utf8('mallory') }, s.user.publicKey)).toThrowError(
      /BAD_PROOF/,
    );
    expect(() => checkEscrowPackage({ ...s.pkg, epoch: 6n }, s.user.publicKey)).toThrowError(/BAD_PROOF/);
  });

  it('a bad share is a complaint that anyone upholds against the depositor; a false complaint is blamed on the replica', () => {
    const s = setup('secp256k1', 'escrow/complaint');
    // A malicious depositor: correct commitments and PoK, but replica 2 gets a wrong share.
    const sk = secretScalar('secp256k1', s.user.privateKey);
    const dealing = deal(SECP256K1, { threshold: T, parties: N, secret: sk }, s.rng);
    const header = {
      keyType: 'secp256k1' as const,
      escrowId: utf8('bad-escrow'),
      owner: utf8('alice'),
      epoch: 5n,
      threshold: T,
      commitments: dealing.commitments.map((c) => SECP256K1.encode(c)),
    };
    const sessionId = escrowSessionId(header);
    const plaintexts = dealing.shares.map((sh, k) =>
      SECP256K1.field.encode(k === 1 ? SECP256K1.field.add(sh.value, 1n) : sh.value),
    );
    const enc = encryptShares(
      { sessionId, purpose: 'escrow/share', dealer: DEPOSITOR },
      s.recipients,
      plaintexts,
      s.rng,
    );
    const proof = encodeProof(
      SECP256K1,
      proveSchnorr(SECP256K1, sk, { sessionId, purpose: 'escrow/pok' }, s.rng),
    );
    const pkg: EscrowPackage = { ...header, proof, ephemeral: enc.ephemeral, ciphertexts: enc.ciphertexts };
    checkEscrowPackage(pkg, s.user.publicKey);

    const verdict2 = verifyEscrowShare(pkg, s.user.publicKey, s.replicas[1]!, s.rng);
    expect(verdict2.status).toBe('complaint');
    if (verdict2.status !== 'complaint') return;
    expect(verdict2.reason).toBe('BAD_SHARE');
    expect(judgeEscrowComplaint(pkg, s.recipients[1]!, verdict2.disclosure)).toEqual({ fault: 'depositor' });

    // Replica 3's share is fine: if it complains anyway (disclosing its real key), the complaint fails.
    const verdict3 = verifyEscrowShare(pkg, s.user.publicKey, s.replicas[2]!, s.rng);
    expect(verdict3.status).toBe('ok');
    expect(judgeEscrowComplaint(pkg, s.recipients[2]!, verdict2.disclosure)).toEqual({
      fault: 'complainant',
    });

    // A ciphertext that does not decrypt is also the depositor's fault.
    const broken = {
      ...pkg,
      ciphertexts: pkg.ciphertexts.map((c, k) => (k === 3 ? c.map((b) => b ^ 1) : c)),
    };
    const verdict4 = verifyEscrowShare(broken, s.user.publicKey, s.replicas[3]!, s.rng);
    expect(verdict4.status === 'complaint' && verdict4.reason).toBe('DECRYPTION_FAILED');
    if (verdict4.status !== 'complaint') return;
    expect(judgeEscrowComplaint(broken, s.recipients[3]!, verdict4.disclosure)).toEqual({
      fault: 'depositor',
    });
  });

  it('recovery to an authorized key rebuilds the key and names a replica that releases a bad share', () => {
    const s = setup('p256', 'escrow/recovery');
    const shares = verifiedShares(s);
    const recoverySecret = RISTRETTO255.field.random(s.rng);
    const rc = {
      requestId: utf8('recover-1'),
      recoveryKey: RISTRETTO255.encode(RISTRETTO255.mulBase(recoverySecret)),
    };
    const released: ReleasedShare[] = shares.map((sh) => releaseShareForRecovery(s.pkg, sh, rc, s.rng));
    // Replica 1 releases a wrong share; replica 2 releases garbage.
    released[0] = releaseShareForRecovery(
      s.pkg,
      { index: shareIndex(1), value: P256.field.add(shares[0]!.value, 5n) },
      rc,
      s.rng,
    );
    released[1] = { ...released[1]!, ciphertext: released[1]!.ciphertext.map((b) => b ^ 0xff) };
    const { key, culprits } = recoverEscrowedKey(s.pkg, s.user.publicKey, rc, recoverySecret, released);
    expect(culprits).toEqual([1, 2]);
    expect(key.privateKey).toEqual(s.user.privateKey);
    // Released shares travel in a strict 82-byte encoding.
    const wire = released.map((r) => decodeReleasedShare(encodeReleasedShare(r)));
    expect(encodeReleasedShare(released[3]!).length).toBe(82);
    expect(recoverEscrowedKey(s.pkg, s.user.publicKey, rc, recoverySecret, wire).key.privateKey).toEqual(
      s.user.privateKey,
    );
    expect(() => decodeReleasedShare(encodeReleasedShare(released[3]!).subarray(1))).toThrowError(
      /INVALID_LENGTH/,
    );
    // The recoverer can prove each culprit to everyone, without revealing its recovery secret.
    for (const bad of [released[0], released[1]]) {
      const disclosure = recoveryComplaint(s.pkg, rc, recoverySecret, bad, s.rng);
      expect(judgeRecoveryComplaint(s.pkg, rc, bad, disclosure)).toEqual({ fault: 'replica' });
    }
    // A complaint about a good share is blamed on the recoverer.
    const good = released[2]!;
    expect(
      judgeRecoveryComplaint(s.pkg, rc, good, recoveryComplaint(s.pkg, rc, recoverySecret, good, s.rng)),
    ).toEqual({
      fault: 'recoverer',
    });
    // With only t good shares left, recovery fails and names the culprits.
    try {
      recoverEscrowedKey(s.pkg, s.user.publicKey, rc, recoverySecret, released.slice(0, 3));
      expect.unreachable();
    } catch (e) {
      expect(isOmegaError(e, 'BAD_PARTIAL')).toBe(true);
      expect((e as { culprits: number[] }).culprits).toEqual([1, 2]);
    }
    // A share released for another recovery request or key does not open here.
    const other = { ...rc, requestId: utf8('recover-2') };
    expect(() =>
      recoverEscrowedKey(s.pkg, s.user.publicKey, other, recoverySecret, released.slice(2)),
    ).toThrowError(/BAD_PARTIAL/);
  });

  it('the X25519 clamped scalar is recovered exactly (a = 8·(s·8⁻¹ mod ℓ))', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (k) => {
        const s = secretScalar('x25519', k);
        const a = clampedScalarFromReduced(s);
        const clamped = k.slice();
        clamped[0]! &= 248;
        clamped[31]! &= 127;
        clamped[31]! |= 64;
        let expected = 0n;
        for (let i = 31; i >= 0; i--) expected = (expected << 8n) | BigInt(clamped[i]!);
        expect(a).toBe(expected);
      }),
      { seed: 601, numRuns: 200 },
    );
  });

  it('rejects malformed private keys with stable codes', () => {
    const n = SECP256K1.field.order;
    expect(() => secretScalar('secp256k1', bigintToBytesBE(n, 32))).toThrowError(/OUT_OF_RANGE/);
    expect(() => secretScalar('p256', new Uint8Array(32))).toThrowError(/ZERO_SCALAR/);
    expect(() => secretScalar('ed25519', new Uint8Array(31))).toThrowError(/INVALID_LENGTH/);
  });

  it('the package decoder rejects malformed input with stable codes, never a crash', () => {
    const s = setup('x25519', 'escrow/decoder');
    const bytes = encodeEscrowPackage(s.pkg);
    expect(() => decodeEscrowPackage(bytes.subarray(0, bytes.length - 1))).toThrowError(/INVALID_ENCODING/);
    expect(() => decodeEscrowPackage(new Uint8Array([...bytes, 0]))).toThrowError(/INVALID_ENCODING/);
    const badVersion = bytes.slice();
    badVersion[0] = 9;
    expect(() => decodeEscrowPackage(badVersion)).toThrowError(/UNSUPPORTED_VERSION: unknown escrow version/);
    const badType = bytes.slice();
    badType[1] = 77;
    expect(() => decodeEscrowPackage(badType)).toThrowError(/unknown escrow key type/);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (pos, flip) => {
          const mutated = bytes.slice();
          mutated[pos]! ^= flip;
          try {
            const pkg = decodeEscrowPackage(mutated);
            // Decodes: then a replica's checks must catch the change (or it touched only another replica's share).
            const verdicts = s.replicas.map((r) => {
              try {
                return verifyEscrowShare(pkg, s.user.publicKey, r, s.rng).status;
              } catch (e) {
                expect((e as Error).name).toBe('OmegaError');
                return 'rejected';
              }
            });
            expect(verdicts.every((v) => v === 'ok')).toBe(false);
          } catch (e) {
            expect((e as Error).name).toBe('OmegaError');
          }
        },
      ),
      { seed: 602, numRuns: 25 },
    );
  });
});
