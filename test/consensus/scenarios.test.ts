/**
 * Scenario tests: scripted message deliveries that exercise the line-numbered pseudo-code of Tendermint
 * (arXiv 1807.04938 Algorithm 1, as numbered in Malachite specs/consensus/pseudo-code.md), and one test
 * per known pitfall (research/protocol-design.md §1.2), each named after it.
 *
 * n = 4 with equal power, so f = 1, 2f+1 = 3 and proposer(h, r) = (h + r) mod 4: at height 1 the
 * proposers of rounds 0, 1, 2, 3 are validators 1, 2, 3, 0.
 */
import { describe, expect, it } from 'vitest';
import {
  VoteType,
  blockHash,
  makeCommittee,
  verifyCertificate,
  type ConsensusMessage,
  type Effect,
} from '../../src/core/consensus/index.js';
import { CHAIN, Cluster, broadcasts, decisions, enc, proposalsOf, timeoutsOf, votesOf } from './harness.js';

const { prevote, precommit } = VoteType;

function hex(b: Uint8Array | undefined): string {
  return b === undefined ? 'nil' : Buffer.from(b).toString('hex');
}

/** Runs a full round 0 at height 1 with every message delivered to everyone; returns all effects. */
function happyHeight(c: Cluster): Effect[][] {
  c.startAll();
  const getValue = c.log[1]!.find((e) => e.type === 'get-value');
  expect(getValue).toBeDefined();
  const out = c.run(1, { type: 'value', height: 1, round: 0, requests: [enc('a'), enc('b')], timeMs: 1000 });
  let pending: { from: number; m: ConsensusMessage }[] = broadcasts(out).map((m) => ({ from: 1, m }));
  for (let guard = 0; pending.length > 0 && guard < 100; guard++) {
    const next: typeof pending = [];
    for (const { from, m } of pending) {
      for (let i = 0; i < c.n; i++) {
        if (i === from) continue;
        for (const b of broadcasts(c.deliver(i, m))) next.push({ from: i, m: b });
      }
    }
    pending = next;
  }
  return c.log;
}

