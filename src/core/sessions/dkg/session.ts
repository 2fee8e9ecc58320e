/**
 * The replicated side of one Log-DKG session (research/protocol-design.md §2.2; docs/dkg.md): a
 * deterministic state machine driven by decided blocks. Every replica applies the same transactions in
 * the same order with the same block times, so every replica reaches the same candidate set, the same
 * verdicts on complaints, the same QUAL and the same public keys — agreement on QUAL comes from the log
 * (Kate–Huang–Goldberg, "DKG in the Wild"), not from timeouts.
 *
 * Phases (block time drives them; `onBlock` is called before each block's transactions):
 *
 *   waiting-for-members  until all n EPOCH_KEYs are in (Scribe §3.2 "critical mass"; no deadline)
 *   dealing              from that block B_m: DEALs accepted while blockTime < B_m.time + dealingWindowMs;
 *                        the first 2t+1 structurally valid deals in log order are the candidates;
 *                        the window closing first aborts the session
 *   complaints           from the block B_c that completes the candidate set: COMPLAINTs accepted while
 *                        blockTime < B_c.time + complaintWindowMs
 *   done | aborted       at the first block at or past that deadline: QUAL = candidates not
 *                        disqualified; |QUAL| >= t+1 gives 'done' and the three public keys, else 'aborted'
 *
 * Every `apply*` validates everything first and mutates last: a rejected transaction throws an
 * OmegaError with a stable code (naming the sender in `culprits` when it is at fault) and leaves the
 * session untouched. Secrets never enter this class: it holds public keys, commitments and ciphertexts.
 */
import { Reader, Writer } from '../../../codec.js';
import type { BlsBackend } from '../../../crypto/bls/backend.js';
import type { ThresholdPublicKey } from '../../../crypto/bls/threshold.js';
import { thresholdKeyFromCommitments } from '../../../crypto/bls/threshold.js';
import { equalBytes } from '../../../crypto/bytes.js';
import { shareIndex } from '../../../crypto/field.js';
import type { EdPoint } from '../../../crypto/group.js';
import { ED25519, RISTRETTO255 } from '../../../crypto/group.js';
import { decryptWithDisclosure } from '../../../crypto/share-encryption.js';
import { checkCommitments, publicShare } from '../../../crypto/vss.js';
import { OmegaError, invariant, isOmegaError } from '../../../errors.js';
import type { CheckedDeal } from './deal.js';
import { badKeyShares, checkDeal, dealEncryptionContext, parseSharePlaintext } from './deal.js';
import type { ComplaintMessage } from './messages.js';
import { decodeComplaint, decodeDeal, decodeEpochKey } from './messages.js';
import type { DkgParams } from './params.js';
import { DKG_LIMITS, checkParams, dkgSessionId, readParams, writeParams } from './params.js';

export type DkgPhase = 'waiting-for-members' | 'dealing' | 'complaints' | 'done' | 'aborted';

/** A decided block as the session sees it: its height and its (agreed) block time. */
export interface DkgBlock {
  readonly height: number;
  readonly timeMs: number;
}

/** The public outcome of a successful session. */
export interface DkgResult {
  /** The qualified dealers, ascending. */
  readonly qual: readonly number[];
  /** Threshold BLS min-sig key for reply signatures (G2, public shares for 1..n). */
  readonly signing: ThresholdPublicKey;
  /** Threshold BLS master key for IBE only (G2). */
  readonly ibe: ThresholdPublicKey;
  /** FROST(Ed25519) key: aggregated commitments C_0..C_t and public shares for 1..n (32 B each). */
  readonly certificate: {
    readonly threshold: number;
    readonly publicKey: Uint8Array;
    readonly commitments: readonly Uint8Array[];
    readonly publicShares: readonly Uint8Array[];
  };
}

/** The adjudication of an accepted complaint (both outcomes are recorded in the state). */
export type ComplaintVerdict =
  | { readonly outcome: 'dealer-disqualified'; readonly dealer: number; readonly reason: string }
  | { readonly outcome: 'complainer-flagged'; readonly member: number; readonly reason: string };

/** Where a session stands, for `omega status` and the runtime's timers. */
export interface DkgProgress {
  readonly phase: DkgPhase;
  readonly epochKeys: number;
  readonly candidates: number;
  /** Block time at which dealing closes (once all epoch keys are in). */
  readonly dealingDeadlineMs?: number;
  /** Block time at which complaints close (once the candidate set is full). */
  readonly complaintDeadlineMs?: number;
  /** Height of the block that fixed QUAL (done) or aborted the session. */
  readonly closedAtHeight?: number;
  readonly abortReason?: string;
}

