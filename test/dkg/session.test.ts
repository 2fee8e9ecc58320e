/**
 * Log-DKG unit tests: each transaction, each phase, and each pitfall of research/protocol-design.md §2.3
 * (degree check, identity points and subgroups, 1-based indices, session replay, complaint abuse,
 * equivocation, liveness), through the public API of src/core/sessions/dkg.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BlsBackend } from '../../src/crypto/bls/backend.js';
import { BLS_FR, combine, partialSign, verify as blsVerify } from '../../src/crypto/bls/threshold.js';
import { toHex } from '../../src/crypto/bytes.js';
import { shareIndex } from '../../src/crypto/field.js';
import {
  NonceBook,
  aggregate,
  frostGroupFromCommitments,
  frostSigner,
  signShare,
} from '../../src/crypto/frost.js';
import { ED25519, G2, RISTRETTO255 } from '../../src/crypto/group.js';
import { interpolateScalarAtZero } from '../../src/crypto/poly.js';
import { decodeProof, proveSchnorr, encodeProof, verifySchnorr } from '../../src/crypto/proofs.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { decryptShare, disclosePairwiseKey } from '../../src/crypto/share-encryption.js';
import type { DkgSession, DkgShares } from '../../src/core/sessions/dkg/index.js';
import {
  DkgSession as Session,
  checkParams,
  complaintsFor,
  dealBodyFromPolynomials,
  dealEncryptionContext,
  decodeComplaint,
  decodeDeal,
  deriveShares,
  dkgSessionId,
  encodeComplaint,
  encodeDeal,
  encodeEpochKey,
  makeDealBody,
  makeEpochKeyBody,
  pokContext,
  proveKey,
  randomDealPolynomials,
  sharePlaintext,
  verifyKeyProof,
} from '../../src/core/sessions/dkg/index.js';
import { isOmegaError } from '../../src/errors.js';
import { craftDeal } from '../../sim/dkg-actors.js';
import { blocks, bls, complainAll, dealAll, epochKeys, params, sessionDealing } from './fixture.js';

let b: BlsBackend;
beforeAll(async () => {
  b = await bls();
});

/** Expects `f` to throw an OmegaError with `code` (and these culprits, if given) and the session to be unchanged. */
function rejects(s: DkgSession, f: () => unknown, code: string, culprits?: number[]): void {
  const before = s.snapshot();
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(isOmegaError(thrown), String(thrown)).toBe(true);
  const e = thrown as { code: string; culprits: readonly number[] };
  expect(e.code).toBe(code);
  if (culprits !== undefined) expect([...e.culprits]).toEqual(culprits);
  expect(toHex(s.snapshot())).toBe(toHex(before));
}

const N = 4;
const T = 1;

describe('DKG parameters and session id', () => {
  it('binds every parameter into the session id', () => {
    const p = params(N, T);
    const sid = toHex(dkgSessionId(p));
    expect(toHex(dkgSessionId(params(N, T)))).toBe(sid);
    const variants = [
      { chainId: 'other' },
      { epoch: 1 },
      { attempt: 1 },
      { threshold: 1, committee: params(5, 1).committee },
      { committee: [...p.committee].reverse() },
      { complaintWindowMs: 5_001 },
      { dealingWindowMs: 60_001 },
    ];
    const ids = new Set(variants.map((v) => toHex(dkgSessionId({ ...p, ...v }))));
    expect(ids.size).toBe(variants.length);
    expect(ids.has(sid)).toBe(false);
  });

  it('refuses parameters that cannot produce a usable key', () => {
    const p = params(N, T);
    const bad: [object, string][] = [
      [{ threshold: 0 }, 'INVALID_ARGUMENT'],
      [{ threshold: 2 }, 'INVALID_ARGUMENT'], // 2t+1 = 5 > n = 4: the candidate set could never fill
      [{ committee: p.committee.slice(0, 2) }, 'OUT_OF_RANGE'],
      [
        { committee: [p.committee[0]!, p.committee[0]!, p.committee[1]!, p.committee[2]!] },
        'INVALID_ARGUMENT',
      ],
      [{ committee: [new Uint8Array(31), ...p.committee.slice(1)] }, 'INVALID_LENGTH'],
      [{ epoch: -1 }, 'OUT_OF_RANGE'],
      [{ attempt: 1.5 }, 'OUT_OF_RANGE'],
      [{ complaintWindowMs: 0 }, 'OUT_OF_RANGE'],
      [{ chainId: '' }, 'INVALID_ARGUMENT'],
      [{ chainId: 'x'.repeat(65) }, 'LIMIT_EXCEEDED'],
    ];
    for (const [over, code] of bad) {
      expect(() => checkParams({ ...p, ...over }), JSON.stringify(over)).toThrow(code);
    }
  });
});

