/**
 * The FROST signing desk (src/core/signing/frost-desk.ts): signatures coordinated by the log, shares
 * verified on arrival, bad and withholding signers excluded and named, commitments never used twice.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../src/codec.js';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import type { FrostGroup, FrostSigner } from '../../src/crypto/frost.js';
import { NonceBook, frostGroupFromCommitments, frostSigner, signShare } from '../../src/crypto/frost.js';
import { ED25519 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { deal } from '../../src/crypto/vss.js';
import {
  FROST_ATTEMPT_TIMEOUT_MS,
  FrostDesk,
  encodeCommitBody,
  encodeShareBody,
} from '../../src/core/signing/frost-desk.js';

function nodeEd25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const spki = concatBytes(fromHex('302a300506032b6570032100'), publicKey);
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  return nodeVerify(null, message, key, signature);
}

/** n signers, each with a nonce book, posting commitments to one desk as the log would order them. */
function setup(seed: string, t = 1, n = 4) {
  const rng = deterministicRandom(seed);
  const d = deal(ED25519, { threshold: t, parties: n }, rng);
  const group: FrostGroup = frostGroupFromCommitments(t, n, d.commitments);
  const signers: FrostSigner[] = d.shares.map((s) => frostSigner(group, s.index, s.value));
  const books = signers.map((s) => new NonceBook(s.index));
  const desk = new FrostDesk(group);
  const post = (i: number, count = 2) => {
    const cs = books[i - 1]!.generate(signers[i - 1]!, count, rng);
    desk.applyCommit(i, encodeCommitBody(cs));
  };
  /** Signer i's share for the job's current attempt, computed as the runtime would. */
  const shareOf = (i: number, jobId: number, corrupt = false) => {
    const job = desk.job(jobId)!;
    const mine = job.commitments.find((c) => c.index === i)!;
    const share = signShare(
      group,
      signers[i - 1]!,
      books[i - 1]!.take(mine.seq),
      job.commitments,
      job.message,
    );
    if (corrupt) share[0]! ^= 1;
    return encodeShareBody(jobId, job.attempt, share);
  };
  return { group, desk, post, shareOf };
}

