/**
 * Crash safety of the core (research/protocol-design.md §1.2 "Amnesia after a crash"; CometBFT
 * signing.md): the last signed (height, round, step) and the lock are persisted before any signed message
 * leaves, and a replica restored from its WAL never signs a conflicting message.
 */
import { describe, expect, it } from 'vitest';
import {
  VoteType,
  blockHash,
  decodeWal,
  encodeWal,
  restoreState,
  step,
  type Effect,
  type WalRecord,
} from '../../src/core/consensus/index.js';
import { isOmegaError } from '../../src/errors.js';
import { Cluster, broadcasts, votesOf } from './harness.js';

function lastPersist(effects: readonly Effect[]): WalRecord | undefined {
  let rec: WalRecord | undefined;
  for (const e of effects) if (e.type === 'persist') rec = e.record;
  return rec;
}

describe('persist before send', () => {
  it('every step that signs puts one persist, holding the new last-signed key, before the first send', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    const eff = c.deliver(0, c.proposal(1, 1, 0, v));
    const kinds = eff.map((e) => e.type);
    expect(kinds.indexOf('persist')).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf('persist')).toBeLessThan(kinds.indexOf('broadcast'));
    expect(lastPersist(eff)!.lastSigned).toEqual({ height: 1, round: 0, step: 'prevote' });
    expect(lastPersist(eff)!.own.prevote).toEqual(votesOf(eff)[0]);
  });

  it('the lock is persisted in the same record as the precommit it causes (lines 38–40)', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    c.deliver(0, c.proposal(1, 1, 0, v));
    c.deliver(0, c.prevote(1, 1, 0, blockHash(v)));
    const eff = c.deliver(0, c.prevote(2, 1, 0, blockHash(v)));
    const rec = lastPersist(eff)!;
    expect(rec.locked?.round).toBe(0);
    expect(rec.lastSigned).toEqual({ height: 1, round: 0, step: 'precommit' });
    expect(eff.findIndex((e) => e.type === 'persist')).toBeLessThan(
      eff.findIndex((e) => e.type === 'broadcast'),
    );
  });

  it('a decide comes before the persist of the next height (decide is durable first)', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    c.deliver(0, c.proposal(1, 1, 0, v));
    c.deliver(0, c.precommit(1, 1, 0, blockHash(v)));
    c.deliver(0, c.precommit(2, 1, 0, blockHash(v)));
    const eff = c.deliver(0, c.precommit(3, 1, 0, blockHash(v)));
    expect(eff[0]!.type).toBe('decide');
    expect(eff[1]!.type).toBe('persist');
    expect(lastPersist(eff)!.height).toBe(2);
  });
});