describe('DKG happy path (n=4, t=1)', () => {
  let s: DkgSession;
  const keys = epochKeys(N);
  let shares: DkgShares[];

  beforeAll(() => {
    const next = blocks();
    s = Session.start(params(N, T), b);
    expect(s.phase).toBe('waiting-for-members');
    const blk = next();
    s.onBlock(blk);
    for (let i = 0; i < N - 1; i++) s.applyEpochKey(i + 1, makeEpochKeyBody(s, keys[i]!), blk);
    expect(s.phase).toBe('waiting-for-members'); // critical mass: all n, not 2t+1
    s.applyEpochKey(N, makeEpochKeyBody(s, keys[N - 1]!), blk);
    expect(s.phase).toBe('dealing');
    dealAll(s, [3, 1, 4], next);
    expect(s.phase).toBe('complaints');
    expect(s.candidates()).toEqual([3, 1, 4]); // log order
    complainAll(s, keys, next); // nobody has anything to complain about
    s.onBlock(next(4_000));
    expect(s.phase).toBe('complaints');
    s.onBlock(next(1_000)); // 5 s after the block that filled the candidate set
    expect(s.phase).toBe('done');
    shares = keys.map((k, i) => deriveShares(s, i + 1, k.secretKey));
  });

  it('fixes QUAL as the candidates, ascending, and reports progress', () => {
    expect(s.result()!.qual).toEqual([1, 3, 4]);
    expect(s.disqualified()).toEqual([]);
    expect(s.flagged()).toEqual([]);
    const progress = s.progress();
    expect(progress.phase).toBe('done');
    expect(progress.closedAtHeight).toBeGreaterThan(0);
  });

  it('gives every member shares matching the public shares at x = index (1-based)', () => {
    const r = s.result()!;
    for (const sh of shares) {
      expect(toHex(b.g2MulBase(sh.signing))).toBe(toHex(r.signing.publicShares[sh.index - 1]!));
      expect(toHex(b.g2MulBase(sh.ibe))).toBe(toHex(r.ibe.publicShares[sh.index - 1]!));
      expect(toHex(ED25519.encode(ED25519.mulBase(sh.certificate)))).toBe(
        toHex(r.certificate.publicShares[sh.index - 1]!),
      );
    }
    // Any t+1 shares interpolate (at x = 0) to the secret of the public key; t+1 = 2.
    const secret = interpolateScalarAtZero(BLS_FR, [
      { index: 2, value: shares[1]!.signing },
      { index: 4, value: shares[3]!.signing },
    ]);
    expect(toHex(b.g2MulBase(secret))).toBe(toHex(r.signing.publicKey));
  });

  it('produces a threshold BLS signature that verifies under the signing key, and a distinct IBE key', () => {
    const r = s.result()!;
    const message = new TextEncoder().encode('block root');
    const partials = [shares[0]!, shares[2]!].map((sh) =>
      partialSign(b, { index: shareIndex(sh.index), value: sh.signing }, message),
    );
    const { signature } = combine(b, r.signing, message, partials);
    expect(blsVerify(b, r.signing.publicKey, message, signature)).toBe(true);
    expect(blsVerify(b, r.ibe.publicKey, message, signature)).toBe(false);
    expect(toHex(r.ibe.publicKey)).not.toBe(toHex(r.signing.publicKey));
  });

  it('produces a FROST key whose signature node:crypto verifies as plain Ed25519', () => {
    const r = s.result()!;
    const group = frostGroupFromCommitments(
      T,
      N,
      r.certificate.commitments.map((c) => ED25519.decode(c)),
    );
    expect(toHex(group.publicKey)).toBe(toHex(r.certificate.publicKey));
    const rng = deterministicRandom('frost');
    const signers = [shares[1]!, shares[3]!].map((sh) => frostSigner(group, sh.index, sh.certificate));
    const books = signers.map((sg) => new NonceBook(sg.index));
    const commitments = signers.map((sg, k) => books[k]!.generate(sg, 1, rng)[0]!);
    const message = new TextEncoder().encode('tbsCertificate');
    const sigShares = new Map(
      signers.map((sg, k) => [
        sg.index as number,
        signShare(group, sg, books[k]!.take(0), commitments, message),
      ]),
    );
    const signature = aggregate(group, commitments, message, sigShares);
    const spki = Buffer.concat([
      Buffer.from('302a300506032b6570032100', 'hex'),
      Buffer.from(r.certificate.publicKey),
    ]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(nodeVerify(null, message, key, signature)).toBe(true);
  });

  it('never puts a share or an epoch secret in its snapshot', () => {
    const snap = toHex(s.snapshot());
    for (const sh of shares) {
      expect(snap).not.toContain(toHex(BLS_FR.encode(sh.signing)));
      expect(snap).not.toContain(toHex(BLS_FR.encode(sh.ibe)));
      expect(snap).not.toContain(toHex(ED25519.field.encode(sh.certificate)));
    }
    for (const k of keys) expect(snap).not.toContain(toHex(RISTRETTO255.field.encode(k.secretKey)));
  });

  it('restores from its snapshot to an identical session that re-derives the same shares', () => {
    const restored = Session.restore(s.snapshot(), b);
    expect(toHex(restored.snapshot())).toBe(toHex(s.snapshot()));
    expect(restored.phase).toBe('done');
    expect(restored.result()).toEqual(s.result());
    const again = deriveShares(restored, 2, keys[1]!.secretKey);
    expect(again).toEqual(shares[1]);
  });

  it('refuses to derive shares with another epoch secret', () => {
    expect(() => deriveShares(s, 1, keys[1]!.secretKey)).toThrow('INVALID_ARGUMENT');
    expect(() => deriveShares(s, 5, keys[1]!.secretKey)).toThrow('DKG_NOT_MEMBER');
  });
});

describe('EPOCH_KEY', () => {
  const keys = epochKeys(N);

  it('rejects a second epoch key from the same member', () => {
    const s = Session.start(params(N, T), b);
    const blk = { height: 1, timeMs: 1000 };
    s.applyEpochKey(1, makeEpochKeyBody(s, keys[0]!), blk);
    rejects(s, () => s.applyEpochKey(1, makeEpochKeyBody(s, keys[1]!), blk), 'DKG_DUPLICATE', [1]);
  });

  it('rejects non-members, identity and malformed keys, and other sessions, naming the sender', () => {
    const s = Session.start(params(N, T), b);
    const blk = { height: 1, timeMs: 1000 };
    const body = makeEpochKeyBody(s, keys[0]!);
    rejects(s, () => s.applyEpochKey(0, body, blk), 'DKG_NOT_MEMBER'); // 1-based: 0 is nobody
    rejects(s, () => s.applyEpochKey(N + 1, body, blk), 'DKG_NOT_MEMBER');
    const identity = encodeEpochKey({ sessionId: s.sessionId, epochKey: new Uint8Array(32) });
    rejects(s, () => s.applyEpochKey(1, identity, blk), 'IDENTITY_POINT', [1]);
    const offCurve = encodeEpochKey({ sessionId: s.sessionId, epochKey: new Uint8Array(32).fill(0xff) });
    rejects(s, () => s.applyEpochKey(1, offCurve, blk), 'NOT_ON_CURVE', [1]);
    const other = Session.start(params(N, T, { attempt: 1 }), b);
    rejects(s, () => s.applyEpochKey(1, makeEpochKeyBody(other, keys[0]!), blk), 'DKG_WRONG_SESSION', [1]);
    rejects(s, () => s.applyEpochKey(1, body.subarray(0, 40), blk), 'INVALID_ENCODING', [1]);
    rejects(s, () => s.applyEpochKey(1, new Uint8Array([...body, 0]), blk), 'INVALID_ENCODING', [1]);
    const wrongKind = body.slice();
    wrongKind[0] = 0x02;
    rejects(s, () => s.applyEpochKey(1, wrongKind, blk), 'INVALID_ENCODING', [1]);
  });
});

describe('DEAL', () => {
  const keys = epochKeys(N);

  it('is refused before every epoch key is in (critical mass)', () => {
    const s = Session.start(params(N, T), b);
    const blk = { height: 1, timeMs: 1000 };
    for (let i = 0; i < N - 1; i++) s.applyEpochKey(i + 1, makeEpochKeyBody(s, keys[i]!), blk);
    const full = sessionDealing(b, params(N, T), keys, blocks());
    const body = makeDealBody(full, 1, deterministicRandom('d'));
    rejects(s, () => s.applyDeal(1, body, blk), 'DKG_WRONG_PHASE');
    expect(() => makeDealBody(s, 1, deterministicRandom('d'))).toThrow('DKG_WRONG_PHASE');
  });

  it('degree check: rejects t+2 and t commitments (BAD_COMMITMENTS), naming the dealer', () => {
    const next = blocks();
    const s = sessionDealing(b, params(N, T), keys, next);
    const blk = next();
    rejects(
      s,
      () => s.applyDeal(2, craftDeal(s, 2, deterministicRandom('x'), { kind: 'extra-commitment' }), blk),
      'BAD_COMMITMENTS',
      [2],
    );
    rejects(
      s,
      () => s.applyDeal(2, craftDeal(s, 2, deterministicRandom('x'), { kind: 'missing-commitment' }), blk),
      'BAD_COMMITMENTS',
      [2],
    );
  });

  it('rejects identity commitments in G2 and small-order commitments on ed25519', () => {
    const next = blocks();
    const s = sessionDealing(b, params(N, T), keys, next);
    const blk = next();
    const good = decodeDeal(makeDealBody(s, 2, deterministicRandom('y')));
    const g2Identity = new Uint8Array(96);
    g2Identity[0] = 0xc0;
    const withG2Identity = encodeDeal({
      ...good,
      keys: {
        ...good.keys,
        ibe: { ...good.keys.ibe, commitments: [good.keys.ibe.commitments[0]!, g2Identity] },
      },
    });
    rejects(s, () => s.applyDeal(2, withG2Identity, blk), 'IDENTITY_POINT', [2]);
    // The order-8 point of edwards25519 (research/protocol-design.md §2.3: noble parses it).
    const smallOrder = Uint8Array.from(
      Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex'),
    );
    const withTorsion = encodeDeal({
      ...good,
      keys: {
        ...good.keys,
        certificate: {
          ...good.keys.certificate,
          commitments: [good.keys.certificate.commitments[0]!, smallOrder],
        },
      },
    });
    rejects(s, () => s.applyDeal(2, withTorsion, blk), 'WRONG_SUBGROUP', [2]);
    const badEphemeral = encodeDeal({ ...good, ephemeral: new Uint8Array(32) });
    rejects(s, () => s.applyDeal(2, badEphemeral, blk), 'IDENTITY_POINT', [2]);
    const fewCiphertexts = encodeDeal({ ...good, ciphertexts: good.ciphertexts.slice(0, N - 1) });
    rejects(s, () => s.applyDeal(2, fewCiphertexts, blk), 'INVALID_ENCODING', [2]);
  });

  it('rejects a proof of knowledge made for another dealer, key or session (BAD_PROOF)', () => {
    const next = blocks();
    const s = sessionDealing(b, params(N, T), keys, next);
    const blk = next();
    rejects(
      s,
      () => s.applyDeal(2, craftDeal(s, 2, deterministicRandom('z'), { kind: 'bad-pok' }), blk),
      'BAD_PROOF',
      [2],
    );
    // Dealer 1's valid deal replayed by dealer 2: the PoK is bound to dealer 1.
    const ofOne = makeDealBody(s, 1, deterministicRandom('one'));
    rejects(s, () => s.applyDeal(2, ofOne, blk), 'BAD_PROOF', [2]);
    // Keys swapped between purposes: the signing PoK does not verify as the IBE PoK.
    const d = decodeDeal(ofOne);
    const swapped = encodeDeal({ ...d, keys: { ...d.keys, signing: d.keys.ibe, ibe: d.keys.signing } });
    rejects(s, () => s.applyDeal(1, swapped, blk), 'BAD_PROOF', [1]);
    // The session id rewritten to this session from another: the PoK binds the original session.
    const other = sessionDealing(b, params(N, T, { epoch: 7 }), keys, blocks());
    const foreign = decodeDeal(makeDealBody(other, 1, deterministicRandom('f')));
    rejects(
      s,
      () => s.applyDeal(1, encodeDeal({ ...foreign, sessionId: s.sessionId }), blk),
      'BAD_PROOF',
      [1],
    );
    s.applyDeal(1, ofOne, blk);
  });

  it('rejects a replayed deal of another session or attempt (DKG_WRONG_SESSION)', () => {
    const p0 = params(N, T);
    const s0 = sessionDealing(b, p0, keys, blocks());
    const s1 = sessionDealing(b, { ...p0, attempt: 1 }, keys, blocks());
    const body = makeDealBody(s0, 1, deterministicRandom('r'));
    rejects(s1, () => s1.applyDeal(1, body, { height: 9, timeMs: 1_000_600 }), 'DKG_WRONG_SESSION', [1]);
  });

  it('equivocation: only the first deal of a dealer counts', () => {
    const next = blocks();
    const s = sessionDealing(b, params(N, T), keys, next);
    const blk = next();
    const first = makeDealBody(s, 2, deterministicRandom('first'));
    s.applyDeal(2, first, blk);
    const second = craftDeal(s, 2, deterministicRandom('second'));
    rejects(s, () => s.applyDeal(2, second, blk), 'DKG_DUPLICATE', [2]);
    expect(() => makeDealBody(s, 2, deterministicRandom('third'))).toThrow('DKG_DUPLICATE');
    expect(s.candidates()).toEqual([2]);
  });

  it('takes the first 2t+1 valid deals as candidates and refuses later ones', () => {
    const next = blocks();
    const s = sessionDealing(b, params(N, T), keys, next);
    const blk = next();
    rejects(
      s,
      () => s.applyDeal(4, craftDeal(s, 4, deterministicRandom('bad'), { kind: 'bad-pok' }), blk),
      'BAD_PROOF',
    );
    for (const d of [4, 2, 1]) s.applyDeal(d, makeDealBody(s, d, deterministicRandom(`d${d}`)), blk);
    expect(s.phase).toBe('complaints');
    expect(s.candidates()).toEqual([4, 2, 1]);
    rejects(s, () => s.applyDeal(3, craftDeal(s, 3, deterministicRandom('late')), blk), 'DKG_WRONG_PHASE');
  });

  it('liveness: aborts deterministically when the dealing window closes first', () => {
    const next = blocks();
    const s = sessionDealing(b, params(N, T), keys, next);
    s.applyDeal(1, makeDealBody(s, 1, deterministicRandom('a')), next());
    const late = next(60_000);
    rejects(s, () => s.applyDeal(2, makeDealBody(s, 2, deterministicRandom('b')), late), 'DKG_WINDOW_CLOSED');
    s.onBlock(late);
    expect(s.phase).toBe('aborted');
    expect(s.progress().abortReason).toMatch(/dealing window closed with 1 of 3/);
    expect(s.result()).toBeUndefined();
  });

  it('shares are f(j) at x = j (1-based), never f(0)', () => {
    const s = sessionDealing(b, params(N, T), keys, blocks());
    const polys = randomDealPolynomials(T, deterministicRandom('polys'));
    const deal = decodeDeal(dealBodyFromPolynomials(s, 1, polys, deterministicRandom('enc')));
    for (let j = 1; j <= N; j++) {
      const plain = decryptShare(
        dealEncryptionContext(s.sessionId, 1),
        { index: j, publicKey: keys[j - 1]!.publicKey },
        keys[j - 1]!.secretKey,
        deal.ephemeral,
        deal.ciphertexts[j - 1]!,
      );
      expect(toHex(plain)).toBe(toHex(sharePlaintext(polys, j)));
      expect(toHex(plain.subarray(0, 32))).not.toBe(toHex(BLS_FR.encode(polys.signing[0]!)));
    }
    expect(() => sharePlaintext(polys, 0)).toThrow('OUT_OF_RANGE');
  });

  it('G2 proofs of knowledge made on the backend use the proofs.ts transcript (noble verifies them)', () => {
    const rng = deterministicRandom('pok');
    const sid = new Uint8Array(32).fill(7);
    const ctx = pokContext(sid, 'signing', 3);
    const secret = BLS_FR.random(rng);
    const X = b.g2MulBase(secret);
    const proof = proveKey(b, 'signing', ctx, secret, X, rng);
    expect(verifySchnorr(G2, G2.decode(X), decodeProof(G2, proof), ctx)).toBe(true);
    expect(verifyKeyProof(b, 'signing', ctx, X, proof)).toBe(true);
    expect(verifyKeyProof(b, 'signing', pokContext(sid, 'ibe', 3), X, proof)).toBe(false);
    expect(verifyKeyProof(b, 'signing', pokContext(sid, 'signing', 4), X, proof)).toBe(false);
    const nobleProof = encodeProof(G2, proveSchnorr(G2, secret, ctx, rng));
    expect(verifyKeyProof(b, 'signing', ctx, X, nobleProof)).toBe(true);
  });
});

describe('COMPLAINT', () => {
  const keys = epochKeys(N);

  /** Dealers 1 and 3 honest; dealer 2 sends a bad share to receiver 4. */
  function withBadDealer(fault: Parameters<typeof craftDeal>[3] = { kind: 'bad-share', receiver: 4 }) {
    const next = blocks();
    const s = sessionDealing(b, params(N, T), keys, next);
    const blk = next();
    s.applyDeal(1, makeDealBody(s, 1, deterministicRandom('h1')), blk);
    s.applyDeal(2, craftDeal(s, 2, deterministicRandom('b2'), fault), blk);
    s.applyDeal(3, makeDealBody(s, 3, deterministicRandom('h3')), blk);
    return { s, next };
  }

  it('disqualifies a dealer whose share does not match its commitments, and names it', () => {
    for (const key of ['signing', 'ibe', 'certificate'] as const) {
      const { s, next } = withBadDealer({ kind: 'bad-share', receiver: 4, key });
      const blk = next();
      s.onBlock(blk);
      expect(complaintsFor(s, 1, keys[0]!.secretKey)).toEqual([]); // receiver 1 got good shares
      const bodies = complaintsFor(s, 4, keys[3]!.secretKey);
      expect(bodies).toHaveLength(1);
      const verdict = s.applyComplaint(4, bodies[0]!, blk);
      expect(verdict).toEqual({
        outcome: 'dealer-disqualified',
        dealer: 2,
        reason: expect.stringContaining(key),
      });
      expect(s.disqualified().map((d) => d.dealer)).toEqual([2]);
      expect(s.flagged()).toEqual([]);
      s.onBlock(next(5_000));
      expect(s.phase).toBe('done');
      expect(s.result()!.qual).toEqual([1, 3]);
      for (let j = 1; j <= N; j++) deriveShares(s, j, keys[j - 1]!.secretKey);
    }
  });

  it('disqualifies a dealer whose ciphertext does not decrypt', () => {
    const { s, next } = withBadDealer({ kind: 'garbage-ciphertext', receiver: 1 });
    const blk = next();
    s.onBlock(blk);
    const [body] = complaintsFor(s, 1, keys[0]!.secretKey);
    expect(s.applyComplaint(1, body!, blk)).toMatchObject({ outcome: 'dealer-disqualified', dealer: 2 });
    expect(s.disqualified()[0]!.reason).toMatch(/does not decrypt/);
  });

  it('a false complaint (valid disclosure of a valid share) flags the complainer, never the honest dealer', () => {
    const { s, next } = withBadDealer();
    const blk = next();
    s.onBlock(blk);
    // Member 4 complains about honest dealer 1 with a correct disclosure: the share it reveals is valid.
    const d1 = s.candidateDeal(1)!;
    const disclosure = disclosePairwiseKey(
      dealEncryptionContext(s.sessionId, 1),
      { index: 4, publicKey: keys[3]!.publicKey },
      keys[3]!.secretKey,
      d1.message.ephemeral,
      deterministicRandom('dl'),
    );
    const falseComplaint = encodeComplaint({
      sessionId: s.sessionId,
      dealer: 1,
      key: disclosure.key,
      proof: disclosure.proof,
    });
    expect(s.applyComplaint(4, falseComplaint, blk)).toMatchObject({
      outcome: 'complainer-flagged',
      member: 4,
    });
    expect(s.disqualified()).toEqual([]);
    expect(s.flagged()).toEqual([{ member: 4, reason: expect.stringContaining('valid') }]);
    s.onBlock(next(5_000));
    expect(s.result()!.qual).toEqual([1, 2, 3]);
  });

  it('a forged disclosure (wrong pairwise key or proof) flags the complainer', () => {
    const { s, next } = withBadDealer();
    const blk = next();
    s.onBlock(blk);
    const randomPoint = RISTRETTO255.encode(RISTRETTO255.mulBase(5n));
    const forged = encodeComplaint({
      sessionId: s.sessionId,
      dealer: 1,
      key: randomPoint,
      proof: new Uint8Array(64),
    });
    expect(s.applyComplaint(3, forged, blk)).toMatchObject({ outcome: 'complainer-flagged', member: 3 });
    // A real complaint of 4 against 2, replayed by 3 (the DLEQ binds receiver 4): flagged, 2 not disqualified.
    const [real] = complaintsFor(s, 4, keys[3]!.secretKey);
    expect(s.applyComplaint(3, real!, blk)).toMatchObject({ outcome: 'complainer-flagged', member: 3 });
    expect(s.disqualified()).toEqual([]);
    expect(s.applyComplaint(4, real!, blk)).toMatchObject({ outcome: 'dealer-disqualified', dealer: 2 });
  });

  it('rejects complaints from non-members, before the phase, after the window, against non-candidates, twice, or about oneself', () => {
    const { s, next } = withBadDealer();
    const blk = next();
    s.onBlock(blk);
    const [body] = complaintsFor(s, 4, keys[3]!.secretKey);
    rejects(s, () => s.applyComplaint(0, body!, blk), 'DKG_NOT_MEMBER');
    rejects(s, () => s.applyComplaint(N + 1, body!, blk), 'DKG_NOT_MEMBER');
    const notCandidate = encodeComplaint({ ...decodeComplaint(body!), dealer: 4 });
    rejects(s, () => s.applyComplaint(1, notCandidate, blk), 'DKG_NOT_CANDIDATE', [1]);
    const self = encodeComplaint({ ...decodeComplaint(body!), dealer: 1 });
    rejects(s, () => s.applyComplaint(1, self, blk), 'INVALID_ARGUMENT', [1]);
    const other = Session.start(params(N, T, { epoch: 3 }), b);
    rejects(
      s,
      () =>
        s.applyComplaint(4, encodeComplaint({ ...decodeComplaint(body!), sessionId: other.sessionId }), blk),
      'DKG_WRONG_SESSION',
      [4],
    );
    rejects(
      s,
      () => s.applyComplaint(4, body!, { height: 99, timeMs: s.progress().complaintDeadlineMs! }),
      'DKG_WINDOW_CLOSED',
    );
    s.applyComplaint(4, body!, blk);
    rejects(s, () => s.applyComplaint(4, body!, blk), 'DKG_DUPLICATE', [4]);
    s.onBlock(next(5_000));
    rejects(s, () => s.applyComplaint(1, body!, next()), 'DKG_WINDOW_CLOSED');
    // During dealing, no complaint is accepted yet.
    const d = sessionDealing(b, params(N, T), keys, blocks());
    d.applyDeal(1, makeDealBody(d, 1, deterministicRandom('q')), { height: 5, timeMs: 1_000_600 });
    const early = encodeComplaint({ ...decodeComplaint(body!), sessionId: d.sessionId, dealer: 1 });
    rejects(d, () => d.applyComplaint(2, early, { height: 5, timeMs: 1_000_600 }), 'DKG_WRONG_PHASE');
    expect(() => complaintsFor(d, 2, keys[1]!.secretKey)).toThrow('DKG_WRONG_PHASE');
  });

  it('aborts when fewer than t+1 dealers qualify', () => {
    const next = blocks();
    const s = sessionDealing(b, params(N, T), keys, next);
    const blk = next();
    s.applyDeal(1, craftDeal(s, 1, deterministicRandom('x1'), { kind: 'bad-share', receiver: 3 }), blk);
    s.applyDeal(2, craftDeal(s, 2, deterministicRandom('x2'), { kind: 'bad-share', receiver: 3 }), blk);
    s.applyDeal(4, makeDealBody(s, 4, deterministicRandom('x4')), blk);
    const c = next();
    s.onBlock(c);
    for (const body of complaintsFor(s, 3, keys[2]!.secretKey)) s.applyComplaint(3, body, c);
    expect(s.disqualified().map((d) => d.dealer)).toEqual([1, 2]);
    s.onBlock(next(5_000));
    expect(s.phase).toBe('aborted');
    expect(s.progress().abortReason).toMatch(/only 1 qualified/);
    expect(() => deriveShares(s, 1, keys[0]!.secretKey)).toThrow('DKG_WRONG_PHASE');
  });

  it('a receiver that did not complain cannot derive shares, and the dealer is named', () => {
    const { s, next } = withBadDealer();
    s.onBlock(next());
    s.onBlock(next(5_000));
    expect(s.phase).toBe('done');
    let err: unknown;
    try {
      deriveShares(s, 4, keys[3]!.secretKey);
    } catch (e) {
      err = e;
    }
    expect(isOmegaError(err, 'BAD_SHARE')).toBe(true);
    expect((err as { culprits: number[] }).culprits).toEqual([2]);
    deriveShares(s, 1, keys[0]!.secretKey);
  });
});

describe('blocks and snapshots', () => {
  const keys = epochKeys(N);

  it('refuses blocks that go back in height or time', () => {
    const s = Session.start(params(N, T), b);
    s.onBlock({ height: 5, timeMs: 1000 });
    expect(() => s.onBlock({ height: 5, timeMs: 2000 })).toThrow('INVALID_ARGUMENT');
    expect(() => s.onBlock({ height: 6, timeMs: 999 })).toThrow('INVALID_ARGUMENT');
    expect(() => s.onBlock({ height: -1, timeMs: 999 })).toThrow('INVALID_ARGUMENT');
  });

  it('restores an identical session at every phase', () => {
    const next = blocks();
    const s = Session.start(params(N, T), b);
    const check = () => {
      const r = Session.restore(s.snapshot(), b);
      expect(toHex(r.snapshot())).toBe(toHex(s.snapshot()));
      expect(r.phase).toBe(s.phase);
      return r;
    };
    check();
    const blk = next();
    s.onBlock(blk);
    s.applyEpochKey(2, makeEpochKeyBody(s, keys[1]!), blk);
    check();
    for (const i of [1, 3, 4]) s.applyEpochKey(i, makeEpochKeyBody(s, keys[i - 1]!), blk);
    check();
    dealAll(s, [2], next);
    check();
    s.applyDeal(1, craftDeal(s, 1, deterministicRandom('bs'), { kind: 'bad-share', receiver: 3 }), next());
    s.applyDeal(4, makeDealBody(s, 4, deterministicRandom('h4')), next());
    const mid = check();
    const c = next();
    s.onBlock(c);
    mid.onBlock(c);
    for (const body of complaintsFor(mid, 3, keys[2]!.secretKey)) {
      s.applyComplaint(3, body, c);
      mid.applyComplaint(3, body, c);
    }
    check();
    const end = next(5_000);
    s.onBlock(end);
    mid.onBlock(end);
    expect(toHex(mid.snapshot())).toBe(toHex(s.snapshot()));
    check();
    expect(s.result()!.qual).toEqual([2, 4]);
  });

  it('refuses corrupted snapshots', () => {
    const s = sessionDealing(b, params(N, T), keys, blocks());
    const snap = s.snapshot();
    expect(() => Session.restore(snap.subarray(0, snap.length - 1), b)).toThrow('INVALID_ENCODING');
    expect(() => Session.restore(new Uint8Array([...snap, 0]), b)).toThrow('INVALID_ENCODING');
    const v2 = snap.slice();
    v2[0] = 2;
    expect(() => Session.restore(v2, b)).toThrow('UNSUPPORTED_VERSION');
    // Flip the phase byte to 'complaints' while no candidate set is full.
    // version, chainId 'omega-test', epoch, attempt, t, two windows, committee: then the phase byte.
    const phaseAt = 1 + (4 + 10) + 8 + 8 + 2 + 8 + 8 + (4 + 32 * N);
    expect(snap[phaseAt]).toBe(1); // 'dealing'
    const wrongPhase = snap.slice();
    wrongPhase[phaseAt] = 2; // 'complaints' without a full candidate set
    expect(() => Session.restore(wrongPhase, b)).toThrow('INVALID_ENCODING');
    wrongPhase[phaseAt] = 9;
    expect(() => Session.restore(wrongPhase, b)).toThrow('INVALID_ENCODING');
  });
});