interface Candidate {
  readonly dealer: number;
  /** The deal body as it was in the log (kept: restart recomputes shares from it). */
  readonly body: Uint8Array;
  readonly deal: CheckedDeal;
}

const PHASES: readonly DkgPhase[] = ['waiting-for-members', 'dealing', 'complaints', 'done', 'aborted'];
const SNAPSHOT_VERSION = 1;

function checkBlock(block: DkgBlock): void {
  if (
    typeof block !== 'object' ||
    block === null ||
    !Number.isSafeInteger(block.height) ||
    block.height < 0 ||
    !Number.isSafeInteger(block.timeMs) ||
    block.timeMs < 0
  ) {
    throw new OmegaError('INVALID_ARGUMENT', 'block must be { height, timeMs } with integers >= 0');
  }
}

/** Runs a decoder on a sender's body, naming the sender if the body is malformed. */
function decodeFrom<T>(from: number, what: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (!isOmegaError(e)) throw e;
    throw new OmegaError(e.code, `${what} from ${from}: ${e.message}`, { culprits: [from], cause: e });
  }
}

/** One Log-DKG session's replicated state. See the module comment. */
export class DkgSession {
  readonly sessionId: Uint8Array;
  private readonly n: number;
  private readonly t: number;
  private phaseValue: DkgPhase = 'waiting-for-members';
  private readonly keys: (Uint8Array | undefined)[];
  private membersCompleteAt: DkgBlock | undefined;
  private readonly candidateList: Candidate[] = [];
  private candidatesFullAt: DkgBlock | undefined;
  private readonly disq: { dealer: number; reason: string }[] = [];
  private readonly flags: { member: number; reason: string }[] = [];
  /** Accepted complaints (complainer, dealer) in log order: one per pair. */
  private readonly complaintLog: { complainer: number; dealer: number }[] = [];
  private lastBlock: DkgBlock | undefined;
  private closedAt: DkgBlock | undefined;
  private abortReasonValue: string | undefined;
  private resultValue: DkgResult | undefined;

  private constructor(
    readonly params: DkgParams,
    /** The BLS backend every G2 operation of the session runs on (mcl by default). */
    readonly backend: BlsBackend,
  ) {
    this.sessionId = dkgSessionId(params);
    this.n = params.committee.length;
    this.t = params.threshold;
    this.keys = new Array<Uint8Array | undefined>(this.n).fill(undefined);
  }

  /** Starts a session in 'waiting-for-members'. Throws INVALID_ARGUMENT/OUT_OF_RANGE on bad params. */
  static start(params: DkgParams, backend: BlsBackend): DkgSession {
    checkParams(params);
    const copy: DkgParams = { ...params, committee: params.committee.map((k) => k.slice()) };
    return new DkgSession(Object.freeze(copy), backend);
  }

  get phase(): DkgPhase {
    return this.phaseValue;
  }

  /** Epoch public keys by index-1 (undefined until posted). */
  epochKeys(): readonly (Uint8Array | undefined)[] {
    return this.keys.map((k) => k?.slice());
  }

  /** Candidate dealers in log order. */
  candidates(): readonly number[] {
    return this.candidateList.map((c) => c.dealer);
  }

  /** Disqualified candidates with the reason, in the order of the complaints that disqualified them. */
  disqualified(): readonly { dealer: number; reason: string }[] {
    return this.disq.map((d) => ({ ...d }));
  }

  /** Members whose complaint was found false (bad disclosure, or a valid share), in log order. */
  flagged(): readonly { member: number; reason: string }[] {
    return this.flags.map((f) => ({ ...f }));
  }

  /** The public keys, once phase === 'done'. */
  result(): DkgResult | undefined {
    return this.resultValue;
  }

  /** Phase, counts and deadlines (block time). */
  progress(): DkgProgress {
    return {
      phase: this.phaseValue,
      epochKeys: this.keys.filter((k) => k !== undefined).length,
      candidates: this.candidateList.length,
      ...(this.membersCompleteAt && { dealingDeadlineMs: this.dealingDeadlineMs() }),
      ...(this.candidatesFullAt && { complaintDeadlineMs: this.complaintDeadlineMs() }),
      ...(this.closedAt && { closedAtHeight: this.closedAt.height }),
      ...(this.abortReasonValue !== undefined && { abortReason: this.abortReasonValue }),
    };
  }