describe('restart from the WAL', () => {
  it('a replica restarted after prevoting v re-sends that prevote and never prevotes for a conflicting proposal', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    const eff = c.deliver(0, c.proposal(1, 1, 0, v));
    const wal = decodeWal(encodeWal(lastPersist(eff)!)); // what survived the crash
    const tip = c.states[0]!.tip;
    let s = restoreState(c.config(0), c.schedule, tip, wal);
    let out = step(s, { type: 'start' });
    s = out.state;
    expect(votesOf(out.effects)).toEqual([wal.own.prevote]); // the same signed bytes again
    // An equivocating proposer now shows a different value: no second prevote in (1, 0).
    const w = c.block(0, ['w'], 0, 1);
    out = step(s, { type: 'message', message: c.proposal(1, 1, 0, w) });
    expect(votesOf(out.effects, VoteType.prevote)).toEqual([]);
    expect(out.state.step).toBe('prevote');
  });

  it('a replica restarted while locked keeps its lock and prevotes nil for another value in a later round', () => {
    const c = new Cluster(4);
    c.startAll();
    const v = c.block(0, ['v'], 0, 1);
    c.deliver(0, c.proposal(1, 1, 0, v));
    c.deliver(0, c.prevote(1, 1, 0, blockHash(v)));
    const eff = c.deliver(0, c.prevote(2, 1, 0, blockHash(v)));
    const wal = decodeWal(encodeWal(lastPersist(eff)!));
    let s = restoreState(c.config(0), c.schedule, c.states[0]!.tip, wal);
    s = step(s, { type: 'start' }).state;
    expect(s.locked?.round).toBe(0);
    const w = c.block(0, ['w'], 1, 2);
    s = step(s, { type: 'message', message: c.proposal(2, 1, 1, w) }).state;
    const out = step(s, { type: 'message', message: c.prevote(3, 1, 1, undefined) });
    expect(out.state.round).toBe(1);
    expect(votesOf(out.effects, VoteType.prevote).map((x) => x.blockHash)).toEqual([undefined]);
  });

  it('a replica restarted in round 1 still relays the 2f+1 precommits that moved it there (round-entry justification)', () => {
    const c = new Cluster(4);
    c.startAll();
    c.run(2, { type: 'timeout', timeout: { kind: 'propose', height: 1, round: 0 } });
    c.deliver(2, c.prevote(1, 1, 0, undefined));
    c.deliver(2, c.prevote(3, 1, 0, undefined)); // 2f+1 nil prevotes: replica 2 precommits nil
    c.deliver(2, c.precommit(1, 1, 0, undefined));
    c.deliver(2, c.precommit(3, 1, 0, undefined));
    const eff = c.run(2, { type: 'timeout', timeout: { kind: 'precommit', height: 1, round: 0 } });
    const wal = decodeWal(encodeWal(lastPersist(eff)!));
    expect(wal.round).toBe(1);
    expect(wal.entry.map((v) => [v.validator, v.round, v.type]).sort()).toEqual([
      [1, 0, 2],
      [2, 0, 2],
      [3, 0, 2],
    ]);
    let s = restoreState(c.config(2), c.schedule, c.states[2]!.tip, wal);
    s = step(s, { type: 'start' }).state;
    const out = step(s, { type: 'timeout', timeout: { kind: 'rebroadcast', height: 1, round: 1 } });
    const relayed = broadcasts(out.effects).flatMap((m) => (m.kind === 'votes' ? m.votes : []));
    expect(
      relayed
        .filter((v) => v.round === 0 && v.type === VoteType.precommit)
        .map((v) => v.validator)
        .sort(),
    ).toEqual([1, 2, 3]);
  });

  it('a WAL from an already decided height carries only the last-signed key forward', () => {
    const c = new Cluster(4);
    c.startAll();
    const stale: WalRecord = {
      height: 1,
      round: 3,
      step: 'precommit',
      locked: undefined,
      valid: undefined,
      lastSigned: { height: 1, round: 3, step: 'precommit' },
      own: {},
      entry: [],
    };
    const tip = { ...c.states[0]!.tip, height: 1 };
    const s = restoreState(c.config(0), c.schedule, tip, stale);
    expect(s).toMatchObject({ height: 2, round: 0, step: 'propose', lastSigned: stale.lastSigned });
  });

  it('a WAL ahead of the block store breaks the effect contract and is rejected', () => {
    const c = new Cluster(4);
    const ahead: WalRecord = {
      height: 5,
      round: 0,
      step: 'propose',
      locked: undefined,
      valid: undefined,
      lastSigned: undefined,
      own: {},
      entry: [],
    };
    expect(() => restoreState(c.config(0), c.schedule, c.states[0]!.tip, ahead)).toThrow(
      /ahead of the block store/,
    );
  });

  it('the double-sign guard stops rather than sign below the last signed key (CONFLICTING_SIGNATURE)', () => {
    const c = new Cluster(4);
    c.startAll();
    // A corrupted state that believes it already precommitted in (1, 0) while still proposing.
    c.states[0] = { ...c.states[0]!, lastSigned: { height: 1, round: 0, step: 'precommit' } };
    try {
      c.deliver(0, c.proposal(1, 1, 0, c.block(0, ['v'], 0, 1)));
      expect.unreachable();
    } catch (e) {
      expect(isOmegaError(e, 'CONFLICTING_SIGNATURE')).toBe(true);
    }
  });

  it('the guard refuses a second, different vote at the same key even when asked', () => {
    const c = new Cluster(4);
    c.startAll();
    c.deliver(0, c.proposal(1, 1, 0, c.block(0, ['v'], 0, 1))); // prevote v at (1, 0)
    // A corrupted state that forgot it left the propose step but kept the signed key and prevote:
    // timeoutPropose would now prevote nil at the same key.
    c.states[0] = { ...c.states[0]!, step: 'propose' };
    try {
      c.run(0, { type: 'timeout', timeout: { kind: 'propose', height: 1, round: 0 } });
      expect.unreachable();
    } catch (e) {
      expect(isOmegaError(e, 'CONFLICTING_SIGNATURE')).toBe(true);
    }
  });
});
