/**
 * Bad input gets a clear error and loses nothing: random and mutated bodies fed to every DKG transaction
 * give an OmegaError (never another exception) and leave the session byte-for-byte unchanged.
 */
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import type { BlsBackend } from '../../src/crypto/bls/backend.js';
import { toHex } from '../../src/crypto/bytes.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import type { DkgSession } from '../../src/core/sessions/dkg/index.js';
import { complaintsFor, makeDealBody, makeEpochKeyBody } from '../../src/core/sessions/dkg/index.js';
import { isOmegaError } from '../../src/errors.js';
import { craftDeal } from '../../sim/dkg-actors.js';
import { blocks, bls, epochKeys, params, sessionDealing } from './fixture.js';

let b: BlsBackend;
beforeAll(async () => {
  b = await bls();
});

/** Applies `body` as `kind` from `from`; returns the error code, or 'accepted'. State must be unchanged on error. */
function feed(s: DkgSession, kind: 'epoch' | 'deal' | 'complaint', from: number, body: Uint8Array): string {
  const before = toHex(s.snapshot());
  const block = { height: 50, timeMs: s.progress().complaintDeadlineMs! - 1 };
  try {
    if (kind === 'epoch') s.applyEpochKey(from, body, block);
    else if (kind === 'deal') s.applyDeal(from, body, block);
    else s.applyComplaint(from, body, block);
    return 'accepted';
  } catch (e) {
    expect(isOmegaError(e), String(e)).toBe(true);
    expect(toHex(s.snapshot())).toBe(before);
    return (e as { code: string }).code;
  }
}

const mutation = (length: number) =>
  fc.record({
    at: fc.nat({ max: length - 1 }),
    xor: fc.integer({ min: 1, max: 255 }),
    cut: fc.option(fc.nat({ max: length }), { nil: undefined }),
  });

function mutate(body: Uint8Array, m: { at: number; xor: number; cut: number | undefined }): Uint8Array {
  const out = body.slice(0, m.cut ?? body.length);
  if (m.at < out.length) out[m.at]! ^= m.xor;
  return out;
}

it('mutated EPOCH_KEY, DEAL and COMPLAINT bodies are rejected with a stable code and change nothing', () => {
  const keys = epochKeys(4);
  const next = blocks();
  const s = sessionDealing(b, params(4, 1), keys, next);
  const blk = next();
  s.onBlock(blk);
  // Candidates 1 and 2 honest, 3 with a bad share to 4: the set is full, complaints are open.
  s.applyDeal(1, makeDealBody(s, 1, deterministicRandom('g1')), blk);
  s.applyDeal(2, makeDealBody(s, 2, deterministicRandom('g2')), blk);
  s.applyDeal(3, craftDeal(s, 3, deterministicRandom('g3'), { kind: 'bad-share', receiver: 4 }), blk);
  const complaint = complaintsFor(s, 4, keys[3]!.secretKey)[0]!;
  const epochKey = makeEpochKeyBody(s, keys[0]!);
  const deal = craftDeal(s, 4, deterministicRandom('g4'));

  fc.assert(
    fc.property(mutation(epochKey.length), (m) => {
      expect(feed(s, 'epoch', 1 + (m.at % 4), mutate(epochKey, m))).not.toBe('accepted');
    }),
    { seed: 6001, numRuns: 100 },
  );
  fc.assert(
    fc.property(mutation(deal.length), (m) => {
      // The set is full: every deal is refused, whatever its bytes (after the shape and session checks).
      expect(feed(s, 'deal', 4, mutate(deal, m))).not.toBe('accepted');
    }),
    { seed: 6002, numRuns: 100 },
  );
  fc.assert(
    // Never from member 4, whose real complaint is applied at the end (one complaint per pair).
    fc.property(mutation(complaint.length), fc.constantFrom(0, 1, 2, 3, 5), (m, from) => {
      const code = feed(s, 'complaint', from, mutate(complaint, m));
      // A mutation of K or of the proof is a complaint that is accepted and flags its sender: fine, as
      // long as it never disqualifies the dealer without a valid disclosure.
      if (code === 'accepted') expect(s.disqualified()).toEqual([]);
    }),
    { seed: 6003, numRuns: 100 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 4 }), (bytes, from) => {
      for (const kind of ['epoch', 'deal', 'complaint'] as const)
        expect(feed(s, kind, from, bytes)).not.toBe('accepted');
    }),
    { seed: 6004, numRuns: 100 },
  );
  // The real complaint still disqualifies dealer 3 afterwards.
  expect(s.applyComplaint(4, complaint, blk)).toMatchObject({ outcome: 'dealer-disqualified', dealer: 3 });
});

it('a deal mutated anywhere before its ciphertexts is refused while dealing is open (state unchanged)', () => {
  const keys = epochKeys(4);
  const next = blocks();
  const s = sessionDealing(b, params(4, 1), keys, next);
  const blk = next();
  s.onBlock(blk);
  const deal = makeDealBody(s, 2, deterministicRandom('m2'));
  // Commitments, proofs and the u32 counts: everything the inclusion checks cover (R and the ciphertexts
  // are only checked by the receivers, through complaints).
  const checked = deal.length - 4 - 112 * 4 - 32;
  // Except C_1..C_t of the ed25519 key: a flipped byte there can give another valid point of the
  // subgroup (about 1 in 16), and a deal with it is well formed — only its receivers can tell, by
  // complaining (the PoK covers C_0 alone, as in FROST KeyGen).
  const certTail = 33 + 2 * (4 + 96 * 2 + 64) + 4 + 32;
  const codes = new Set<string>();
  fc.assert(
    fc.property(mutation(checked), (m) => {
      fc.pre(m.at < certTail || m.at >= certTail + 32);
      const before = toHex(s.snapshot());
      try {
        s.applyDeal(
          2,
          mutate(deal, { ...m, cut: m.cut === undefined ? undefined : Math.min(m.cut, checked) }),
          blk,
        );
      } catch (e) {
        expect(isOmegaError(e), String(e)).toBe(true);
        codes.add((e as { code: string }).code);
        expect(toHex(s.snapshot())).toBe(before);
        return;
      }
      throw new Error(`a deal mutated at ${m.at} was accepted`);
    }),
    { seed: 6005, numRuns: 60 },
  );
  expect(codes.size).toBeGreaterThan(1);
  s.applyDeal(2, deal, blk);
  expect(s.candidates()).toEqual([2]);
});
