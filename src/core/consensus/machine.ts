/**
 * Tendermint consensus (arXiv 1807.04938, Algorithm 1) as a pure state machine:
 * `step(state, event) → { state, effects }`. Comments cite the line numbers of the pseudo-code in
 * Malachite's `specs/consensus/pseudo-code.md` (lines 1–67), which this file follows.
 *
 * No I/O, clock or randomness here: time arrives as `timeout` events that the runtime schedules on
 * request, values arrive as `value` events answering a `get-value` effect, and signing and verification
 * are injected functions. Every incoming signature is verified here with the injected `verify` (the core
 * never trusts its caller to have done it; a runtime that verifies in a worker pool passes a `verify`
 * that consults its cache).
 *
 * The effect list of every step is ordered by the contract in docs/consensus.md ("Effect-ordering
 * contract"): decide → persist → broadcast/send → everything else. Because `persist` carries the final
 * last-signed key, which is monotonic and at least the key of every message signed in the step, a
 * runtime that executes effects in order can never let a signed message leave before the record that
 * forbids signing a conflicting one is durable.
 */
import { OmegaError, type ErrorCode, invariant, isOmegaError } from '../../errors.js';
import { equalBytes, toHex } from '../../crypto/bytes.js';
import {
  type Committee,
  type CommitteeSchedule,
  committeeAt,
  indexOf,
  isOneCorrect,
  isQuorum,
  proposerIndex,
  scheduleCommittee,
} from './committee.js';
import { CONSENSUS_LIMITS } from './limits.js';
import {
  type Block,
  type Certificate,
  type ConsensusMessage,
  type Proposal,
  type Signer,
  type Verifier,
  type Vote,
  VoteType,
  blockHash,
  genesisHash,
  proposalSignBytes,
  voteSignBytes,
} from './messages.js';
import { type AppValidity, type PrefixTip, isValidBlock, verifyDecidedBlock } from './validity.js';
import {
  type OwnSigned,
  type RoundStep,
  type RoundValue,
  type SignedKey,
  type WalRecord,
  compareSignedKey,
} from './wal.js';

// ── configuration ──────────────────────────────────────────────────────────────────────────────────

/**
 * Timeouts in ticks. timeoutX(r) = x + r·delta grows with the round so that, after GST, the timeouts
 * eventually exceed the real message delay (Malachite overview.md "Timeouts").
 */
export interface TimeoutConfig {
  readonly propose: number;
  readonly prevote: number;
  readonly precommit: number;
  /** Added per round to each of the three. */
  readonly delta: number;
  /** Period of the rebroadcast timer (gossip property; Malachite PRs #1032/#1033). */
  readonly rebroadcast: number;
}

export const DEFAULT_TIMEOUTS: TimeoutConfig = {
  propose: 30,
  prevote: 10,
  precommit: 10,
  delta: 5,
  rebroadcast: 20,
};

export interface ConsensusConfig {
  /** Bound into every sign-bytes and into the genesis hash. */
  readonly chainId: string;
  /** This replica's Ed25519 public key (its identity in every committee). */
  readonly publicKey: Uint8Array;
  readonly sign: Signer;
  readonly verify: Verifier;
  readonly timeouts: TimeoutConfig;
  readonly appValidity?: AppValidity;
  /** Block time of the genesis "block" (height 0); the first block's time must be above it. */
  readonly genesisTimeMs?: number;
}

// ── events and effects ─────────────────────────────────────────────────────────────────────────────

export type TimeoutKind = 'propose' | 'prevote' | 'precommit' | 'rebroadcast';

export interface Timeout {
  readonly kind: TimeoutKind;
  readonly height: number;
  readonly round: number;
}

export type ConsensusEvent =
  /** Starts (or, after {@link restoreState}, resumes) the current height. Send once. */
  | { readonly type: 'start' }
  /** A message from the network (proposal, vote or vote bundle). Signatures are checked here. */
  | { readonly type: 'message'; readonly message: ConsensusMessage }
  /** A timer scheduled by a `schedule-timeout` effect has fired. */
  | { readonly type: 'timeout'; readonly timeout: Timeout }
  /** getValue() answered: the requests of a batch and the proposer's current time (line 18). */
  | {
      readonly type: 'value';
      readonly height: number;
      readonly round: number;
      readonly requests: readonly Uint8Array[];
      readonly timeMs: number;
    }
  /**
   * The runtime has applied the `decide` of `height` (block store and application state): the next
   * height may start. Like etcd raft's Advance(): until it arrives, the core buffers the new height's
   * messages and judges no value, so valid(v) always sees the applied prefix.
   */
  | { readonly type: 'committed'; readonly height: number }
  /** Block sync: a decided block and its certificate fetched from a peer, for the current height. */
  | { readonly type: 'decided-block'; readonly block: Block; readonly certificate: Certificate }
  /** Membership change: `committee` runs every height from `fromHeight` (> the current height). */
  | { readonly type: 'schedule-committee'; readonly fromHeight: number; readonly committee: Committee };

export type Evidence =
  | { readonly kind: 'vote'; readonly first: Vote; readonly second: Vote }
  | { readonly kind: 'proposal'; readonly first: Proposal; readonly second: Proposal };

export type Effect =
  /** Line 51: `block` is decided with `certificate`. Make it durable (block store) before the next effect. */
  | { readonly type: 'decide'; readonly block: Block; readonly certificate: Certificate }
  /** Write and fsync the WAL record before executing any later effect (it precedes every send). */
  | { readonly type: 'persist'; readonly record: WalRecord }
  | { readonly type: 'broadcast'; readonly message: ConsensusMessage }
  /** Send to one peer, named by its public key. */
  | { readonly type: 'send'; readonly to: Uint8Array; readonly message: ConsensusMessage }
  /** Deliver `{type: 'timeout', timeout}` after `afterTicks`. */
  | { readonly type: 'schedule-timeout'; readonly timeout: Timeout; readonly afterTicks: number }
  /** getValue() (line 18): answer with a `value` event for this height and round. */
  | { readonly type: 'get-value'; readonly height: number; readonly round: number; readonly tip: PrefixTip }
  /** A member signed two different messages for one (height, round, type): proof of equivocation. */
  | { readonly type: 'evidence'; readonly evidence: Evidence }
  /** An input was rejected (bad signature, not the proposer, invalid synced block, ...). */
  | {
      readonly type: 'rejected';
      readonly code: ErrorCode;
      readonly reason: string;
      readonly validator?: number;
    };