describe('Tendermint Algorithm 1, line by line', () => {
  it('lines 10–19, 22–24, 36–43, 49–54: a correct proposer gets its batch decided in round 0 with a verifiable certificate', () => {
    const c = new Cluster(4);
    happyHeight(c);
    const decided = c.log.map((l) => decisions(l));
    for (const d of decided) expect(d).toHaveLength(1);
    const block = decided[0]![0]!.block;
    expect(block.requests.map((r) => new TextDecoder().decode(r))).toEqual(['a', 'b']);
    expect(block.header).toMatchObject({ height: 1, round: 0, proposer: 1, timeMs: 1000 });
    for (const d of decided) expect(hex(blockHash(d[0]!.block))).toBe(hex(blockHash(block)));
    const cert = decided[0]![0]!.certificate;
    expect(() => verifyCertificate(CHAIN, c.committee, blockHash(block), cert, c.keys.verify)).not.toThrow();
    // line 52: everyone moved to height 2, round 0, with lock and valid reset (line 53)
    for (const s of c.states)
      expect(s).toMatchObject({ height: 2, round: 0, locked: undefined, valid: undefined });
    // line 14: proposer(2, 0) = validator 2 asks for a value
    expect(c.log[2]!.some((e) => e.type === 'get-value' && e.height === 2)).toBe(true);
  });

  it('line 21: a non-proposer schedules timeoutPropose(round) on StartRound', () => {
    const c = new Cluster(4);
    const eff = c.run(0, { type: 'start' });
    expect(timeoutsOf(eff).map((t) => t.timeout.kind)).toContain('propose');
    expect(timeoutsOf(eff).find((t) => t.timeout.kind === 'propose')!.afterTicks).toBe(30);
  });

  it('lines 25–26: an invalid value gets a nil prevote (valid(v) is false: wrong previous hash)', () => {
    const c = new Cluster(4);
    c.startAll();
    const bad = c.block(0, ['x'], 0, 1);
    const wrong = { ...bad, header: { ...bad.header, prevHash: new Uint8Array(32) } };
    const eff = c.deliver(0, c.proposal(1, 1, 0, wrong));
    expect(votesOf(eff, prevote).map((v) => hex(v.blockHash))).toEqual(['nil']);
    expect(c.states[0]!.step).toBe('prevote');
  });

  it('valid(v) rejects a block time that does not advance and a batch beyond the limits', () => {
    const c = new Cluster(4);
    c.startAll();
    const b = c.block(0, ['x'], 0, 1);
    const stale = { ...b, header: { ...b.header, timeMs: 0 } };
    expect(votesOf(c.deliver(0, c.proposal(1, 1, 0, stale)), prevote).map((v) => hex(v.blockHash))).toEqual([
      'nil',
    ]);
  });

  it('lines 23, 26: a replica locked on v prevotes nil for a fresh proposal of another value', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    c.deliver(0, c.proposal(1, 1, 0, v));
    for (const i of [1, 2, 3]) c.deliver(0, c.prevote(i, 1, 0, blockHash(v)));
    expect(hex(blockHash(c.states[0]!.locked!.block))).toBe(hex(blockHash(v))); // line 38
    expect(c.states[0]!.locked!.round).toBe(0); // line 39
    // Round 1 (proposer 2) proposes a fresh w; f+1 round-1 messages move replica 0 there (line 55).
    const w = c.block(0, ['w'], 1, 2);
    c.deliver(0, c.proposal(2, 1, 1, w));
    const eff = c.deliver(0, c.prevote(3, 1, 1, undefined));
    expect(c.states[0]!.round).toBe(1);
    expect(votesOf(eff, prevote).map((v2) => [v2.round, hex(v2.blockHash)])).toEqual([[1, 'nil']]);
  });

  it('lines 28–30: a re-proposal with valid round vr ≥ lockedRound and a polka at vr is prevoted', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    c.deliver(0, c.proposal(1, 1, 0, v));
    for (const i of [1, 2, 3]) c.deliver(0, c.prevote(i, 1, 0, blockHash(v)));
    expect(c.states[0]!.locked!.round).toBe(0);
    // A polka for w in round 1 that replica 0 sees only as votes (no proposal): it skips to round 1.
    const w = c.block(0, ['w'], 1, 2);
    for (const i of [1, 2, 3]) c.deliver(0, c.prevote(i, 1, 1, blockHash(w)));
    expect(c.states[0]!.round).toBe(1);
    // Round 2: proposer 3 re-proposes w with vr = 1; f+1 round-2 messages bring replica 0 there.
    c.deliver(0, c.prevote(1, 1, 2, blockHash(w)));
    const eff = c.deliver(0, c.proposal(3, 1, 2, w, 1));
    expect(c.states[0]!.round).toBe(2);
    expect(votesOf(eff, prevote).map((x) => [x.round, hex(x.blockHash)])).toEqual([[2, hex(blockHash(w))]]);
  });

  it('line 28: without 2f+1 prevotes at vr, a re-proposal does not get a prevote (until timeoutPropose: line 59)', () => {
    const c = new Cluster(4);
    c.startAll();
    const w = c.block(0, ['w'], 1, 2);
    c.deliver(0, c.prevote(1, 1, 2, undefined));
    const eff = c.deliver(0, c.proposal(3, 1, 2, w, 1));
    expect(c.states[0]!.round).toBe(2);
    expect(votesOf(eff)).toHaveLength(0);
    const t = c.run(0, { type: 'timeout', timeout: { kind: 'propose', height: 1, round: 2 } });
    expect(votesOf(t, prevote).map((x) => hex(x.blockHash))).toEqual(['nil']);
  });

  it('lines 29, 32: a replica locked in a round above vr prevotes nil for a re-proposal of another value', () => {
    const c = new Cluster(4);
    c.startAll();
    // Lock on v in round 1 (reached by f+1 round-1 messages).
    const v = c.block(0, ['v'], 1, 2);
    c.deliver(0, c.proposal(2, 1, 1, v));
    c.deliver(0, c.prevote(2, 1, 1, blockHash(v)));
    c.deliver(0, c.prevote(3, 1, 1, blockHash(v)));
    c.deliver(0, c.prevote(1, 1, 1, blockHash(v)));
    expect(c.states[0]!.locked?.round).toBe(1);
    // A polka for w in round 0 (possible with a Byzantine voter) and a re-proposal of w with vr = 0 in round 2.
    const w = c.block(0, ['w'], 0, 1);
    for (const i of [1, 2, 3]) c.deliver(0, c.prevote(i, 1, 0, blockHash(w)));
    c.deliver(0, c.prevote(1, 1, 2, undefined));
    const eff = c.deliver(0, c.proposal(3, 1, 2, w, 0));
    expect(c.states[0]!.round).toBe(2);
    expect(votesOf(eff, prevote).map((x) => hex(x.blockHash))).toEqual(['nil']);
  });

  it('lines 34–35: 2f+1 prevotes of any kind schedule timeoutPrevote once; lines 61–64: it precommits nil', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    c.deliver(0, c.proposal(1, 1, 0, v)); // replica 0 prevotes v
    c.deliver(0, c.prevote(1, 1, 0, blockHash(v)));
    const eff = c.deliver(0, c.prevote(2, 1, 0, undefined));
    expect(timeoutsOf(eff).map((t) => [t.timeout.kind, t.afterTicks])).toEqual([['prevote', 10]]);
    expect(timeoutsOf(c.deliver(0, c.prevote(3, 1, 0, undefined)))).toHaveLength(0); // "for the first time"
    const t = c.run(0, { type: 'timeout', timeout: { kind: 'prevote', height: 1, round: 0 } });
    expect(votesOf(t, precommit).map((x) => hex(x.blockHash))).toEqual(['nil']);
    expect(c.states[0]!.step).toBe('precommit');
  });

  it('lines 36, 42–43: in the precommit step, a late polka updates validValue but not the lock', () => {
    const c = new Cluster(7); // f = 2, quorum 5; proposer(1, 0) = 1
    c.startAll();
    c.run(0, { type: 'timeout', timeout: { kind: 'propose', height: 1, round: 0 } }); // 0 prevotes nil
    const v = c.block(0, ['v'], 0, 1);
    c.deliver(0, c.prevote(5, 1, 0, undefined));
    for (const i of [1, 2, 3]) c.deliver(0, c.prevote(i, 1, 0, blockHash(v)));
    // five prevotes of any kind (line 34) but no polka: timeoutPrevote, then a nil precommit (line 63)
    c.run(0, { type: 'timeout', timeout: { kind: 'prevote', height: 1, round: 0 } });
    expect(c.states[0]!.step).toBe('precommit');
    c.deliver(0, c.proposal(1, 1, 0, v));
    c.deliver(0, c.prevote(4, 1, 0, blockHash(v)));
    expect(c.states[0]!.valid).toBeUndefined();
    const eff = c.deliver(0, c.prevote(6, 1, 0, blockHash(v))); // 1,2,3,4,6: a polka for v
    expect(c.states[0]!.valid?.round).toBe(0);
    expect(hex(blockHash(c.states[0]!.valid!.block))).toBe(hex(blockHash(v)));
    expect(c.states[0]!.locked).toBeUndefined(); // line 37: only in the prevote step
    expect(votesOf(eff)).toHaveLength(0); // never a second precommit in round 0
    // line 15–16: when replica 0 is the proposer (round 6: (1 + 6) mod 7 = 0) it re-proposes v with vr = 0
  });

  it('lines 15–16, 19: a proposer with a valid value re-proposes it with its valid round, plus the polka', () => {
    const c = new Cluster(4); // replica 2 proposes round 1 of height 1
    c.startAll();
    const v = c.block(2, ['v'], 0, 1);
    c.deliver(2, c.proposal(1, 1, 0, v));
    for (const i of [0, 1, 3]) c.deliver(2, c.prevote(i, 1, 0, blockHash(v)));
    expect(c.states[2]!.valid?.round).toBe(0);
    for (const i of [0, 1, 3]) c.deliver(2, c.precommit(i, 1, 0, undefined));
    const eff = c.run(2, { type: 'timeout', timeout: { kind: 'precommit', height: 1, round: 0 } });
    const p = proposalsOf(eff);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ round: 1, validRound: 0 });
    expect(hex(blockHash(p[0]!.block))).toBe(hex(blockHash(v)));
    expect(broadcasts(eff).some((m) => m.kind === 'votes')).toBe(true);
    expect(eff.some((e) => e.type === 'get-value')).toBe(false);
  });

  it('lines 44–46: 2f+1 nil prevotes make a replica in the prevote step precommit nil', () => {
    const c = new Cluster(4);
    c.startAll();
    c.run(0, { type: 'timeout', timeout: { kind: 'propose', height: 1, round: 0 } });
    c.deliver(0, c.prevote(1, 1, 0, undefined));
    const eff = c.deliver(0, c.prevote(2, 1, 0, undefined));
    expect(votesOf(eff, precommit).map((x) => hex(x.blockHash))).toEqual(['nil']);
  });

  it('lines 47–48 and 65–67: 2f+1 precommits of any kind schedule timeoutPrecommit; it starts round + 1', () => {
    const c = new Cluster(4);
    c.startAll();
    c.deliver(0, c.precommit(1, 1, 0, undefined));
    c.deliver(0, c.precommit(2, 1, 0, new Uint8Array(32).fill(7)));
    const eff = c.deliver(0, c.precommit(3, 1, 0, undefined));
    expect(timeoutsOf(eff).map((t) => [t.timeout.kind, t.afterTicks])).toEqual([['precommit', 10]]);
    const t = c.run(0, { type: 'timeout', timeout: { kind: 'precommit', height: 1, round: 0 } });
    expect(c.states[0]).toMatchObject({ round: 1, step: 'propose' });
    // timeouts grow with the round: timeoutPropose(1) = 30 + 5
    expect(timeoutsOf(t).find((x) => x.timeout.kind === 'propose')!.afterTicks).toBe(35);
  });

  it('lines 58, 62, 66: a timer of an old round or height does nothing', () => {
    const c = new Cluster(4);
    c.startAll();
    c.deliver(0, c.prevote(1, 1, 1, undefined));
    c.deliver(0, c.prevote(2, 1, 1, undefined)); // skip to round 1
    expect(c.states[0]!.round).toBe(1);
    for (const kind of ['propose', 'prevote', 'precommit'] as const) {
      expect(c.run(0, { type: 'timeout', timeout: { kind, height: 1, round: 0 } })).toEqual([]);
    }
    expect(c.states[0]).toMatchObject({ round: 1, step: 'propose' });
  });
});

