/**
 * The write-ahead record of a replica's *safety state*: what it must never forget across a crash
 * (research/protocol-design.md §1.2 "Amnesia after a crash"; CometBFT spec/consensus/signing.md and
 * wal.md). It holds the last signed (height, round, step), the lock and valid values, and the signed
 * messages of the current round (so a restarted replica re-sends exactly what it signed, never a
 * conflicting one). Received votes are not in it: they are re-obtained from peers' rebroadcasts.
 */
import type { Reader } from '../../codec.js';
import { Writer, decodeAll } from '../../codec.js';
import { OmegaError } from '../../errors.js';
import { CONSENSUS_LIMITS } from './limits.js';
import {
  type Block,
  type Proposal,
  type Vote,
  readBlock,
  readProposal,
  readVote,
  writeBlock,
  writeProposal,
  writeVote,
} from './messages.js';

/** The round step (pseudo-code line 4); ordered propose < prevote < precommit. */
export type RoundStep = 'propose' | 'prevote' | 'precommit';
export const STEP_ORDER: Readonly<Record<RoundStep, number>> = { propose: 0, prevote: 1, precommit: 2 };
const STEPS: readonly RoundStep[] = ['propose', 'prevote', 'precommit'];

/** (height, round, step) of the last message this replica signed: the double-sign guard. */
export interface SignedKey {
  readonly height: number;
  readonly round: number;
  readonly step: RoundStep;
}

/** Compares two signed keys lexicographically: negative if a < b. */
export function compareSignedKey(a: SignedKey, b: SignedKey): number {
  return a.height - b.height || a.round - b.round || STEP_ORDER[a.step] - STEP_ORDER[b.step];
}

export interface RoundValue {
  readonly round: number;
  readonly block: Block;
}

/** The messages this replica signed in round `round` of height `height`. */
export interface OwnSigned {
  readonly proposal?: Proposal;
  readonly prevote?: Vote;
  readonly precommit?: Vote;
}

export interface WalRecord {
  readonly height: number;
  readonly round: number;
  readonly step: RoundStep;
  /** lockedValue/lockedRound (lines 6–7, 38–39); undefined means nil / −1. */
  readonly locked: RoundValue | undefined;
  /** validValue/validRound (lines 8–9, 42–43). */
  readonly valid: RoundValue | undefined;
  readonly lastSigned: SignedKey | undefined;
  readonly own: OwnSigned;
  /**
   * Why this replica is in `round`: the 2f+1 precommits of round − 1 (left by timeoutPrecommit, line 67)
   * or the f+1 messages of `round` (line 55). Relayed by the rebroadcast timer, and persisted so that a
   * restarted replica can still bring the others into its round (found by the simulator).
   */
  readonly entry: readonly Vote[];
}

const WAL_VERSION = 1;

function writeKey(w: Writer, k: SignedKey): void {
  w.u64(k.height).u32(k.round).u8(STEP_ORDER[k.step]);
}

function readStep(r: Reader): RoundStep {
  const s = STEPS[r.u8()];
  if (s === undefined) throw new OmegaError('INVALID_ENCODING', 'unknown round step');
  return s;
}

function writeRoundValue(w: Writer, v: RoundValue): void {
  w.u32(v.round);
  writeBlock(w, v.block);
}

/** Canonical bytes of a WAL record (what the runtime writes and fsyncs). */
export function encodeWal(rec: WalRecord): Uint8Array {
  const w = new Writer();
  w.u8(WAL_VERSION).u64(rec.height).u32(rec.round).u8(STEP_ORDER[rec.step]);
  w.optional(rec.locked, writeRoundValue);
  w.optional(rec.valid, writeRoundValue);
  w.optional(rec.lastSigned, writeKey);
  w.optional(rec.own.proposal, writeProposal);
  w.optional(rec.own.prevote, writeVote);
  w.optional(rec.own.precommit, writeVote);
  w.array(rec.entry, writeVote);
  return w.finish();
}

/** Strict decoder of {@link encodeWal}; a corrupt record is an OmegaError, never a guess. */
export function decodeWal(bytes: Uint8Array): WalRecord {
  return decodeAll(bytes, (r) => {
    const version = r.u8();
    if (version !== WAL_VERSION) throw new OmegaError('INVALID_ENCODING', `unknown WAL version ${version}`);
    const height = r.u64Number();
    const round = r.u32();
    const step = readStep(r);
    const readRV = (r2: Reader): RoundValue => ({ round: r2.u32(), block: readBlock(r2) });
    const locked = r.optional(readRV);
    const valid = r.optional(readRV);
    const lastSigned = r.optional((r2) => ({ height: r2.u64Number(), round: r2.u32(), step: readStep(r2) }));
    const proposal = r.optional(readProposal);
    const prevote = r.optional(readVote);
    const precommit = r.optional(readVote);
    const entry = r.array(2 * CONSENSUS_LIMITS.maxCommitteeSize, readVote);
    const own: OwnSigned = {
      ...(proposal ? { proposal } : {}),
      ...(prevote ? { prevote } : {}),
      ...(precommit ? { precommit } : {}),
    };
    return { height, round, step, locked, valid, lastSigned, own, entry };
  });
}