export interface StepResult {
  readonly state: ConsensusState;
  readonly effects: readonly Effect[];
}

// ── state ──────────────────────────────────────────────────────────────────────────────────────────

interface CountedVote {
  readonly vote: Vote;
  /** Hex of id(v), or 'nil'. */
  readonly key: string;
}

/** Messages received for one round of the current height (the vote keeper). */
interface RoundState {
  /** Proposals signed by proposer(h, r); the first is the one lines 22/28 act on. */
  proposals: Proposal[];
  /**
   * Votes per sender: slot 0 is the first vote, which wins for every count of "2f+1 of any kind"
   * (lines 34, 47) and for line 55 (Malachite overview.md "Byzantine Voters"). A conflicting vote of an
   * equivocator is evidence and also takes the one further slot (maxVotesPerSender), because the
   * pseudo-code counts every *received* message: a polka for v exists if 2f+1 senders prevoted id(v),
   * even if one of them also prevoted something else first. Counting only first votes lets an equivocating
   * voter split correct replicas for ever (found by the simulator; see docs/consensus.md).
   */
  prevotes: Map<number, CountedVote[]>;
  precommits: Map<number, CountedVote[]>;
  /** Validators from whom any message of this round was accepted (line 55). */
  senders: Set<number>;
  /** "for the first time" guards of lines 34, 36 and 47. */
  fired34: boolean;
  fired36: boolean;
  fired47: boolean;
}

export interface ConsensusState {
  readonly config: ConsensusConfig;
  readonly schedule: CommitteeSchedule;
  /** The decided prefix, summarised (validity depends only on it). */
  readonly tip: PrefixTip;
  /** h_p, round_p, step_p (lines 2–4). */
  readonly height: number;
  readonly round: number;
  readonly step: RoundStep;
  readonly locked: RoundValue | undefined;
  readonly valid: RoundValue | undefined;
  readonly lastSigned: SignedKey | undefined;
  /** What this replica signed in (height, round). */
  readonly own: OwnSigned;
  /** The round-entry justification of (height, round) (see WalRecord.entry). */
  readonly entry: readonly Vote[];
  readonly started: boolean;
  /** A decided height whose `committed` event has not arrived yet (the next height waits for it). */
  readonly awaitingCommit: number | undefined;
  /** A `get-value` is outstanding for (height, round). */
  readonly awaitingValue: boolean;
  readonly rounds: ReadonlyMap<number, RoundState>;
  /** Messages of height + 1 received early, replayed on the next height (bounded). */
  readonly nextHeight: readonly ConsensusMessage[];
  /** A peer at a higher height, seen since the last sync request (block sync hint). */
  readonly behind:
    | {
        readonly height: number;
        readonly peer: Uint8Array;
        /** Present while the hint's signature is not yet checked (checked before it is acted on). */
        readonly unverified?: ConsensusMessage;
      }
    | undefined;
  /** The round of this height in which a sync request was last sent (−1: none). */
  readonly syncRequestedRound: number;
  /** Evidence records emitted per validator at this height. */
  readonly evidenceCount: ReadonlyMap<number, number>;
  /** valid(v) memo for this height (a pure function, so sharing it between states is harmless). */
  readonly validity: Map<string, boolean>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MState = Mutable<ConsensusState> & {
  rounds: Map<number, RoundState>;
  nextHeight: ConsensusMessage[];
  evidenceCount: Map<number, number>;
};

/**
 * A fresh replica at height tip.height + 1 (tip defaults to genesis). Send `{type: 'start'}` next.
 */
export function initialState(
  config: ConsensusConfig,
  schedule: CommitteeSchedule,
  tip?: PrefixTip,
): ConsensusState {
  checkConfig(config);
  const t = tip ?? genesisTip(config);
  return {
    config,
    schedule,
    tip: t,
    height: t.height + 1,
    round: 0,
    step: 'propose',
    locked: undefined,
    valid: undefined,
    lastSigned: undefined,
    own: {},
    entry: [],
    started: false,
    awaitingCommit: undefined,
    awaitingValue: false,
    rounds: new Map(),
    nextHeight: [],
    behind: undefined,
    syncRequestedRound: -1,
    evidenceCount: new Map(),
    validity: new Map(),
  };
}

/** The tip before height 1: the chain's genesis hash and time. */
export function genesisTip(config: ConsensusConfig): PrefixTip {
  return { height: 0, hash: genesisHash(config.chainId), timeMs: config.genesisTimeMs ?? 0 };
}

/**
 * Rebuilds a replica after a crash from its durable state: the tip of its block store and the last WAL
 * record. If the record is for the height after the tip, the replica resumes in the same round and step
 * with its lock, valid value and signed messages; if it is older (the crash fell between `decide` and the
 * next `persist`), only the last-signed key carries over. A record ahead of the block store breaks the
 * effect contract (decide is durable before the next persist) and is rejected. Send `{type: 'start'}` next.
 */
export function restoreState(
  config: ConsensusConfig,
  schedule: CommitteeSchedule,
  tip: PrefixTip,
  wal: WalRecord | undefined,
): ConsensusState {
  const fresh = initialState(config, schedule, tip) as MState;
  if (wal === undefined) return fresh;
  if (wal.height > tip.height + 1) {
    throw new OmegaError(
      'INVALID_ARGUMENT',
      `WAL at height ${wal.height} is ahead of the block store (${tip.height})`,
    );
  }
  fresh.lastSigned = wal.lastSigned;
  if (wal.height === tip.height + 1) {
    fresh.round = wal.round;
    fresh.step = wal.step;
    fresh.locked = wal.locked;
    fresh.valid = wal.valid;
    fresh.own = wal.own;
    fresh.entry = wal.entry;
  }
  return fresh;
}

/** The WAL record of a state (what a `persist` effect carries). */
export function walRecord(s: ConsensusState): WalRecord {
  return {
    height: s.height,
    round: s.round,
    step: s.step,
    locked: s.locked,
    valid: s.valid,
    lastSigned: s.lastSigned,
    own: s.own,
    entry: s.entry,
  };
}

function checkConfig(c: ConsensusConfig): void {
  const t = c.timeouts;
  for (const v of [t.propose, t.prevote, t.precommit, t.rebroadcast]) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new OmegaError('OUT_OF_RANGE', 'timeouts are positive integers of ticks');
  }
  if (!Number.isSafeInteger(t.delta) || t.delta < 1) {
    throw new OmegaError('OUT_OF_RANGE', 'timeouts must grow with the round (delta >= 1)');
  }
  if (new TextEncoder().encode(c.chainId).length > CONSENSUS_LIMITS.maxChainIdBytes) {
    throw new OmegaError('LIMIT_EXCEEDED', 'chain id too long');
  }
}