  /** A candidate's checked deal (public data), for the participant side. */
  candidateDeal(dealer: number): CheckedDeal | undefined {
    return this.candidateList.find((c) => c.dealer === dealer)?.deal;
  }

  private dealingDeadlineMs(): number {
    invariant(this.membersCompleteAt !== undefined, 'dealing has started');
    return this.membersCompleteAt.timeMs + this.params.dealingWindowMs;
  }

  private complaintDeadlineMs(): number {
    invariant(this.candidatesFullAt !== undefined, 'complaints have started');
    return this.candidatesFullAt.timeMs + this.params.complaintWindowMs;
  }

  private checkMember(from: number): void {
    if (!Number.isInteger(from) || from < 1 || from > this.n) {
      throw new OmegaError('DKG_NOT_MEMBER', `sender ${from} is not a member 1..${this.n} of the committee`);
    }
  }

  private checkSession(from: number, sessionId: Uint8Array): void {
    if (!equalBytes(sessionId, this.sessionId)) {
      throw new OmegaError('DKG_WRONG_SESSION', `transaction from ${from} is for another DKG session`, {
        culprits: [from],
      });
    }
  }

  /** Applies EPOCH_KEY{sid, epk} from member `from` (authenticated by the envelope). */
  applyEpochKey(from: number, body: Uint8Array, block: DkgBlock): void {
    this.checkMember(from);
    checkBlock(block);
    const m = decodeFrom(from, 'EPOCH_KEY', () => decodeEpochKey(body));
    this.checkSession(from, m.sessionId);
    if (this.keys[from - 1] !== undefined) {
      throw new OmegaError('DKG_DUPLICATE', `member ${from} already posted its epoch key`, {
        culprits: [from],
      });
    }
    invariant(this.phaseValue === 'waiting-for-members', 'a missing epoch key means members are awaited');
    decodeFrom(from, 'epoch key', () => RISTRETTO255.decode(m.epochKey));
    // ── mutation ──
    this.keys[from - 1] = m.epochKey.slice();
    if (this.keys.every((k) => k !== undefined)) {
      this.phaseValue = 'dealing';
      this.membersCompleteAt = { height: block.height, timeMs: block.timeMs };
    }
  }

  /** Applies DEAL from dealer `from`; see docs/dkg.md "Deal" for every check. */
  applyDeal(from: number, body: Uint8Array, block: DkgBlock): void {
    this.checkMember(from);
    checkBlock(block);
    const m = decodeFrom(from, 'DEAL', () => decodeDeal(body));
    this.checkSession(from, m.sessionId);
    if (this.phaseValue === 'waiting-for-members') {
      throw new OmegaError('DKG_WRONG_PHASE', 'deals are accepted only once every epoch key is in');
    }
    if (this.phaseValue !== 'dealing') {
      throw new OmegaError('DKG_WRONG_PHASE', `the candidate set is closed (phase ${this.phaseValue})`);
    }
    if (block.timeMs >= this.dealingDeadlineMs()) {
      throw new OmegaError('DKG_WINDOW_CLOSED', 'the dealing window has closed');
    }
    if (this.candidateList.some((c) => c.dealer === from)) {
      // Equivocation: the log fixed the first deal; a second one is refused and never replaces it.
      throw new OmegaError('DKG_DUPLICATE', `dealer ${from} already dealt; only its first deal counts`, {
        culprits: [from],
      });
    }
    const deal = checkDeal(this.backend, this.checkParamsView(), from, m);
    // ── mutation ──
    this.candidateList.push({ dealer: from, body: body.slice(), deal });
    if (this.candidateList.length === 2 * this.t + 1) {
      this.phaseValue = 'complaints';
      this.candidatesFullAt = { height: block.height, timeMs: block.timeMs };
    }
  }

  private checkParamsView() {
    return { sessionId: this.sessionId, threshold: this.t, parties: this.n };
  }

