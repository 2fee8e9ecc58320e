/**
 * A scripted cluster for scenario tests: the test decides which replica receives which message when, in
 * the style of etcd raft's scripted-message tests. Nothing is delivered unless the test says so.
 */
import {
  type Block,
  type ConsensusEvent,
  type ConsensusMessage,
  type ConsensusState,
  type Effect,
  type Proposal,
  type Vote,
  VoteType,
  blockHash,
  fixedSchedule,
  initialState,
  makeCommittee,
  proposalSignBytes,
  step,
  voteSignBytes,
} from '../../src/core/consensus/index.js';
import { cheapKeys, type KeySet } from '../../sim/keys.js';

export const CHAIN = 'omega-test';
export const TIMEOUTS = { propose: 30, prevote: 10, precommit: 10, delta: 5, rebroadcast: 20 };

export class Cluster {
  readonly keys: KeySet;
  readonly committee;
  readonly schedule;
  states: ConsensusState[] = [];
  /** Every effect each replica produced, in order. */
  readonly log: Effect[][] = [];

  constructor(
    readonly n: number,
    powers?: number[],
  ) {
    this.keys = cheapKeys(n, `scenario-${n}`);
    this.committee = makeCommittee(
      this.keys.identities.map((k, i) => ({ publicKey: k.publicKey, power: powers?.[i] ?? 1 })),
    );
    this.schedule = fixedSchedule(this.committee);
    for (let i = 0; i < n; i++) {
      this.states.push(initialState(this.config(i), this.schedule));
      this.log.push([]);
    }
  }

  config(i: number) {
    return {
      chainId: CHAIN,
      publicKey: this.keys.identities[i]!.publicKey,
      sign: this.keys.identities[i]!.sign,
      verify: this.keys.verify,
      timeouts: TIMEOUTS,
    };
  }

  /** Steps replica i with an event; returns its effects. */
  run(i: number, e: ConsensusEvent): Effect[] {
    const { state, effects } = step(this.states[i]!, e);
    this.states[i] = state;
    this.log[i]!.push(...effects);
    const all = [...effects];
    // Like a runtime: once a decide is applied, tell the core (etcd raft's Advance).
    for (const d of effects) {
      if (d.type === 'decide' && this.autoCommit)
        all.push(...this.run(i, { type: 'committed', height: d.block.header.height }));
    }
    return all;
  }

  /** Send `committed` right after every decide (scenario tests may turn it off). */
  autoCommit = true;

  deliver(i: number, message: ConsensusMessage): Effect[] {
    return this.run(i, { type: 'message', message });
  }

  startAll(): Effect[][] {
    return this.states.map((_, i) => this.run(i, { type: 'start' }));
  }

  /** A block for `height` on top of replica i's tip. */
  block(i: number, requests: string[], round = 0, proposer = 0): Block {
    const s = this.states[i]!;
    return {
      header: { height: s.height, round, proposer, prevHash: s.tip.hash, timeMs: s.tip.timeMs + 1 },
      requests: requests.map((r) => new TextEncoder().encode(r)),
    };
  }

  /** A proposal signed by validator `by` (which the test may make a Byzantine proposer). */
  proposal(by: number, height: number, round: number, block: Block, validRound = -1): ConsensusMessage {
    const unsigned = { height, round, validRound, proposer: by };
    const signature = this.keys.identities[by]!.sign(
      proposalSignBytes(CHAIN, { ...unsigned, blockHash: blockHash(block) }),
    );
    const proposal: Proposal = { ...unsigned, block, signature };
    return { kind: 'proposal', proposal };
  }

  vote(
    by: number,
    type: VoteType,
    height: number,
    round: number,
    hash: Uint8Array | undefined,
  ): ConsensusMessage {
    const unsigned = { type, height, round, blockHash: hash, validator: by };
    const vote: Vote = {
      ...unsigned,
      signature: this.keys.identities[by]!.sign(voteSignBytes(CHAIN, unsigned)),
    };
    return { kind: 'vote', vote };
  }

  prevote(by: number, height: number, round: number, hash: Uint8Array | undefined): ConsensusMessage {
    return this.vote(by, VoteType.prevote, height, round, hash);
  }

  precommit(by: number, height: number, round: number, hash: Uint8Array | undefined): ConsensusMessage {
    return this.vote(by, VoteType.precommit, height, round, hash);
  }
}

export function broadcasts(effects: readonly Effect[]): ConsensusMessage[] {
  return effects.flatMap((e) => (e.type === 'broadcast' ? [e.message] : []));
}

export function votesOf(effects: readonly Effect[], type?: VoteType): Vote[] {
  return broadcasts(effects).flatMap((m) =>
    m.kind === 'vote' && (type === undefined || m.vote.type === type) ? [m.vote] : [],
  );
}

export function proposalsOf(effects: readonly Effect[]): Proposal[] {
  return broadcasts(effects).flatMap((m) => (m.kind === 'proposal' ? [m.proposal] : []));
}

export function decisions(effects: readonly Effect[]) {
  return effects.flatMap((e) => (e.type === 'decide' ? [e] : []));
}

export function timeoutsOf(effects: readonly Effect[]) {
  return effects.flatMap((e) => (e.type === 'schedule-timeout' ? [e] : []));
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