// ── the step function ──────────────────────────────────────────────────────────────────────────────

/** Collects effects by category, to emit them in contract order. */
class Out {
  decides: Effect[] = [];
  sends: Effect[] = [];
  others: Effect[] = [];
  /** The safety state (height/round/step/lock/valid/signed) changed: a persist is due. */
  dirty = false;
  /** A message signed in this step is being sent: the persist must precede it. */
  signed = false;
}

/**
 * The transition function. Pure: `state` is not modified, the returned state is new. Throws only on a
 * broken invariant (a bug), never on bad input: bad input becomes a `rejected` effect.
 *
 * @example
 * let s = initialState(config, fixedSchedule(committee));
 * ({ state: s, effects } = step(s, { type: 'start' }));
 */
export function step(state: ConsensusState, event: ConsensusEvent): StepResult {
  const s = cloneState(state);
  const out = new Out();
  switch (event.type) {
    case 'start':
      if (!s.started) {
        s.started = true;
        start(s, out);
      }
      break;
    case 'message':
      if (s.started) receive(s, out, event.message);
      break;
    case 'timeout':
      if (s.started) onTimeout(s, out, event.timeout);
      break;
    case 'value':
      if (s.started) onValue(s, out, event);
      break;
    case 'committed':
      if (s.started && s.awaitingCommit === event.height) onCommitted(s, out);
      break;
    case 'decided-block':
      if (s.started && s.awaitingCommit === undefined) onDecidedBlock(s, out, event.block, event.certificate);
      break;
    case 'schedule-committee':
      if (event.fromHeight <= s.height) {
        reject(out, 'OUT_OF_RANGE', 'a committee change must start at a future height');
      } else {
        s.schedule = scheduleCommittee(s.schedule, event.fromHeight, event.committee);
      }
      break;
  }
  progress(s, out);
  invariant(!out.signed || out.dirty, 'a signed message is sent only after a persist');
  const effects: Effect[] = [...out.decides];
  if (out.dirty) effects.push({ type: 'persist', record: walRecord(s) });
  effects.push(...out.sends, ...out.others);
  return { state: s, effects };
}

function cloneState(state: ConsensusState): MState {
  const rounds = new Map<number, RoundState>();
  for (const [r, rs] of state.rounds) {
    rounds.set(r, {
      proposals: rs.proposals.slice(),
      prevotes: new Map([...rs.prevotes].map(([k, v]) => [k, v.slice()])),
      precommits: new Map([...rs.precommits].map(([k, v]) => [k, v.slice()])),
      senders: new Set(rs.senders),
      fired34: rs.fired34,
      fired36: rs.fired36,
      fired47: rs.fired47,
    });
  }
  return {
    ...state,
    rounds,
    nextHeight: state.nextHeight.slice(),
    evidenceCount: new Map(state.evidenceCount),
  };
}

function committee(s: MState): Committee {
  return committeeAt(s.schedule, s.height);
}

function myIndex(s: MState): number | undefined {
  return indexOf(committee(s), s.config.publicKey);
}

function roundState(s: MState, r: number): RoundState {
  let rs = s.rounds.get(r);
  if (rs === undefined) {
    rs = {
      proposals: [],
      prevotes: new Map(),
      precommits: new Map(),
      senders: new Set(),
      fired34: false,
      fired36: false,
      fired47: false,
    };
    s.rounds.set(r, rs);
  }
  return rs;
}

function reject(out: Out, code: ErrorCode, reason: string, validator?: number): void {
  out.others.push({ type: 'rejected', code, reason, ...(validator === undefined ? {} : { validator }) });
}

function schedule(s: MState, out: Out, kind: TimeoutKind, round: number): void {
  const t = s.config.timeouts;
  const base =
    kind === 'propose' ? t.propose : kind === 'prevote' ? t.prevote : kind === 'precommit' ? t.precommit : 0;
  const afterTicks = kind === 'rebroadcast' ? t.rebroadcast : base + round * t.delta;
  out.others.push({ type: 'schedule-timeout', timeout: { kind, height: s.height, round }, afterTicks });
}

function hashKey(hash: Uint8Array | undefined): string {
  return hash === undefined ? 'nil' : toHex(hash);
}

/** valid(v) for the current height, memoised (lines 23, 29, 36, 50). */
function isValid(s: MState, block: Block): boolean {
  const key = toHex(blockHash(block));
  let v = s.validity.get(key);
  if (v === undefined) {
    v = isValidBlock(block, s.tip, committee(s), s.config.appValidity);
    s.validity.set(key, v);
  }
  return v;
}

// ── signing: the double-sign guard ─────────────────────────────────────────────────────────────────