  /**
   * Applies COMPLAINT from member `from` and returns its verdict. Rejected (throws, state untouched):
   * malformed, another session, not in the complaint phase or past its deadline, a dealer that is not a
   * candidate, a complaint about one's own deal, a second complaint of the same pair. Accepted complaints
   * are re-checked deterministically (research/protocol-design.md §2.2 step 3): a disclosure that does not
   * verify, or a disputed share that is valid, flags the complainer; a share that does not decrypt or
   * does not match the dealer's commitments disqualifies the dealer.
   */
  applyComplaint(from: number, body: Uint8Array, block: DkgBlock): ComplaintVerdict {
    this.checkMember(from);
    checkBlock(block);
    const m = decodeFrom(from, 'COMPLAINT', () => decodeComplaint(body));
    this.checkSession(from, m.sessionId);
    if (this.phaseValue === 'done' || this.phaseValue === 'aborted') {
      throw new OmegaError('DKG_WINDOW_CLOSED', 'the complaint window has closed');
    }
    if (this.phaseValue !== 'complaints') {
      throw new OmegaError(
        'DKG_WRONG_PHASE',
        `complaints open once the candidate set is full (phase ${this.phaseValue})`,
      );
    }
    if (block.timeMs >= this.complaintDeadlineMs()) {
      throw new OmegaError('DKG_WINDOW_CLOSED', 'the complaint window has closed');
    }
    const candidate = this.candidateList.find((c) => c.dealer === m.dealer);
    if (candidate === undefined) {
      throw new OmegaError('DKG_NOT_CANDIDATE', `dealer ${m.dealer} is not a candidate`, {
        culprits: [from],
      });
    }
    if (m.dealer === from) {
      throw new OmegaError('INVALID_ARGUMENT', `member ${from} complains about its own deal`, {
        culprits: [from],
      });
    }
    if (this.complaintLog.some((c) => c.complainer === from && c.dealer === m.dealer)) {
      throw new OmegaError('DKG_DUPLICATE', `member ${from} already complained about dealer ${m.dealer}`, {
        culprits: [from],
      });
    }
    const verdict = this.adjudicate(from, candidate, m);
    // ── mutation ──
    this.complaintLog.push({ complainer: from, dealer: m.dealer });
    this.record(verdict);
    return verdict;
  }

  private record(verdict: ComplaintVerdict): void {
    if (verdict.outcome === 'complainer-flagged') {
      this.flags.push({ member: verdict.member, reason: verdict.reason });
    } else if (!this.disq.some((d) => d.dealer === verdict.dealer)) {
      this.disq.push({ dealer: verdict.dealer, reason: verdict.reason });
    }
  }

  /** The deterministic re-check of a complaint (pure; no mutation). */
  private adjudicate(from: number, candidate: Candidate, m: ComplaintMessage): ComplaintVerdict {
    const dealer = candidate.dealer;
    const { message } = candidate.deal;
    const flag = (reason: string): ComplaintVerdict => ({
      outcome: 'complainer-flagged',
      member: from,
      reason,
    });
    const disqualify = (reason: string): ComplaintVerdict => ({
      outcome: 'dealer-disqualified',
      dealer,
      reason,
    });
    let plaintext: Uint8Array;
    try {
      plaintext = decryptWithDisclosure(
        dealEncryptionContext(this.sessionId, dealer),
        { index: from, publicKey: this.keys[from - 1]! },
        message.ephemeral,
        { key: m.key, proof: m.proof },
        message.ciphertexts[from - 1]!,
      );
    } catch (e) {
      if (isOmegaError(e, 'BAD_PROOF'))
        return flag(`complaint against ${dealer}: the key disclosure does not verify`);
      if (isOmegaError(e, 'DECRYPTION_FAILED')) return disqualify(`share to ${from} does not decrypt`);
      throw e;
    }
    let shares;
    try {
      shares = parseSharePlaintext(plaintext, dealer);
    } catch (e) {
      if (isOmegaError(e, 'BAD_SHARE')) return disqualify(`share to ${from} is malformed`);
      throw e;
    } finally {
      plaintext.fill(0);
    }
    const bad = badKeyShares(this.backend, candidate.deal, from, shares, false);
    if (bad.length > 0) return disqualify(`${bad.join('+')} share to ${from} does not match the commitments`);
    return flag(`false complaint against ${dealer}: the disclosed share is valid`);
  }

