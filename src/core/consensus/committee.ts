/**
 * The committee of a height as data: members with Ed25519 public keys and voting power (Malachite
 * overview.md, "Voting power"). Quorums are computed by voting power, never by head count, and the
 * committee may differ from one height to the next (a later issue changes membership at a height
 * boundary through {@link CommitteeSchedule}).
 */
import { OmegaError, invariant } from '../../errors.js';
import { equalBytes, toHex } from '../../crypto/bytes.js';
import { CONSENSUS_LIMITS } from './limits.js';

/** Raw Ed25519 public key length (RFC 8032 §5.1.5). */
export const PUBLIC_KEY_BYTES = 32;
/** Ed25519 signature length (RFC 8032 §5.1.6). */
export const SIGNATURE_BYTES = 64;

export interface Member {
  /** Raw 32-byte Ed25519 public key: the member's identity in every signed consensus message. */
  readonly publicKey: Uint8Array;
  /** Voting power, an integer in [1, maxMemberPower]. */
  readonly power: number;
}

/**
 * An ordered committee. A member's *validator index* is its position here; messages name their signer by
 * index, so the order is part of the data every replica must agree on.
 */
export interface Committee {
  readonly members: readonly Member[];
  readonly totalPower: number;
  /** Hex public key → validator index, for lookups by identity. */
  readonly indexByKey: ReadonlyMap<string, number>;
}

/**
 * Validates and builds a committee: 1..maxCommitteeSize members, 32-byte keys without duplicates,
 * integer powers in [1, maxMemberPower].
 *
 * @example
 * const committee = makeCommittee(keys.map((publicKey) => ({ publicKey, power: 1 })));
 */
export function makeCommittee(members: readonly Member[]): Committee {
  const count: unknown = (members as { length?: unknown } | undefined)?.length;
  if (typeof count !== 'number' || count === 0 || count > CONSENSUS_LIMITS.maxCommitteeSize) {
    throw new OmegaError(
      'OUT_OF_RANGE',
      `a committee has 1..${CONSENSUS_LIMITS.maxCommitteeSize} members, got ${String(count)}`,
    );
  }
  const indexByKey = new Map<string, number>();
  let totalPower = 0;
  const copy: Member[] = [];
  members.forEach((m, i) => {
    if (!(m.publicKey instanceof Uint8Array) || m.publicKey.length !== PUBLIC_KEY_BYTES) {
      throw new OmegaError('INVALID_LENGTH', `member ${i}: public key must be ${PUBLIC_KEY_BYTES} bytes`);
    }
    if (!Number.isInteger(m.power) || m.power < 1 || m.power > CONSENSUS_LIMITS.maxMemberPower) {
      throw new OmegaError(
        'OUT_OF_RANGE',
        `member ${i}: voting power must be in [1, ${CONSENSUS_LIMITS.maxMemberPower}]`,
      );
    }
    const key = toHex(m.publicKey);
    if (indexByKey.has(key)) throw new OmegaError('INVALID_ARGUMENT', `member ${i}: duplicate public key`);
    indexByKey.set(key, i);
    totalPower += m.power;
    copy.push({ publicKey: m.publicKey.slice(), power: m.power });
  });
  return { members: copy, totalPower, indexByKey };
}

/**
 * True if `power` is a Byzantine quorum, "2f+1": strictly more than two thirds of the total power, so any
 * two quorums intersect in more than a third, hence in a correct member (arXiv 1807.04938 §2).
 */
export function isQuorum(committee: Committee, power: number): boolean {
  return 3 * power > 2 * committee.totalPower;
}

/** True if `power` is "f+1": strictly more than a third of the total power, so it includes a correct member. */
export function isOneCorrect(committee: Committee, power: number): boolean {
  return 3 * power > committee.totalPower;
}

/** The largest power the Byzantine members may hold: f with n = 3f+1 (by power). */
export function maxFaultyPower(committee: Committee): number {
  return Math.floor((committee.totalPower - 1) / 3);
}

/**
 * proposer(h, r): weighted round robin. Slot (h + r) mod totalPower falls into the member whose
 * cumulative power range contains it, so every member proposes in some round of every height (the
 * correctness condition of Malachite overview.md "Proposer Selection") and round-0 turns are
 * proportional to power over a sequence of heights (fairness). With equal powers this is (h + r) mod n.
 * A pure function of (committee, h, r): every correct replica computes the same proposer.
 */
export function proposerIndex(committee: Committee, height: number, round: number): number {
  const slot = (height + round) % committee.totalPower;
  let acc = 0;
  for (let i = 0; i < committee.members.length; i++) {
    acc += committee.members[i]!.power;
    if (slot < acc) return i;
  }
  invariant(false, 'proposer slot is below the total power');
}

/** The validator index of `publicKey` in `committee`, or undefined if it is not a member. */
export function indexOf(committee: Committee, publicKey: Uint8Array): number | undefined {
  return committee.indexByKey.get(toHex(publicKey));
}

/** Whether two committees have the same members, order and powers. */
export function sameCommittee(a: Committee, b: Committee): boolean {
  if (a.members.length !== b.members.length) return false;
  return a.members.every(
    (m, i) => m.power === b.members[i]!.power && equalBytes(m.publicKey, b.members[i]!.publicKey),
  );
}

/**
 * Committees by height: entry i applies from `fromHeight` up to the next entry's `fromHeight` − 1. The
 * first entry starts at height 1. Membership changes only at a height boundary, so every message of one
 * height is judged against one committee.
 */
export type CommitteeSchedule = readonly { readonly fromHeight: number; readonly committee: Committee }[];

/** A schedule with one committee for every height. */
export function fixedSchedule(committee: Committee): CommitteeSchedule {
  return [{ fromHeight: 1, committee }];
}

/** The committee that runs `height`. */
export function committeeAt(schedule: CommitteeSchedule, height: number): Committee {
  invariant(schedule.length > 0 && schedule[0]!.fromHeight === 1, 'a schedule starts at height 1');
  let found = schedule[0]!.committee;
  for (const entry of schedule) {
    if (entry.fromHeight <= height) found = entry.committee;
    else break;
  }
  return found;
}

/**
 * Adds a committee from `fromHeight` on. It must start after every existing entry (a committee, once in
 * force for a height, is never rewritten: messages already judged against it stay judged).
 */
export function scheduleCommittee(
  schedule: CommitteeSchedule,
  fromHeight: number,
  committee: Committee,
): CommitteeSchedule {
  const last = schedule[schedule.length - 1];
  if (!Number.isSafeInteger(fromHeight) || last === undefined || fromHeight <= last.fromHeight) {
    throw new OmegaError('OUT_OF_RANGE', 'a new committee must start after the last scheduled one');
  }
  return [...schedule, { fromHeight, committee }];
}