/**
 * Refuses to sign at or below the last signed (height, round, step) unless it is the very same message
 * (CometBFT signing.md, "Double Signing"). A correct core never asks; if it does, stop rather than sign
 * something wrong (TigerBeetle; ARCHITECTURE.md D14).
 */
function guardSign(s: MState, key: SignedKey): 'sign' | 'resend' {
  if (s.lastSigned === undefined) return 'sign';
  const c = compareSignedKey(key, s.lastSigned);
  if (c > 0) return 'sign';
  if (c === 0) return 'resend';
  throw new OmegaError(
    'CONFLICTING_SIGNATURE',
    `refusing to sign (${key.height},${key.round},${key.step}) below the last signed key`,
  );
}

function signVote(s: MState, out: Out, type: VoteType, hash: Uint8Array | undefined): Vote | undefined {
  const me = myIndex(s);
  if (me === undefined) return undefined; // not a member of this height's committee: never signs
  const stepName: RoundStep = type === VoteType.prevote ? 'prevote' : 'precommit';
  const key: SignedKey = { height: s.height, round: s.round, step: stepName };
  const existing = type === VoteType.prevote ? s.own.prevote : s.own.precommit;
  if (guardSign(s, key) === 'resend') {
    if (existing === undefined || hashKey(existing.blockHash) !== hashKey(hash)) {
      throw new OmegaError(
        'CONFLICTING_SIGNATURE',
        `refusing a second, different ${stepName} in (${s.height},${s.round})`,
      );
    }
    return existing;
  }
  const unsigned = { type, height: s.height, round: s.round, blockHash: hash, validator: me };
  const vote: Vote = { ...unsigned, signature: s.config.sign(voteSignBytes(s.config.chainId, unsigned)) };
  s.lastSigned = key;
  s.own = type === VoteType.prevote ? { ...s.own, prevote: vote } : { ...s.own, precommit: vote };
  out.dirty = true;
  out.signed = true;
  return vote;
}

/** broadcast ⟨PREVOTE|PRECOMMIT, h_p, round_p, hash⟩, counting our own vote (broadcast includes self). */
function broadcastVote(s: MState, out: Out, type: VoteType, hash: Uint8Array | undefined): void {
  const vote = signVote(s, out, type, hash);
  if (vote === undefined) return;
  recordVote(s, out, vote);
  out.sends.push({ type: 'broadcast', message: { kind: 'vote', vote } });
}

function signProposal(s: MState, out: Out, block: Block, validRound: number): Proposal | undefined {
  const me = myIndex(s);
  if (me === undefined) return undefined;
  const key: SignedKey = { height: s.height, round: s.round, step: 'propose' };
  if (guardSign(s, key) === 'resend') {
    const existing = s.own.proposal;
    if (
      existing === undefined ||
      !equalBytes(blockHash(existing.block), blockHash(block)) ||
      existing.validRound !== validRound
    ) {
      throw new OmegaError(
        'CONFLICTING_SIGNATURE',
        `refusing a second, different proposal in (${s.height},${s.round})`,
      );
    }
    return existing;
  }
  const unsigned = { height: s.height, round: s.round, validRound, proposer: me };
  const signature = s.config.sign(
    proposalSignBytes(s.config.chainId, { ...unsigned, blockHash: blockHash(block) }),
  );
  const proposal: Proposal = { ...unsigned, block, signature };
  s.lastSigned = key;
  s.own = { ...s.own, proposal };
  out.dirty = true;
  out.signed = true;
  return proposal;
}

function broadcastProposal(s: MState, out: Out, block: Block, validRound: number): void {
  const proposal = signProposal(s, out, block, validRound);
  if (proposal === undefined) return;
  recordProposal(s, out, proposal);
  out.sends.push({ type: 'broadcast', message: { kind: 'proposal', proposal } });
  // Gossip: a re-proposal (vr ≥ 0) is only accepted with 2f+1 prevotes of round vr (line 28), so send
  // them along — receivers may never have seen that polka (hidden lock, Malachite #956 / PR #859).
  if (validRound >= 0) broadcastPolka(s, out, validRound, blockHash(block));
}

function broadcastPolka(s: MState, out: Out, round: number, hash: Uint8Array): void {
  const rs = s.rounds.get(round);
  if (rs === undefined) return;
  const key = toHex(hash);
  const votes = votesFor(rs.prevotes, key);
  if (votes.length > 0) out.sends.push({ type: 'broadcast', message: { kind: 'votes', votes } });
}

// ── StartRound (lines 11–21) ───────────────────────────────────────────────────────────────────────

function startRound(s: MState, out: Out, round: number): void {
  s.entry = entryJustification(s, round);
  s.round = round; // line 12
  s.step = 'propose'; // line 13
  s.own = {};
  s.awaitingValue = false;
  out.dirty = true;
  proposeIfProposer(s, out);
  // Line 21 schedules timeoutPropose for non-proposers; we schedule it for the proposer too, so a
  // proposer whose application never answers getValue() still moves on (the guard of line 58 makes the
  // extra timer harmless when the proposal went out).
  schedule(s, out, 'propose', round);
  schedule(s, out, 'rebroadcast', round);
}

/** The messages that justify entering `round`: 2f+1 precommits of round − 1, else this round's votes. */
function entryJustification(s: MState, round: number): Vote[] {
  if (round === 0) return [];
  const c = committee(s);
  const prev = s.rounds.get(round - 1);
  if (prev !== undefined && isQuorum(c, power(c, prev.precommits))) return votesFor(prev.precommits);
  const cur = s.rounds.get(round);
  if (cur === undefined) return [];
  return [...votesFor(cur.prevotes), ...votesFor(cur.precommits)];
}

function proposeIfProposer(s: MState, out: Out): void {
  const me = myIndex(s);
  if (me === undefined || proposerIndex(committee(s), s.height, s.round) !== me) return; // line 14
  if (s.valid !== undefined) {
    broadcastProposal(s, out, s.valid.block, s.valid.round); // lines 15–16, 19
  } else {
    s.awaitingValue = true; // line 18: getValue(), answered by a `value` event
    out.others.push({ type: 'get-value', height: s.height, round: s.round, tip: s.tip });
  }
}