  /** Closes windows by block time before the block's transactions: aborts or finalizes. */
  onBlock(block: DkgBlock): void {
    checkBlock(block);
    if (
      this.lastBlock !== undefined &&
      (block.height <= this.lastBlock.height || block.timeMs < this.lastBlock.timeMs)
    ) {
      throw new OmegaError(
        'INVALID_ARGUMENT',
        `block ${block.height} at ${block.timeMs} ms does not follow block ${this.lastBlock.height} at ${this.lastBlock.timeMs} ms`,
      );
    }
    this.lastBlock = { height: block.height, timeMs: block.timeMs };
    if (this.phaseValue === 'dealing' && block.timeMs >= this.dealingDeadlineMs()) {
      this.abort(
        block,
        `dealing window closed with ${this.candidateList.length} of ${2 * this.t + 1} candidate deals`,
      );
    } else if (this.phaseValue === 'complaints' && block.timeMs >= this.complaintDeadlineMs()) {
      this.finalize(block);
    }
  }

  private abort(block: DkgBlock, reason: string): void {
    this.phaseValue = 'aborted';
    this.closedAt = { height: block.height, timeMs: block.timeMs };
    this.abortReasonValue = reason;
  }

  private finalize(block: DkgBlock): void {
    const qual = this.qual();
    if (qual.length < this.t + 1) {
      this.abort(block, `only ${qual.length} qualified dealers, need t+1 = ${this.t + 1}`);
      return;
    }
    try {
      this.resultValue = this.computeResult(qual);
    } catch (e) {
      // An aggregated commitment at the identity (possible only if dealers cancel each other out): the
      // key is unusable, so the session restarts rather than publish it.
      if (!isOmegaError(e)) throw e;
      this.abort(block, `the aggregated key is degenerate (${e.code})`);
      return;
    }
    this.phaseValue = 'done';
    this.closedAt = { height: block.height, timeMs: block.timeMs };
  }

  private qual(): number[] {
    return this.candidateList
      .map((c) => c.dealer)
      .filter((d) => !this.disq.some((x) => x.dealer === d))
      .sort((a, b) => a - b);
  }

  /**
   * Aggregates QUAL's commitments by point addition (C_k = Σ_{i∈QUAL} C_ik) and derives the public
   * shares PK_j = Σ_k C_k·j^k from the aggregate only — never per dealing (§2.2 step 4).
   */
  private computeResult(qual: readonly number[]): DkgResult {
    const deals = qual.map((i) => this.candidateList.find((c) => c.dealer === i)!.deal);
    const ones = qual.map(() => 1n);
    const bls = (key: 'signing' | 'ibe'): ThresholdPublicKey => {
      const aggregated: Uint8Array[] = [];
      for (let k = 0; k <= this.t; k++) {
        aggregated.push(
          this.backend.g2Lincomb(
            deals.map((d) => d.commitments[key][k]!),
            ones,
          ),
        );
      }
      return thresholdKeyFromCommitments(this.backend, aggregated, { threshold: this.t, parties: this.n });
    };
    const signing = bls('signing');
    const ibe = bls('ibe');
    const certPoints: EdPoint[] = [];
    for (let k = 0; k <= this.t; k++) {
      certPoints.push(deals.reduce((acc, d) => ED25519.add(acc, d.certificatePoints[k]!), ED25519.identity));
    }
    checkCommitments(ED25519, certPoints, this.t);
    const publicShares: Uint8Array[] = [];
    for (let j = 1; j <= this.n; j++)
      publicShares.push(ED25519.encode(publicShare(ED25519, certPoints, shareIndex(j))));
    return {
      qual: [...qual],
      signing,
      ibe,
      certificate: {
        threshold: this.t,
        publicKey: ED25519.encode(certPoints[0]!),
        commitments: certPoints.map((p) => ED25519.encode(p)),
        publicShares,
      },
    };
  }

  /** Canonical encoding of the whole state (public data only; docs/dkg.md "Snapshot"). */
  snapshot(): Uint8Array {
    const block = (w: Writer, b: DkgBlock) => w.u64(b.height).u64(b.timeMs);
    const w = new Writer(4096).u8(SNAPSHOT_VERSION);
    writeParams(w, this.params);
    w.u8(PHASES.indexOf(this.phaseValue));
    w.array(this.keys, (ww, k) => ww.optional(k, (www, kk) => www.fixed(kk, 32)));
    w.optional(this.membersCompleteAt, block);
    w.array(this.candidateList, (ww, c) => ww.u16(c.dealer).bytes(c.body));
    w.optional(this.candidatesFullAt, block);
    w.array(this.disq, (ww, d) => ww.u16(d.dealer).string(d.reason));
    w.array(this.flags, (ww, f) => ww.u16(f.member).string(f.reason));
    w.array(this.complaintLog, (ww, c) => ww.u16(c.complainer).u16(c.dealer));
    w.optional(this.lastBlock, block);
    w.optional(this.closedAt, block);
    w.optional(this.abortReasonValue, (ww, s) => ww.string(s));
    return w.finish();
  }