describe('pitfalls (research/protocol-design.md §1.2)', () => {
  it('pitfall "decide for a past round" (tendermint#861, line 49 for any r): a replica in round 2 decides the value of round 0', () => {
    const c = new Cluster(4);
    c.startAll();
    c.deliver(0, c.prevote(1, 1, 2, undefined));
    c.deliver(0, c.prevote(2, 1, 2, undefined));
    expect(c.states[0]!.round).toBe(2);
    const v = c.block(0, ['old'], 0, 1);
    c.deliver(0, c.proposal(1, 1, 0, v));
    c.deliver(0, c.precommit(1, 1, 0, blockHash(v)));
    c.deliver(0, c.precommit(2, 1, 0, blockHash(v)));
    const eff = c.deliver(0, c.precommit(3, 1, 0, blockHash(v)));
    const d = decisions(eff);
    expect(d).toHaveLength(1);
    expect(d[0]!.certificate.round).toBe(0);
    expect(c.states[0]!.height).toBe(2);
  });

  it('pitfall "decide for a future round" (line 49): proposal and 2f+1 precommits of round 2 decide while in round 0', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['future'], 2, 3);
    c.deliver(0, c.proposal(3, 1, 2, v));
    const bundle: ConsensusMessage = {
      kind: 'votes',
      votes: [1, 2, 3].map((i) => (c.precommit(i, 1, 2, blockHash(v)) as { vote: any }).vote),
    };
    expect(c.states[0]!.round).toBe(0);
    const d = decisions(c.deliver(0, bundle));
    expect(d).toHaveLength(1);
    expect(d[0]!.certificate.round).toBe(2);
  });

  it('pitfall "skip to a higher round on f+1" (line 55): f messages from round 3 do not move a replica, f+1 do', () => {
    const c = new Cluster(4);
    c.startAll();
    c.deliver(0, c.prevote(1, 1, 3, undefined));
    expect(c.states[0]!.round).toBe(0);
    c.deliver(0, c.prevote(1, 1, 3, undefined)); // a duplicate from the same sender still counts once
    expect(c.states[0]!.round).toBe(0);
    c.deliver(0, c.precommit(2, 1, 3, undefined));
    expect(c.states[0]!.round).toBe(3);
  });

  it('line 55 counts voting power, not heads: one member holding more than a third moves a replica alone', () => {
    const c = new Cluster(4, [4, 1, 1, 1]); // total 7, f+1 needs power > 7/3
    c.startAll();
    c.deliver(3, c.prevote(1, 1, 2, undefined));
    c.deliver(3, c.prevote(2, 1, 2, undefined));
    expect(c.states[3]!.round).toBe(0); // power 2 of 7
    c.deliver(3, c.prevote(0, 1, 2, undefined));
    expect(c.states[3]!.round).toBe(2);
  });

  it('pitfall "first vote wins per (sender, height, round, type)", with equivocation recorded as evidence and capped', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    const w = c.block(0, ['w'], 0, 1);
    c.deliver(0, c.prevote(2, 1, 0, blockHash(v)));
    const eff = c.deliver(0, c.prevote(2, 1, 0, blockHash(w)));
    const ev = eff.filter((e) => e.type === 'evidence');
    expect(ev).toHaveLength(1);
    const rs = (c.states[0] as any).rounds.get(0);
    expect(hex(rs.prevotes.get(2)[0].vote.blockHash)).toBe(hex(blockHash(v)));
    expect(rs.prevotes.get(2)).toHaveLength(2); // the first vote and one conflicting one, never more
    let reported = 1;
    for (let k = 0; k < 10; k++) {
      reported += c
        .deliver(0, c.prevote(2, 1, 0, new Uint8Array(32).fill(k)))
        .filter((e) => e.type === 'evidence').length;
    }
    expect(reported).toBe(4); // CONSENSUS_LIMITS.maxEvidencePerSender
    // an equivocating proposer is recorded too
    c.deliver(0, c.proposal(1, 1, 0, v));
    expect(
      c
        .deliver(0, c.proposal(1, 1, 0, w))
        .some((e) => e.type === 'evidence' && e.evidence.kind === 'proposal'),
    ).toBe(true);
  });

  it('pitfall "equivocating votes received in different orders" (Malachite discussion #380): a certified polka still counts', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(2, ['v'], 0, 1);
    c.deliver(2, c.proposal(1, 1, 0, v)); // replica 2 prevotes v
    // Byzantine validator 0 shows replica 2 a nil prevote, then junk, filling its two slots.
    c.deliver(2, c.prevote(0, 1, 0, undefined));
    c.deliver(2, c.prevote(0, 1, 0, new Uint8Array(32).fill(9)));
    c.deliver(2, c.prevote(1, 1, 0, blockHash(v)));
    // A lone further vote of 0 for v does not fit: no polka (2 + 1 of 4 counted for v: 1 and 2 only).
    c.deliver(2, c.prevote(0, 1, 0, blockHash(v)));
    expect(c.states[2]!.locked).toBeUndefined();
    // The polka another replica locked on arrives as a bundle: 0, 1, 2 for v — a certificate, so 0's
    // vote for v is kept although its slots are full (without it only 1 and 2 count: no polka).
    const bundle: ConsensusMessage = {
      kind: 'votes',
      votes: [0, 1, 2].map((i) => (c.prevote(i, 1, 0, blockHash(v)) as any).vote),
    };
    const eff = c.deliver(2, bundle);
    expect(c.states[2]!.locked?.round).toBe(0);
    expect(votesOf(eff, precommit).map((x) => hex(x.blockHash))).toEqual([hex(blockHash(v))]);
  });

  it('pitfall "no fast path": unanimous prevotes and a proposal do not decide without 2f+1 precommits', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    c.deliver(0, c.proposal(1, 1, 0, v));
    for (const i of [1, 2, 3]) c.deliver(0, c.prevote(i, 1, 0, blockHash(v)));
    expect(c.log[0]!.filter((e) => e.type === 'decide')).toHaveLength(0);
    c.deliver(0, c.precommit(1, 1, 0, blockHash(v)));
    expect(c.log[0]!.filter((e) => e.type === 'decide')).toHaveLength(0); // own + 1 = 2 < 3
    expect(decisions(c.deliver(0, c.precommit(2, 1, 0, blockHash(v))))).toHaveLength(1);
  });

  it('pitfall "gossip property": locking broadcasts the polka (Malachite PR #997)', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    c.deliver(0, c.proposal(1, 1, 0, v));
    c.deliver(0, c.prevote(1, 1, 0, blockHash(v)));
    const eff = c.deliver(0, c.prevote(2, 1, 0, blockHash(v)));
    const bundles = broadcasts(eff).filter((m) => m.kind === 'votes');
    expect(bundles).toHaveLength(1);
    const polka = (bundles[0] as any).votes as any[];
    expect(polka.map((x) => x.validator).sort()).toEqual([0, 1, 2]);
    expect(polka.every((x) => x.type === prevote && hex(x.blockHash) === hex(blockHash(v)))).toBe(true);
  });

  it('pitfall "gossip property": the rebroadcast timer re-sends round state (own votes, the proposal, the valid polka)', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    c.deliver(0, c.proposal(1, 1, 0, v));
    for (const i of [1, 2]) c.deliver(0, c.prevote(i, 1, 0, blockHash(v)));
    const eff = c.run(0, { type: 'timeout', timeout: { kind: 'rebroadcast', height: 1, round: 0 } });
    const msgs = broadcasts(eff);
    expect(
      votesOf(eff)
        .map((x) => x.type)
        .sort(),
    ).toEqual([prevote, precommit]);
    expect(msgs.some((m) => m.kind === 'proposal')).toBe(true);
    expect(msgs.some((m) => m.kind === 'votes')).toBe(true);
    expect(timeoutsOf(eff).map((t) => t.timeout.kind)).toEqual(['rebroadcast']);
    // re-sent, not re-signed: no persist needed, and the messages are identical to the first ones
    expect(eff.some((e) => e.type === 'persist')).toBe(false);
  });

  it('after a decide the next height waits for `committed` (the Advance of the effect contract): no value is judged before', () => {
    const c = new Cluster(4);
    c.autoCommit = false;
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    c.deliver(0, c.proposal(1, 1, 0, v));
    for (const i of [1, 2]) c.deliver(0, c.precommit(i, 1, 0, blockHash(v)));
    expect(decisions(c.deliver(0, c.precommit(3, 1, 0, blockHash(v))))).toHaveLength(1);
    expect(c.states[0]).toMatchObject({ height: 2, awaitingCommit: 1 });
    // proposer(2, 0) = 2 proposes on top of the decided block; replica 0 must not prevote yet
    const tip = c.states[0]!.tip;
    const w = {
      header: { height: 2, round: 0, proposer: 2, prevHash: tip.hash, timeMs: tip.timeMs + 1 },
      requests: [],
    };
    expect(votesOf(c.deliver(0, c.proposal(2, 2, 0, w)))).toEqual([]);
    expect(c.run(0, { type: 'committed', height: 7 })).toEqual([]); // not the decided height: ignored
    const eff = c.run(0, { type: 'committed', height: 1 });
    expect(votesOf(eff, prevote).map((x) => [x.height, hex(x.blockHash)])).toEqual([[2, hex(blockHash(w))]]);
  });

  it('committee as data: a committee scheduled from height 2 judges every message of height 2', () => {
    const c = new Cluster(4);
    c.startAll();
    const smaller = makeCommittee(c.committee.members.slice(0, 3));
    c.run(0, { type: 'schedule-committee', fromHeight: 2, committee: smaller });
    const bad = c.run(0, { type: 'schedule-committee', fromHeight: 1, committee: smaller });
    expect(bad).toContainEqual(expect.objectContaining({ type: 'rejected', code: 'OUT_OF_RANGE' }));
    const v = c.block(0, ['v'], 0, 1);
    c.deliver(0, c.proposal(1, 1, 0, v));
    for (const i of [1, 2, 3]) c.deliver(0, c.precommit(i, 1, 0, blockHash(v))); // decided by the old committee
    expect(c.states[0]!.height).toBe(2);
    // validator 3 is no longer a member at height 2
    const eff = c.deliver(0, c.prevote(3, 2, 0, undefined));
    expect(eff).toContainEqual(
      expect.objectContaining({ type: 'rejected', code: 'UNKNOWN_VALIDATOR', validator: 3 }),
    );
    // proposer(2, 0) over three members is (2 + 0) mod 3 = 2; quorum is now 3 of 3
    const tip = c.states[0]!.tip;
    const w = {
      header: { height: 2, round: 0, proposer: 2, prevHash: tip.hash, timeMs: tip.timeMs + 1 },
      requests: [],
    };
    expect(votesOf(c.deliver(0, c.proposal(2, 2, 0, w)), prevote)).toHaveLength(1);
    c.deliver(0, c.precommit(1, 2, 0, blockHash(w)));
    c.deliver(0, c.precommit(2, 2, 0, blockHash(w)));
    expect(c.states[0]!.height).toBe(2); // 2 of 3 is not > 2/3
  });

  it('safety through locking (overview.md "Locked Value"): after replica 3 decides v in round 0, a fresh w cannot be decided in round 1', () => {
    // Validator 0 is Byzantine (its messages are crafted here); 1, 2, 3 run the core.
    const c = new Cluster(4);
    c.startAll();
    const p0 = broadcasts(
      c.run(1, { type: 'value', height: 1, round: 0, requests: [enc('v')], timeMs: 5 }),
    )[0]!;
    const v = (p0 as any).proposal.block;
    const id = blockHash(v);
    const pv = (i: number) => votesOf(c.log[i]!, prevote).find((x) => x.round === 0)!;
    const pc = (i: number) => votesOf(c.log[i]!, precommit).find((x) => x.round === 0)!;
    for (const i of [2, 3]) c.deliver(i, p0);
    // Replica 3 sees the polka (1, 3 and Byzantine 0 for v), locks, precommits v, and decides with 0's help.
    c.deliver(3, { kind: 'vote', vote: pv(1) });
    c.deliver(3, c.prevote(0, 1, 0, id));
    c.deliver(1, { kind: 'vote', vote: pv(3) });
    c.deliver(1, c.prevote(0, 1, 0, id)); // replica 1 locks v too
    expect(c.states[1]!.locked?.round).toBe(0);
    c.deliver(3, { kind: 'vote', vote: pc(1) });
    expect(decisions(c.deliver(3, c.precommit(0, 1, 0, id)))).toHaveLength(1);
    // Replica 2 never sees a polka: 0 shows it a nil prevote; it precommits nil on timeoutPrevote.
    c.deliver(2, { kind: 'vote', vote: pv(1) });
    c.deliver(2, c.prevote(0, 1, 0, undefined));
    c.run(2, { type: 'timeout', timeout: { kind: 'prevote', height: 1, round: 0 } });
    // 3's precommit never reaches 1 and 2; 0 shows them nil: both leave round 0 (line 67).
    for (const [i, j] of [
      [1, 2],
      [2, 1],
    ] as const) {
      c.deliver(i, { kind: 'vote', vote: pc(j) });
      c.deliver(i, c.precommit(0, 1, 0, undefined));
      c.run(i, { type: 'timeout', timeout: { kind: 'precommit', height: 1, round: 0 } });
    }
    expect([c.states[1]!.round, c.states[2]!.round]).toEqual([1, 1]);
    // Round 1: proposer 2 has no valid value and proposes a fresh w; Byzantine 0 backs it.
    const p1 = broadcasts(
      c.run(2, { type: 'value', height: 1, round: 1, requests: [enc('w')], timeMs: 9 }),
    )[0]!;
    const w = (p1 as any).proposal.block;
    const eff = c.deliver(1, p1);
    expect(votesOf(eff, prevote).map((x) => hex(x.blockHash))).toEqual(['nil']); // line 26: locked on v
    const pv2 = votesOf(c.log[2]!, prevote).find((x) => x.round === 1)!;
    expect(hex(pv2.blockHash)).toBe(hex(blockHash(w)));
    for (const i of [1, 2]) {
      c.deliver(i, c.prevote(0, 1, 1, blockHash(w)));
      c.deliver(i, c.precommit(0, 1, 1, blockHash(w)));
    }
    c.deliver(2, { kind: 'vote', vote: votesOf(eff, prevote)[0]! });
    for (const i of [1, 2]) expect(decisions(c.log[i]!)).toEqual([]); // only 0 and 2 back w: no polka
  });

  it('a proposal from someone other than proposer(h, r) is rejected with NOT_PROPOSER', () => {
    const c = new Cluster(4);
    c.startAll();
    const eff = c.deliver(0, c.proposal(2, 1, 0, c.block(0, ['x'], 0, 2)));
    expect(eff).toContainEqual(
      expect.objectContaining({ type: 'rejected', code: 'NOT_PROPOSER', validator: 2 }),
    );
    expect(votesOf(eff)).toHaveLength(0);
  });

  it('a vote with a forged signature is rejected with BAD_SIGNATURE and not counted', () => {
    const c = new Cluster(4);
    c.startAll();
    const m = c.prevote(2, 1, 0, undefined) as any;
    const forged = { kind: 'vote', vote: { ...m.vote, signature: new Uint8Array(64) } } as ConsensusMessage;
    const eff = c.deliver(0, forged);
    expect(eff).toContainEqual(
      expect.objectContaining({ type: 'rejected', code: 'BAD_SIGNATURE', validator: 2 }),
    );
    expect((c.states[0] as any).rounds.get(0)?.prevotes.size ?? 0).toBe(0);
  });

  it('messages too many rounds ahead are dropped (bounded memory: LIMIT_EXCEEDED)', () => {
    const c = new Cluster(4);
    c.startAll();
    const eff = c.deliver(0, c.prevote(1, 1, 100, undefined));
    expect(eff).toContainEqual(expect.objectContaining({ type: 'rejected', code: 'LIMIT_EXCEEDED' }));
    expect((c.states[0] as any).rounds.has(100)).toBe(false);
  });

  it('the step function is pure: the input state is not modified and equal inputs give equal outputs', () => {
    const c = new Cluster(4);
    c.startAll();
    const before = c.states[0]!;
    const m = c.proposal(1, 1, 0, c.block(0, ['v'], 0, 1));
    const a = c.deliver(0, m);
    const afterA = c.states[0]!;
    c.states[0] = before;
    const b = c.deliver(0, m);
    expect(b).toEqual(a);
    expect(c.states[0]).toEqual(afterA);
    expect(before.step).toBe('propose');
    expect(proposalsOf(a)).toHaveLength(0);
  });
});