function start(s: MState, out: Out): void {
  const resumed =
    s.own.proposal !== undefined || s.own.prevote !== undefined || s.own.precommit !== undefined;
  if (!resumed && s.step === 'propose') {
    const restoredEntry = s.entry;
    startRound(s, out, s.round); // line 10: upon start do StartRound(0) (or the restored round)
    if (s.entry.length === 0) s.entry = restoredEntry; // the votes behind it are gone after a restart
    return;
  }
  // Restart: re-send exactly what we signed in this round (never anything new for a lower step), and
  // re-arm the timers of the current step. Votes received before the crash come back through peers'
  // rebroadcasts.
  for (const m of ownMessages(s)) out.sends.push({ type: 'broadcast', message: m });
  if (s.own.proposal) recordProposal(s, out, s.own.proposal);
  if (s.own.prevote) recordVote(s, out, s.own.prevote);
  if (s.own.precommit) recordVote(s, out, s.own.precommit);
  if (s.step === 'propose') {
    if (s.own.proposal === undefined) proposeIfProposer(s, out);
    schedule(s, out, 'propose', s.round);
  }
  schedule(s, out, 'rebroadcast', s.round);
}

function ownMessages(s: MState): ConsensusMessage[] {
  const m: ConsensusMessage[] = [];
  if (s.own.proposal) m.push({ kind: 'proposal', proposal: s.own.proposal });
  if (s.own.prevote) m.push({ kind: 'vote', vote: s.own.prevote });
  if (s.own.precommit) m.push({ kind: 'vote', vote: s.own.precommit });
  return m;
}

// ── getValue answered ──────────────────────────────────────────────────────────────────────────────

function onValue(
  s: MState,
  out: Out,
  e: { height: number; round: number; requests: readonly Uint8Array[]; timeMs: number },
): void {
  if (e.height !== s.height || e.round !== s.round || s.step !== 'propose' || !s.awaitingValue) return;
  s.awaitingValue = false;
  const me = myIndex(s);
  invariant(me !== undefined, 'only a member awaits a value');
  // The batch limits bound a block; requests beyond them wait for a later block.
  const requests: Uint8Array[] = [];
  let bytes = 0;
  for (const q of e.requests) {
    if (requests.length >= CONSENSUS_LIMITS.maxBatchCount) break;
    if (!(q instanceof Uint8Array) || q.length > CONSENSUS_LIMITS.maxRequestBytes) continue;
    if (bytes + q.length > CONSENSUS_LIMITS.maxBatchBytes) break;
    bytes += q.length;
    requests.push(q);
  }
  // Block time is monotonic: at least one above the previous block's (validity, see checkBlock).
  const timeMs = Number.isSafeInteger(e.timeMs) && e.timeMs > s.tip.timeMs ? e.timeMs : s.tip.timeMs + 1;
  const block: Block = {
    header: { height: s.height, round: s.round, proposer: me, prevHash: s.tip.hash, timeMs },
    requests,
  };
  broadcastProposal(s, out, block, -1); // line 19
}

// ── receiving messages ─────────────────────────────────────────────────────────────────────────────

function receive(s: MState, out: Out, m: ConsensusMessage): void {
  if (s.awaitingCommit !== undefined && (m.kind === 'proposal' || m.kind === 'vote' || m.kind === 'votes')) {
    // Replayed (and verified) once the decided block is applied; bounded like the next-height buffer.
    if (s.nextHeight.length < CONSENSUS_LIMITS.maxBufferedNextHeight) s.nextHeight.push(m);
    return;
  }
  switch (m.kind) {
    case 'proposal':
      receiveProposal(s, out, m.proposal, m);
      break;
    case 'vote':
      receiveVote(s, out, m.vote, m);
      break;
    case 'votes':
      if (m.votes.length > CONSENSUS_LIMITS.maxCommitteeSize) {
        reject(out, 'LIMIT_EXCEEDED', 'vote bundle too large');
        return;
      }
      receiveBundle(s, out, m.votes);
      break;
    case 'sync-request':
    case 'sync-response':
      reject(out, 'INVALID_ARGUMENT', 'block sync messages are served by the runtime, not the core');
      break;
  }
}

/**
 * Messages of another height: heights are communication-closed (Malachite overview.md "Heights").
 * Older ones are dropped; the next height's are buffered (bounded); any verified message from a higher
 * height tells us a peer decided what we have not, so we ask it for blocks (block sync).
 */
function otherHeight(
  s: MState,
  out: Out,
  height: number,
  validator: number,
  sigOk: () => boolean,
  m: ConsensusMessage,
): void {
  if (height < s.height) return;
  const c = committeeAt(s.schedule, height);
  const member = c.members[validator];
  if (member === undefined) return;
  if (height === s.height + 1) {
    // The next height's messages are verified once, when replayed there; a hint from them is verified
    // only if the rebroadcast timer acts on it (a fast peer one height ahead is the common case).
    if (s.nextHeight.length < CONSENSUS_LIMITS.maxBufferedNextHeight) s.nextHeight.push(m);
    if (s.behind === undefined) s.behind = { height, peer: member.publicKey, unverified: m };
    return;
  }
  if (!sigOk()) return;
  if (s.behind === undefined || s.behind.height < height) s.behind = { height, peer: member.publicKey };
  // Two or more heights ahead: certainly lagging, ask now (once per round). One height ahead is normal
  // for a moment; the rebroadcast timer asks if we are still behind then.
  if (height >= s.height + 2) requestSync(s, out);
}

/**
 * Asks the peer that showed us a higher height for decided blocks from ours. Triggered at most once per
 * round by incoming messages, and on every rebroadcast tick while we are still behind (`force`), so a
 * lost request or response is retried.
 */