describe('FROST desk', () => {
  it('signs with t+1 signers chosen from posted commitments; the result verifies with node:crypto Ed25519', () => {
    const { group, desk, post, shareOf } = setup('desk-1');
    for (let i = 1; i <= 4; i++) post(i);
    const message = utf8('tbs certificate bytes');
    const id = desk.request('x509/certificate', message);
    expect(desk.job(id)!.state).toBe('pending');
    desk.beginBlock(1_000);
    const job = desk.job(id)!;
    expect(job.state).toBe('signing');
    expect(job.signers).toHaveLength(2);
    const [a, b] = job.signers;
    expect(desk.applyShare(a!, shareOf(a!, id))).toBe('accepted');
    expect(desk.applyShare(b!, shareOf(b!, id))).toBe('signed');
    const signature = desk.job(id)!.signature!;
    expect(nodeEd25519Verify(group.publicKey, message, signature)).toBe(true);
    desk.forget(id);
    expect(desk.job(id)).toBeUndefined();
  });

  it('a bad share excludes its sender by name and the job is signed by others with fresh commitments', () => {
    const { group, desk, post, shareOf } = setup('desk-2');
    for (let i = 1; i <= 4; i++) post(i);
    const message = utf8('crl');
    const id = desk.request('x509/crl', message);
    desk.beginBlock(1_000);
    const first = desk.job(id)!;
    const [liar, honest] = first.signers;
    expect(desk.applyShare(liar!, shareOf(liar!, id, true))).toBe('bad-share');
    expect(desk.job(id)!.excluded).toEqual([liar]);
    expect(desk.job(id)!.culprits).toEqual([{ signer: liar, reason: 'bad-share' }]);
    // The honest signer's pending share for the abandoned attempt is now stale.
    expect(() => desk.applyShare(honest!, encodeShareBody(id, first.attempt, new Uint8Array(32)))).toThrow(
      /STALE_SHARE/,
    );
    desk.beginBlock(1_100);
    const second = desk.job(id)!;
    expect(second.attempt).toBe(2);
    expect(second.signers).not.toContain(liar);
    // Fresh commitments: none of the first attempt's is reused.
    const used = new Set(first.commitments.map((c) => `${c.index}/${c.seq}`));
    for (const c of second.commitments) expect(used.has(`${c.index}/${c.seq}`)).toBe(false);
    for (const s of second.signers) desk.applyShare(s, shareOf(s, id));
    expect(nodeEd25519Verify(group.publicKey, message, desk.job(id)!.signature!)).toBe(true);
  });

  it('a signer that withholds its share is excluded when the attempt times out (block time), and the job completes', () => {
    const { group, desk, post, shareOf } = setup('desk-3');
    for (let i = 1; i <= 4; i++) post(i);
    const message = utf8('withheld');
    const id = desk.request('x509/certificate', message);
    desk.beginBlock(1_000);
    const [silent, honest] = desk.job(id)!.signers;
    desk.applyShare(honest!, shareOf(honest!, id));
    desk.beginBlock(1_000 + FROST_ATTEMPT_TIMEOUT_MS - 1);
    expect(desk.job(id)!.attempt).toBe(1);
    desk.beginBlock(1_000 + FROST_ATTEMPT_TIMEOUT_MS);
    const retry = desk.job(id)!;
    expect(retry.culprits).toEqual([{ signer: silent, reason: 'withheld' }]);
    expect(retry.signers).not.toContain(silent);
    for (const s of retry.signers) desk.applyShare(s, shareOf(s, id));
    expect(nodeEd25519Verify(group.publicKey, message, desk.job(id)!.signature!)).toBe(true);
  });

  it('waits while fewer than t+1 signers have commitments; a job never starts with reused commitments', () => {
    const { desk, post } = setup('desk-4');
    post(1, 1);
    const id = desk.request('x509/certificate', utf8('m'));
    desk.beginBlock(1_000);
    expect(desk.job(id)!.state).toBe('pending');
    post(3, 1);
    desk.beginBlock(1_100);
    expect(desk.job(id)!.state).toBe('signing');
    expect(desk.queued(1) + desk.queued(3)).toBe(0);
  });

  it('rejects replayed or non-increasing commitment sequence numbers, identity points, shares from non-signers and duplicates, leaving the state unchanged', () => {
    const rng = deterministicRandom('desk-5');
    const { desk, post, shareOf } = setup('desk-5');
    post(1, 2);
    const before = snapshot(desk);
    const replay = encodeCommitBody([
      { seq: 1, hiding: ED25519.encode(ED25519.mulBase(5n)), binding: ED25519.encode(ED25519.mulBase(6n)) },
    ]);
    expect(() => desk.applyCommit(1, replay)).toThrow(/NON_CANONICAL/);
    const identity = encodeCommitBody([
      { seq: 9, hiding: ED25519.encode(ED25519.identity), binding: rng(32) },
    ]);
    expect(() => desk.applyCommit(1, identity)).toThrow();
    expect(() => desk.applyCommit(9, replay)).toThrow(/NOT_COMMITTEE_MEMBER/);
    expect(() => desk.applyCommit(1, new Uint8Array([1, 0, 0]))).toThrow();
    expect(toHex(snapshot(desk))).toBe(toHex(before));
    for (let i = 2; i <= 4; i++) post(i);
    const id = desk.request('x509/certificate', utf8('m'));
    desk.beginBlock(1_000);
    const job = desk.job(id)!;
    const outsider = [1, 2, 3, 4].find((i) => !job.signers.includes(i as never))!;
    expect(() => desk.applyShare(outsider, encodeShareBody(id, job.attempt, new Uint8Array(32)))).toThrow(
      /NOT_A_SIGNER/,
    );
    const s = job.signers[0]!;
    const body = shareOf(s, id);
    expect(desk.applyShare(s, body)).toBe('accepted');
    expect(() => desk.applyShare(s, body)).toThrow(/DUPLICATE_REQUEST/);
  });

  it('snapshot and restore mid-job give an identical desk that finishes the same signature', () => {
    const { group, desk, post, shareOf } = setup('desk-6');
    for (let i = 1; i <= 4; i++) post(i, 3);
    const id = desk.request('x509/certificate', utf8('snap'));
    desk.beginBlock(1_000);
    const [a, b] = desk.job(id)!.signers;
    desk.applyShare(a!, shareOf(a!, id));
    const bytes = snapshot(desk);
    const restored = FrostDesk.restore(group, new Reader(bytes));
    expect(toHex(snapshot(restored))).toBe(toHex(bytes));
    const last = shareOf(b!, id);
    expect(desk.applyShare(b!, last)).toBe('signed');
    expect(restored.applyShare(b!, last)).toBe('signed');
    expect(toHex(restored.job(id)!.signature!)).toBe(toHex(desk.job(id)!.signature!));
  });
});

function snapshot(desk: FrostDesk): Uint8Array {
  const w = new Writer();
  desk.snapshot(w);
  return w.finish();
}
