import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import vector from '../vectors/rfc9591-frost-ed25519-sha512.json' with { type: 'json' };
import { bytesToBigintLE, concatBytes, fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import {
  aggregate,
  decodeNonceBook,
  encodeNonceBook,
  frostGroupFromCommitments,
  frostSigner,
  NonceBook,
  selectSigners,
  signShare,
  verifySignatureShare,
} from '../../src/crypto/frost.js';
import type { FrostGroup, FrostSigner, NonceCommitment } from '../../src/crypto/frost.js';
import { ED25519 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { deal } from '../../src/crypto/vss.js';
import { isOmegaError } from '../../src/errors.js';

/** Verifies with OpenSSL's Ed25519 through node:crypto — an implementation no one here wrote. */
function nodeEd25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const spki = concatBytes(fromHex('302a300506032b6570032100'), publicKey);
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  return nodeVerify(null, message, key, signature);
}

function setup(seed: string, t: number, n: number): { group: FrostGroup; signers: FrostSigner[] } {
  const rng = deterministicRandom(seed);
  const d = deal(ED25519, { threshold: t, parties: n }, rng);
  const group = frostGroupFromCommitments(t, n, d.commitments);
  return { group, signers: d.shares.map((s) => frostSigner(group, s.index, s.value)) };
}

function signWith(
  group: FrostGroup,
  signers: FrostSigner[],
  chosen: number[],
  message: Uint8Array,
  seed: string,
) {
  const rng = deterministicRandom(seed);
  const books = new Map(chosen.map((i) => [i, new NonceBook(signers[i - 1]!.index)]));
  const commitments: NonceCommitment[] = chosen.map(
    (i) => books.get(i)!.generate(signers[i - 1]!, 1, rng)[0]!,
  );
  const shares = new Map(
    chosen.map((i) => [i, signShare(group, signers[i - 1]!, books.get(i)!.take(0), commitments, message)]),
  );
  return { commitments, shares, books };
}

describe('FROST(Ed25519, SHA-512) — RFC 9591', () => {
  it('reproduces the RFC 9591 Appendix E.1 test vector byte for byte', () => {
    const secret = bytesToBigintLE(fromHex(vector.inputs.group_secret_key));
    const a1 = bytesToBigintLE(fromHex(vector.inputs.share_polynomial_coefficients[0]!));
    const group = frostGroupFromCommitments(1, 3, [ED25519.mulBase(secret), ED25519.mulBase(a1)]);
    expect(toHex(group.publicKey)).toBe(vector.inputs.group_public_key);
    const message = fromHex(vector.inputs.message);
    const signers = vector.inputs.participant_shares.map((p) =>
      frostSigner(group, p.identifier, bytesToBigintLE(fromHex(p.participant_share))),
    );
    const commitments: NonceCommitment[] = [];
    const books = new Map<number, NonceBook>();
    for (const out of vector.round_one_outputs.outputs) {
      const randomness = [fromHex(out.hiding_nonce_randomness), fromHex(out.binding_nonce_randomness)];
      const book = new NonceBook(signers[out.identifier - 1]!.index);
      const [c] = book.generate(signers[out.identifier - 1]!, 1, () => randomness.shift()!);
      expect(toHex(c!.hiding)).toBe(out.hiding_nonce_commitment);
      expect(toHex(c!.binding)).toBe(out.binding_nonce_commitment);
      commitments.push(c!);
      books.set(out.identifier, book);
    }
    const shares = new Map<number, Uint8Array>();
    for (const out of vector.round_two_outputs.outputs) {
      const signer = signers[out.identifier - 1]!;
      const share = signShare(group, signer, books.get(out.identifier)!.take(0), commitments, message);
      expect(toHex(share)).toBe(out.sig_share);
      shares.set(out.identifier, share);
    }
    const sig = aggregate(group, commitments, message, shares);
    expect(toHex(sig)).toBe(vector.final_output.sig);
    expect(nodeEd25519Verify(group.publicKey, message, sig)).toBe(true);
  });

  it('keys from Feldman VSS sign with any t+1 signers; node:crypto verifies the aggregate', () => {
    const { group, signers } = setup('frost/any-subset', 2, 5);
    const message = utf8('tbs certificate bytes');
    for (const chosen of [
      [1, 2, 3],
      [2, 4, 5],
      [1, 3, 5],
    ]) {
      const { commitments, shares } = signWith(group, signers, chosen, message, `frost/${chosen.join()}`);
      const sig = aggregate(group, commitments, message, shares);
      expect(nodeEd25519Verify(group.publicKey, message, sig)).toBe(true);
      expect(nodeEd25519Verify(group.publicKey, utf8('other'), sig)).toBe(false);
    }
  });

  it('a FROST nonce is never used twice, even across a restart of the nonce book', () => {
    const { signers } = setup('frost/reuse', 1, 3);
    const rng = deterministicRandom('frost/reuse/nonces');
    const book = new NonceBook(signers[0]!.index);
    book.generate(signers[0]!, 2, rng);
    book.take(0);
    try {
      book.take(0);
      expect.unreachable();
    } catch (e) {
      expect(isOmegaError(e, 'NONCE_REUSED')).toBe(true);
    }
    const restored = decodeNonceBook(encodeNonceBook(book));
    expect(restored.available).toBe(1);
    expect(() => restored.take(0)).toThrowError(/NONCE_REUSED/);
    restored.take(1);
    expect(() => restored.take(1)).toThrowError(/NONCE_REUSED/);
  });

  it('a signer that corrupts or withholds its share is named, then excluded, and signing succeeds', () => {
    const { group, signers } = setup('frost/exclusion', 1, 4);
    const message = utf8('crl bytes');
    const first = selectSigners(group, new Set([1, 2, 3, 4]), new Set(), 0)!;
    expect(first).toEqual([1, 2]);
    const { commitments, shares } = signWith(group, signers, first, message, 'frost/excl/1');
    const corrupted = new Map(shares);
    const bad = corrupted.get(2)!.slice();
    bad[0]! ^= 1;
    corrupted.set(2, bad);
    expect(verifySignatureShare(group, commitments, message, 2, bad)).toBe(false);
    let culprits: readonly number[] = [];
    try {
      aggregate(group, commitments, message, corrupted);
      expect.unreachable();
    } catch (e) {
      expect(isOmegaError(e, 'BAD_PARTIAL')).toBe(true);
      culprits = (e as { culprits: number[] }).culprits;
    }
    expect(culprits).toEqual([2]);
    const withheld = new Map(shares);
    withheld.delete(1);
    expect(() => aggregate(group, commitments, message, withheld)).toThrowError(/BAD_PARTIAL/);
    const second = selectSigners(group, new Set([1, 2, 3, 4]), new Set(culprits), 1)!;
    expect(second).not.toContain(2);
    const retry = signWith(group, signers, second, message, 'frost/excl/2');
    const sig = aggregate(group, retry.commitments, message, retry.shares);
    expect(nodeEd25519Verify(group.publicKey, message, sig)).toBe(true);
  });

  it('rejects a share that does not match its verifying share, and malformed groups', () => {
    const { group } = setup('frost/bad-share', 1, 3);
    expect(() => frostSigner(group, 1, 12345n)).toThrowError(/BAD_SHARE/);
    const d = deal(ED25519, { threshold: 1, parties: 3 }, deterministicRandom('frost/len'));
    expect(() => frostGroupFromCommitments(2, 3, d.commitments)).toThrowError(/BAD_COMMITMENTS/);
    expect(() => frostGroupFromCommitments(0, 3, d.commitments.slice(0, 1))).toThrowError(/INVALID_ARGUMENT/);
  });

  it('rejects a commitment list with a duplicate signer or a small-order commitment', () => {
    const { group, signers } = setup('frost/dup', 1, 3);
    const { commitments } = signWith(group, signers, [1, 2], utf8('m'), 'frost/dup/n');
    const zeros = { hiding: new Uint8Array(32), binding: new Uint8Array(32) } as any;
    expect(() =>
      signShare(group, signers[0]!, zeros, [commitments[0]!, commitments[0]!], utf8('m')),
    ).toThrowError(/INVALID_ARGUMENT/);
    const identity = fromHex('0100000000000000000000000000000000000000000000000000000000000000');
    const smallOrder = { ...commitments[1]!, hiding: identity };
    expect(verifySignatureShare(group, [commitments[0]!, smallOrder], utf8('m'), 1, new Uint8Array(32))).toBe(
      false,
    );
  });
});