function requestSync(s: MState, out: Out, force = false): void {
  if (s.behind === undefined || (!force && s.syncRequestedRound === s.round)) return;
  if (s.behind.unverified !== undefined && !signatureOk(s, s.behind.unverified)) {
    s.behind = undefined;
    return;
  }
  s.syncRequestedRound = s.round;
  out.sends.push({
    type: 'send',
    to: s.behind.peer,
    message: { kind: 'sync-request', fromHeight: s.height, maxCount: CONSENSUS_LIMITS.maxSyncBlocks },
  });
  s.behind = undefined;
}

/** Checks the signature of a proposal or vote against the committee of its own height. */
function signatureOk(s: MState, m: ConsensusMessage): boolean {
  const chain = s.config.chainId;
  if (m.kind === 'proposal') {
    const p = m.proposal;
    const member = committeeAt(s.schedule, p.height).members[p.proposer];
    return (
      member !== undefined &&
      s.config.verify(
        member.publicKey,
        proposalSignBytes(chain, { ...p, blockHash: blockHash(p.block) }),
        p.signature,
      )
    );
  }
  if (m.kind === 'vote') {
    const v = m.vote;
    const member = committeeAt(s.schedule, v.height).members[v.validator];
    return member !== undefined && s.config.verify(member.publicKey, voteSignBytes(chain, v), v.signature);
  }
  return false;
}

function inWindow(s: MState, out: Out, round: number, validator: number): boolean {
  if (round > s.round + CONSENSUS_LIMITS.maxRoundsAhead) {
    reject(out, 'LIMIT_EXCEEDED', `round ${round} is too far ahead of ${s.round}`, validator);
    return false;
  }
  return true;
}

function receiveProposal(s: MState, out: Out, p: Proposal, m: ConsensusMessage): void {
  const verifySig = (c: Committee): boolean => {
    const member = c.members[p.proposer];
    return (
      member !== undefined &&
      s.config.verify(
        member.publicKey,
        proposalSignBytes(s.config.chainId, { ...p, blockHash: blockHash(p.block) }),
        p.signature,
      )
    );
  };
  if (p.height !== s.height) {
    otherHeight(s, out, p.height, p.proposer, () => verifySig(committeeAt(s.schedule, p.height)), m);
    return;
  }
  const c = committee(s);
  if (p.proposer !== proposerIndex(c, p.height, p.round)) {
    reject(
      out,
      'NOT_PROPOSER',
      `validator ${p.proposer} is not the proposer of round ${p.round}`,
      p.proposer,
    );
    return;
  }
  if (p.validRound < -1 || p.validRound >= p.round) {
    reject(out, 'OUT_OF_RANGE', 'valid round must be in [-1, round)', p.proposer);
    return;
  }
  if (!inWindow(s, out, p.round, p.proposer)) return;
  if (!verifySig(c)) {
    reject(out, 'BAD_SIGNATURE', 'proposal signature does not verify', p.proposer);
    return;
  }
  recordProposal(s, out, p);
}

function recordProposal(s: MState, out: Out, p: Proposal): void {
  const rs = roundState(s, p.round);
  rs.senders.add(p.proposer);
  const hash = blockHash(p.block);
  const first = rs.proposals[0];
  for (const q of rs.proposals) {
    if (q.validRound === p.validRound && equalBytes(blockHash(q.block), hash)) return; // duplicate
  }
  if (first !== undefined) addEvidence(s, out, p.proposer, { kind: 'proposal', first, second: p });
  // Keep a bounded number of conflicting proposals: line 49 must be able to decide a value that 2f+1
  // precommitted even if its proposal was not the first one we saw.
  if (rs.proposals.length < CONSENSUS_LIMITS.maxProposalsPerRound) rs.proposals.push(p);
}

function receiveVote(s: MState, out: Out, v: Vote, m: ConsensusMessage): void {
  if (checkVote(s, out, v, m) === 'new') recordVote(s, out, v);
}

/**
 * A vote bundle (a polka or a round's votes, relayed). Votes of one (round, type, value) whose
 * authentic signers hold a quorum form a certificate and are recorded as `certified`.
 */
function receiveBundle(s: MState, out: Out, votes: readonly Vote[]): void {
  const status = votes.map((v) => checkVote(s, out, v, { kind: 'vote', vote: v }));
  const groups = new Map<string, Set<number>>();
  votes.forEach((v, i) => {
    if (status[i] === 'bad' || v.height !== s.height) return;
    const g = `${v.round}/${v.type}/${hashKey(v.blockHash)}`;
    let set = groups.get(g);
    if (set === undefined) groups.set(g, (set = new Set()));
    set.add(v.validator);
  });
  const c = committee(s);
  votes.forEach((v, i) => {
    if (status[i] !== 'new') return;
    const set = groups.get(`${v.round}/${v.type}/${hashKey(v.blockHash)}`)!;
    let p = 0;
    for (const x of set) p += c.members[x]!.power;
    recordVote(s, out, v, isQuorum(c, p));
  });
}

/** Checks a vote of any height: 'new' (verified, to record), 'known' (already recorded) or 'bad'. */
function checkVote(s: MState, out: Out, v: Vote, m: ConsensusMessage): 'new' | 'known' | 'bad' {
  const verifySig = (c: Committee): boolean => {
    const member = c.members[v.validator];
    return (
      member !== undefined &&
      s.config.verify(member.publicKey, voteSignBytes(s.config.chainId, v), v.signature)
    );
  };
  if (v.height !== s.height) {
    otherHeight(s, out, v.height, v.validator, () => verifySig(committeeAt(s.schedule, v.height)), m);
    return 'bad';
  }
  const c = committee(s);
  if (c.members[v.validator] === undefined) {
    reject(out, 'UNKNOWN_VALIDATOR', `validator ${v.validator} is not a member`, v.validator);
    return 'bad';
  }
  if (!inWindow(s, out, v.round, v.validator)) return 'bad';
  const rs = s.rounds.get(v.round);
  const slots = (v.type === VoteType.prevote ? rs?.prevotes : rs?.precommits)?.get(v.validator);
  const key = hashKey(v.blockHash);
  if (slots?.some((cv) => cv.key === key)) return 'known'; // duplicate: skip the verify
  if (!verifySig(c)) {
    reject(out, 'BAD_SIGNATURE', 'vote signature does not verify', v.validator);
    return 'bad';
  }
  return 'new';
}