  /**
   * Rebuilds a session from {@link snapshot}. Every deal is re-checked and the result recomputed, so a
   * corrupted snapshot is refused (INVALID_ENCODING or the check's own code), never half-restored.
   */
  static restore(snapshot: Uint8Array, backend: BlsBackend): DkgSession {
    if (!(snapshot instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'snapshot must be bytes');
    const r = new Reader(snapshot);
    const version = r.u8();
    if (version !== SNAPSHOT_VERSION)
      throw new OmegaError('UNSUPPORTED_VERSION', `DKG snapshot version ${version}`);
    const params = readParams(r);
    const s = DkgSession.start(params, backend);
    const readBlock = (rr: Reader): DkgBlock => ({ height: rr.u64Number(), timeMs: rr.u64Number() });
    const phase = PHASES[r.u8()];
    if (phase === undefined) throw new OmegaError('INVALID_ENCODING', 'unknown DKG phase');
    const keys = r.array(s.n, (rr) => rr.optional((rrr) => rrr.fixed(32)));
    if (keys.length !== s.n)
      throw new OmegaError('INVALID_ENCODING', 'snapshot epoch key list has the wrong length');
    keys.forEach((k, i) => {
      if (k !== undefined) RISTRETTO255.decode(k);
      s.keys[i] = k;
    });
    s.membersCompleteAt = r.optional(readBlock);
    const candidates = r.array(2 * s.t + 1, (rr) => ({ dealer: rr.u16(), body: rr.bytes(1 << 20) }));
    for (const c of candidates) {
      s.checkMember(c.dealer);
      if (s.candidateList.some((x) => x.dealer === c.dealer))
        throw new OmegaError('INVALID_ENCODING', 'duplicate candidate');
      const m = decodeDeal(c.body);
      s.checkSession(c.dealer, m.sessionId);
      s.candidateList.push({
        dealer: c.dealer,
        body: c.body,
        deal: checkDeal(backend, s.checkParamsView(), c.dealer, m),
      });
    }
    s.candidatesFullAt = r.optional(readBlock);
    const reason = (rr: Reader) => rr.string(DKG_LIMITS.reasonBytesMax);
    s.disq.push(...r.array(2 * s.t + 1, (rr) => ({ dealer: rr.u16(), reason: reason(rr) })));
    const pairs = s.n * (2 * s.t + 1);
    s.flags.push(...r.array(pairs, (rr) => ({ member: rr.u16(), reason: reason(rr) })));
    s.complaintLog.push(...r.array(pairs, (rr) => ({ complainer: rr.u16(), dealer: rr.u16() })));
    s.lastBlock = r.optional(readBlock);
    s.closedAt = r.optional(readBlock);
    s.abortReasonValue = r.optional(reason);
    r.end();
    s.phaseValue = phase;
    // Consistency of the phase with the data (a snapshot is a state, not a log: check it adds up).
    const allKeys = s.keys.every((k) => k !== undefined);
    const full = s.candidateList.length === 2 * s.t + 1;
    const consistent =
      allKeys === (s.membersCompleteAt !== undefined) &&
      full === (s.candidatesFullAt !== undefined) &&
      (s.candidateList.length === 0 || allKeys) &&
      s.disq.every((d) => s.candidateList.some((c) => c.dealer === d.dealer)) &&
      (phase === 'waiting-for-members') === !allKeys &&
      (phase === 'dealing' ? !full && s.closedAt === undefined : true) &&
      (phase === 'complaints' ? full && s.closedAt === undefined : true) &&
      (phase === 'done' ? full && s.closedAt !== undefined && s.abortReasonValue === undefined : true) &&
      (phase === 'aborted' ? s.closedAt !== undefined && s.abortReasonValue !== undefined : true);
    if (!consistent) throw new OmegaError('INVALID_ENCODING', 'DKG snapshot is inconsistent with its phase');
    if (phase === 'done') s.resultValue = s.computeResult(s.qual());
    return s;
  }
}