/**
 * Records a verified vote. `certified` marks a vote that arrived in a bundle holding 2f+1 signed votes
 * for its value (a polka or commit certificate): it is kept even when the sender's slots are full, since
 * at most one value per round and type can be certified while at most f members are faulty, so this does
 * not open a memory hole, and it defeats an equivocator that fills our slots before the certificate comes.
 */
function recordVote(s: MState, out: Out, v: Vote, certified = false): void {
  const rs = roundState(s, v.round);
  const map = v.type === VoteType.prevote ? rs.prevotes : rs.precommits;
  rs.senders.add(v.validator);
  const key = hashKey(v.blockHash);
  const slots = map.get(v.validator);
  if (slots === undefined) {
    map.set(v.validator, [{ vote: v, key }]);
    return;
  }
  if (slots.some((cv) => cv.key === key)) return;
  addEvidence(s, out, v.validator, { kind: 'vote', first: slots[0]!.vote, second: v });
  if (slots.length < CONSENSUS_LIMITS.maxVotesPerSender) slots.push({ vote: v, key });
  else if (certified) slots[slots.length - 1] = { vote: v, key };
}

/** The votes (one per sender) for `key`, or every sender's first vote when `key` is undefined. */
function votesFor(map: ReadonlyMap<number, readonly CountedVote[]>, key?: string): Vote[] {
  const out: Vote[] = [];
  for (const slots of map.values()) {
    const cv = key === undefined ? slots[0] : slots.find((x) => x.key === key);
    if (cv !== undefined) out.push(cv.vote);
  }
  return out;
}

function addEvidence(s: MState, out: Out, validator: number, evidence: Evidence): void {
  const n = s.evidenceCount.get(validator) ?? 0;
  s.evidenceCount.set(validator, n + 1);
  if (n < CONSENSUS_LIMITS.maxEvidencePerSender) out.others.push({ type: 'evidence', evidence });
}

// ── timeouts (lines 57–67) and the rebroadcast timer ───────────────────────────────────────────────

function onTimeout(s: MState, out: Out, t: Timeout): void {
  if (t.height !== s.height || t.round !== s.round) return; // lines 58, 62, 66: stale timers do nothing
  switch (t.kind) {
    case 'propose':
      if (s.step === 'propose') {
        broadcastVote(s, out, VoteType.prevote, undefined); // line 59
        s.step = 'prevote'; // line 60
        s.awaitingValue = false;
        out.dirty = true;
      }
      break;
    case 'prevote':
      if (s.step === 'prevote') {
        broadcastVote(s, out, VoteType.precommit, undefined); // line 63
        s.step = 'precommit'; // line 64
        out.dirty = true;
      }
      break;
    case 'precommit':
      startRound(s, out, s.round + 1); // line 67
      break;
    case 'rebroadcast':
      rebroadcast(s, out);
      schedule(s, out, 'rebroadcast', s.round);
      break;
  }
}

/**
 * The gossip property (arXiv 1807.04938 §2, Malachite overview.md "Network", PRs #1032/#1033): on a timer,
 * re-send this round's own proposal and votes, relay the round's proposal, and re-send the polka that
 * justifies our valid value, so that what one correct replica received every correct replica eventually
 * receives even over lossy point-to-point links.
 */
function rebroadcast(s: MState, out: Out): void {
  for (const m of ownMessages(s)) out.sends.push({ type: 'broadcast', message: m });
  // Relay the round's entry justification (Malachite RoundSync, PRs #1032/#1033): the precommits of the
  // previous round (2f+1 of them if we left it by timeoutPrecommit, line 67) and the votes of this round
  // (f+1 senders if we skipped here, line 55). Without it a replica whose copy of one precommit was lost
  // waits in the old round forever while the others wait for it in the new one.
  const relay: Vote[] = [...s.entry];
  const prev = s.rounds.get(s.round - 1);
  if (prev !== undefined)
    for (const slots of prev.precommits.values()) relay.push(...slots.map((cv) => cv.vote));
  const cur = s.rounds.get(s.round);
  if (cur !== undefined) {
    for (const slots of cur.prevotes.values()) relay.push(...slots.map((cv) => cv.vote));
    for (const slots of cur.precommits.values()) relay.push(...slots.map((cv) => cv.vote));
  }
  for (let i = 0; i < relay.length; i += CONSENSUS_LIMITS.maxCommitteeSize) {
    out.sends.push({
      type: 'broadcast',
      message: { kind: 'votes', votes: relay.slice(i, i + CONSENSUS_LIMITS.maxCommitteeSize) },
    });
  }
  const p = s.rounds.get(s.round)?.proposals[0];
  if (p !== undefined && s.own.proposal === undefined)
    out.sends.push({ type: 'broadcast', message: { kind: 'proposal', proposal: p } });
  if (s.valid !== undefined) broadcastPolka(s, out, s.valid.round, blockHash(s.valid.block));
  requestSync(s, out, true);
}

// ── block sync ─────────────────────────────────────────────────────────────────────────────────────

function onDecidedBlock(s: MState, out: Out, block: Block, cert: Certificate): void {
  if (block.header.height !== s.height) return; // the runtime feeds blocks in order; others are stale
  try {
    verifyDecidedBlock(
      s.config.chainId,
      committee(s),
      s.tip,
      block,
      cert,
      s.config.verify,
      s.config.appValidity,
    );
  } catch (e) {
    if (!isOmegaError(e)) throw e;
    reject(out, e.code, `synced block: ${e.message}`, e.culprits[0]);
    return;
  }
  decide(s, out, block, cert);
}

// ── the upon-rules ─────────────────────────────────────────────────────────────────────────────────

/** Applies upon-rules until none fires (each rule changes state or sets its once-flag, so this ends). */
function progress(s: MState, out: Out): void {
  if (!s.started || s.awaitingCommit !== undefined) return;
  for (let guard = 0; guard < 10_000; guard++) {
    if (s.awaitingCommit !== undefined) return;
    if (tryDecide(s, out) || trySkipRound(s, out) || tryCurrentRound(s, out)) continue;
    return;
  }
  invariant(false, 'upon-rules did not reach a fixpoint');
}

/** Voting power of the senders with a vote for `key` (or of all senders when `key` is undefined). */
function power(c: Committee, map: ReadonlyMap<number, readonly CountedVote[]>, key?: string): number {
  let p = 0;
  for (const [validator, slots] of map) {
    if (key === undefined || slots.some((cv) => cv.key === key)) p += c.members[validator]!.power;
  }
  return p;
}

/** Lines 49–54, for any round r of this height: past, current or future (overview.md "Exit Conditions"). */
function tryDecide(s: MState, out: Out): boolean {
  const c = committee(s);
  for (const [r, rs] of s.rounds) {
    for (const p of rs.proposals) {
      const hash = blockHash(p.block);
      const key = toHex(hash);
      if (!isQuorum(c, power(c, rs.precommits, key))) continue;
      if (!isValid(s, p.block)) continue; // line 50
      const signatures = votesFor(rs.precommits, key)
        .map((v) => ({ validator: v.validator, signature: v.signature }))
        .sort((a, b) => a.validator - b.validator);
      decide(s, out, p.block, { height: s.height, round: r, blockHash: hash, signatures });
      return true;
    }
  }
  return false;
}

function decide(s: MState, out: Out, block: Block, certificate: Certificate): void {
  out.decides.push({ type: 'decide', block, certificate }); // line 51
  s.tip = { height: s.height, hash: blockHash(block), timeMs: block.header.timeMs };
  s.height += 1; // line 52
  s.locked = undefined; // line 53
  s.valid = undefined;
  s.rounds = new Map();
  s.evidenceCount = new Map();
  s.validity = new Map();
  s.syncRequestedRound = -1;
  if (s.behind !== undefined && s.behind.height <= s.height) s.behind = undefined;
  s.round = 0;
  s.step = 'propose';
  s.own = {};
  s.entry = [];
  s.awaitingValue = false;
  out.dirty = true;
  // Line 54 (StartRound(0)) waits for the runtime's `committed` event: see onCommitted.
  s.awaitingCommit = s.tip.height;
}

/** The decided block is applied: line 54, StartRound(0), then the buffered messages of the new height. */
function onCommitted(s: MState, out: Out): void {
  s.awaitingCommit = undefined;
  const buffered = s.nextHeight;
  s.nextHeight = [];
  startRound(s, out, 0); // line 54
  for (const m of buffered) receive(s, out, m);
}

/** Line 55: f+1 (by power) of messages from a higher round of this height → StartRound(that round). */
function trySkipRound(s: MState, out: Out): boolean {
  const c = committee(s);
  let target = -1;
  for (const [r, rs] of s.rounds) {
    if (r <= s.round || r <= target) continue;
    let p = 0;
    for (const v of rs.senders) p += c.members[v]!.power;
    if (isOneCorrect(c, p)) target = r;
  }
  if (target < 0) return false;
  startRound(s, out, target);
  return true;
}

function tryCurrentRound(s: MState, out: Out): boolean {
  const c = committee(s);
  const rs = s.rounds.get(s.round);
  if (rs === undefined) return false;
  const p = rs.proposals[0];

  if (s.step === 'propose' && p !== undefined) {
    const id = blockHash(p.block);
    if (p.validRound === -1) {
      // Lines 22–27.
      const ok = isValid(s, p.block) && (s.locked === undefined || equalBytes(blockHash(s.locked.block), id));
      broadcastVote(s, out, VoteType.prevote, ok ? id : undefined);
      s.step = 'prevote';
      out.dirty = true;
      return true;
    }
    const vrs = s.rounds.get(p.validRound);
    if (p.validRound < s.round && vrs !== undefined && isQuorum(c, power(c, vrs.prevotes, toHex(id)))) {
      // Lines 28–33.
      const ok =
        isValid(s, p.block) &&
        (s.locked === undefined ||
          s.locked.round <= p.validRound ||
          equalBytes(blockHash(s.locked.block), id));
      broadcastVote(s, out, VoteType.prevote, ok ? id : undefined);
      s.step = 'prevote';
      out.dirty = true;
      return true;
    }
  }

  if (s.step === 'prevote' && !rs.fired34 && isQuorum(c, power(c, rs.prevotes))) {
    rs.fired34 = true; // lines 34–35
    schedule(s, out, 'prevote', s.round);
    return true;
  }

  if (s.step !== 'propose' && !rs.fired36) {
    for (const q of rs.proposals) {
      const id = blockHash(q.block);
      if (!isQuorum(c, power(c, rs.prevotes, toHex(id))) || !isValid(s, q.block)) continue;
      rs.fired36 = true; // lines 36–43
      if (s.step === 'prevote') {
        s.locked = { round: s.round, block: q.block }; // lines 38–39
        broadcastVote(s, out, VoteType.precommit, id); // line 40
        s.step = 'precommit'; // line 41
        // Gossip: broadcast the polka we locked on (Malachite PR #997), so every correct replica can
        // update its valid value and accept a later re-proposal of it (line 28).
        broadcastPolka(s, out, s.round, id);
      }
      s.valid = { round: s.round, block: q.block }; // lines 42–43
      out.dirty = true;
      return true;
    }
  }

  if (s.step === 'prevote' && isQuorum(c, power(c, rs.prevotes, 'nil'))) {
    broadcastVote(s, out, VoteType.precommit, undefined); // lines 44–46
    s.step = 'precommit';
    out.dirty = true;
    return true;
  }

  if (!rs.fired47 && isQuorum(c, power(c, rs.precommits))) {
    rs.fired47 = true; // lines 47–48
    schedule(s, out, 'precommit', s.round);
    return true;
  }
  return false;
}
