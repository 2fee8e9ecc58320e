/**
 * The FROST signing desk (docs/frost-signing.md): threshold Ed25519 signatures with the certificate key,
 * coordinated by the log (ARCHITECTURE.md D3; research/protocol-design.md §5.3, ROAST with the log as the
 * coordinator). Pure and deterministic: every replica holds the same desk and reaches the same signer
 * sets, verdicts and signatures.
 *
 * - Signers post nonce commitments ahead of time (`frost.commit`): each replica keeps a small queue of
 *   unconsumed commitments in the replicated state, so a signature needs one online round only.
 * - A module asks for a signature ({@link FrostDesk.request}). At the next block the desk picks t+1
 *   signers that have a queued commitment and are not excluded for this job ({@link selectSigners},
 *   rotating with the job id), consumes one commitment of each — a commitment is never used twice — and
 *   the chosen signers post their shares (`frost.share`).
 * - Every share is verified against the signer's verifying share (RFC 9591 §5.4) when it is applied. A
 *   bad share excludes its sender from the job and the job restarts with fresh commitments; a signer that
 *   withholds its share past the attempt's deadline (block time) is excluded the same way. With t+1
 *   valid shares the desk aggregates: the result is a plain Ed25519 signature (RFC 8032).
 * - If exclusions leave fewer than t+1 eligible signers, the exclusions of that job are forgotten (the
 *   withholders may have been merely slow): liveness needs t+1 correct signers, never a trusted one.
 *
 * The message signed is exactly the bytes requested (an X.509 TBSCertificate or TBSCertList), because
 * standard verifiers check a plain Ed25519 signature over them. The certificate key therefore signs
 * nothing else: only the registry requests signatures, and only over DER structures it built itself.
 */
import { Reader, Writer } from '../../codec.js';
import { ED25519 } from '../../crypto/group.js';
import type { FrostGroup, NonceCommitment } from '../../crypto/frost.js';
import { aggregate, selectSigners, verifySignatureShare } from '../../crypto/frost.js';
import { shareIndex, type ShareIndex } from '../../crypto/field.js';
import { OmegaError, invariant } from '../../errors.js';

export const FROST_DESK_LIMITS = {
  /** Most unconsumed commitments one signer may have queued. */
  queuedPerSignerMax: 32,
  /** Most commitments in one `frost.commit`. */
  commitBatchMax: 16,
  /** Most jobs not yet collected by their requester. */
  openJobsMax: 4096,
  /** Largest message a job may sign. */
  messageBytesMax: 16 * 1024,
  /** Longest purpose tag. */
  purposeBytesMax: 64,
} as const;

/** Block-time length of one signing attempt before withholders are excluded. */
export const FROST_ATTEMPT_TIMEOUT_MS = 3_000;
const SHARE_BYTES = 32;
const POINT_BYTES = 32;
const SNAPSHOT_VERSION = 1;
const EXCLUSIONS_KEPT = 64;

export type FrostJobState = 'pending' | 'signing' | 'done';

/** One signature being made. */
export interface FrostJob {
  readonly id: number;
  readonly purpose: string;
  readonly message: Uint8Array;
  readonly state: FrostJobState;
  /** Attempts started so far (the current one is `attempt`). */
  readonly attempt: number;
  readonly signers: readonly ShareIndex[];
  readonly commitments: readonly NonceCommitment[];
  /** Signers whose valid share is in, ascending. */
  readonly sharesFrom: readonly number[];
  /** Signers excluded from this job (bad or withheld shares), ascending. */
  readonly excluded: readonly number[];
  /** Every signer ever excluded from this job, with why (kept for the audit trail). */
  readonly culprits: readonly { readonly signer: number; readonly reason: 'bad-share' | 'withheld' }[];
  readonly signature: Uint8Array | undefined;
}

interface MutableJob {
  id: number;
  purpose: string;
  message: Uint8Array;
  state: FrostJobState;
  attempt: number;
  attemptStartedMs: number;
  signers: ShareIndex[];
  commitments: NonceCommitment[];
  shares: Map<number, Uint8Array>;
  excluded: Set<number>;
  culprits: { signer: number; reason: 'bad-share' | 'withheld' }[];
  signature: Uint8Array | undefined;
}

/** Body of `frost.commit`: the sender's next commitments, sequence numbers strictly increasing. */
export function encodeCommitBody(commitments: readonly Omit<NonceCommitment, 'index'>[]): Uint8Array {
  return new Writer(8 + commitments.length * 70)
    .u8(1)
    .array(commitments, (w, c) => w.u32(c.seq).fixed(c.hiding, POINT_BYTES).fixed(c.binding, POINT_BYTES))
    .finish();
}

/** Body of `frost.share`: a signature share for attempt `attempt` of job `job`. */
export function encodeShareBody(job: number, attempt: number, share: Uint8Array): Uint8Array {
  return new Writer(48).u8(1).u64(job).u32(attempt).fixed(share, SHARE_BYTES).finish();
}

function version(r: Reader): void {
  const v = r.u8();
  if (v !== 1) throw new OmegaError('UNSUPPORTED_VERSION', `FROST body version ${v}`);
}

/** Verdict of an applied `frost.share`: accepted, or a bad share that excluded its sender. */
export type ShareVerdict = 'accepted' | 'signed' | 'bad-share';

export class FrostDesk {
  private readonly queues = new Map<number, NonceCommitment[]>();
  private readonly lastSeq = new Map<number, number>();
  private readonly jobs = new Map<number, MutableJob>();
  private nextJobId = 1;
  /** The latest exclusions (bounded), oldest first: who misbehaved as a signer, for operators and audits. */
  private readonly exclusions: { job: number; signer: number; reason: 'bad-share' | 'withheld' }[] = [];

  constructor(private readonly group: FrostGroup) {}

  /** The latest (at most 64) signer exclusions, oldest first. */
  recentExclusions(): readonly {
    readonly job: number;
    readonly signer: number;
    readonly reason: 'bad-share' | 'withheld';
  }[] {
    return this.exclusions;
  }

  private exclude(job: MutableJob, signer: number, reason: 'bad-share' | 'withheld'): void {
    job.excluded.add(signer);
    job.culprits.push({ signer, reason });
    this.exclusions.push({ job: job.id, signer, reason });
    if (this.exclusions.length > EXCLUSIONS_KEPT) this.exclusions.shift();
  }

  /** Unconsumed commitments of `signer` in the replicated state. */
  queued(signer: number): number {
    return this.queues.get(signer)?.length ?? 0;
  }

  /** Highest commitment sequence number `signer` has posted (-1 if none). */
  lastSequence(signer: number): number {
    return this.lastSeq.get(signer) ?? -1;
  }

  /** Asks for a signature; returns the job id. CAPACITY_EXHAUSTED when too many jobs are open. */
  request(purpose: string, message: Uint8Array): number {
    if (this.jobs.size >= FROST_DESK_LIMITS.openJobsMax) {
      throw new OmegaError('CAPACITY_EXHAUSTED', 'too many open signing jobs');
    }
    if (message.length > FROST_DESK_LIMITS.messageBytesMax) {
      throw new OmegaError('LIMIT_EXCEEDED', 'message to sign too large');
    }
    if (
      purpose.length === 0 ||
      new TextEncoder().encode(purpose).length > FROST_DESK_LIMITS.purposeBytesMax
    ) {
      throw new OmegaError('INVALID_ARGUMENT', 'purpose must be 1..64 bytes');
    }
    const id = this.nextJobId++;
    this.jobs.set(id, {
      id,
      purpose,
      message: message.slice(),
      state: 'pending',
      attempt: 0,
      attemptStartedMs: 0,
      signers: [],
      commitments: [],
      shares: new Map(),
      excluded: new Set(),
      culprits: [],
      signature: undefined,
    });
    return id;
  }

  job(id: number): FrostJob | undefined {
    const j = this.jobs.get(id);
    return j === undefined ? undefined : view(j);
  }

  /** Every open job, by id (the runtime looks for attempts it must sign). */
  openJobs(): FrostJob[] {
    return [...this.jobs.values()].filter((j) => j.state !== 'done').map(view);
  }

  /** Removes a finished job (its requester has taken the signature). */
  forget(id: number): void {
    const j = this.jobs.get(id);
    invariant(j !== undefined && j.state === 'done', `job ${id} is not done`);
    this.jobs.delete(id);
  }

  /** `frost.commit` from `signer`. Validates everything, then queues. */
  applyCommit(signer: number, body: Uint8Array): void {
    const index = this.member(signer);
    const r = new Reader(body);
    version(r);
    const items = r.array(FROST_DESK_LIMITS.commitBatchMax, (rr) => ({
      seq: rr.u32(),
      hiding: rr.fixed(POINT_BYTES),
      binding: rr.fixed(POINT_BYTES),
    }));
    r.end();
    if (items.length === 0) throw new OmegaError('INVALID_ARGUMENT', 'no commitments');
    let last = this.lastSequence(index);
    for (const c of items) {
      if (c.seq <= last) {
        throw new OmegaError(
          'NON_CANONICAL',
          `commitment sequence numbers must increase (got ${c.seq} after ${last})`,
          {
            culprits: [index],
          },
        );
      }
      last = c.seq;
      // Canonical, torsion-free, non-identity points only (RFC 9591 §4.1 commitments are in the prime-order group).
      for (const p of [c.hiding, c.binding]) {
        const point = ED25519.decode(p);
        if (point.equals(ED25519.identity))
          throw new OmegaError('IDENTITY_POINT', 'identity nonce commitment');
      }
    }
    const queue = this.queues.get(index) ?? [];
    if (queue.length + items.length > FROST_DESK_LIMITS.queuedPerSignerMax) {
      throw new OmegaError(
        'LIMIT_EXCEEDED',
        `signer ${index} would queue more than ${FROST_DESK_LIMITS.queuedPerSignerMax} commitments`,
      );
    }
    this.queues.set(index, [...queue, ...items.map((c) => ({ index, ...c }))]);
    this.lastSeq.set(index, last);
  }

  /**
   * `frost.share` from `signer`. A share for another attempt, from a signer not chosen, or a second
   * share is rejected (error, no change). A share that does not verify is *applied*: its sender is
   * excluded from the job and the job restarts ('bad-share').
   */
  applyShare(signer: number, body: Uint8Array): ShareVerdict {
    const index = this.member(signer);
    const r = new Reader(body);
    version(r);
    const id = r.u64Number();
    const attempt = r.u32();
    const share = r.fixed(SHARE_BYTES);
    r.end();
    const job = this.jobs.get(id);
    if (job === undefined || job.state !== 'signing' || job.attempt !== attempt) {
      throw new OmegaError('STALE_SHARE', `job ${id} attempt ${attempt} is not being signed`);
    }
    if (!job.signers.includes(index)) {
      throw new OmegaError('NOT_A_SIGNER', `signer ${index} is not in attempt ${attempt} of job ${id}`);
    }
    if (job.shares.has(index))
      throw new OmegaError('DUPLICATE_REQUEST', `signer ${index} already sent its share`);
    if (!verifySignatureShare(this.group, job.commitments, job.message, index, share)) {
      this.exclude(job, index, 'bad-share');
      this.restart(job);
      return 'bad-share';
    }
    job.shares.set(index, share.slice());
    if (job.shares.size < job.signers.length) return 'accepted';
    // Every share verified individually, so aggregation cannot fail; if it did, that is a bug.
    job.signature = aggregate(this.group, job.commitments, job.message, job.shares);
    job.state = 'done';
    return 'signed';
  }

  /** Once per block, before its requests: attempt deadlines, then new attempts for pending jobs. */
  beginBlock(timeMs: number): void {
    for (const job of this.jobs.values()) {
      if (job.state === 'signing' && timeMs >= job.attemptStartedMs + FROST_ATTEMPT_TIMEOUT_MS) {
        for (const s of job.signers) {
          if (!job.shares.has(s)) this.exclude(job, s, 'withheld');
        }
        this.restart(job);
      }
    }
    this.startPending(timeMs);
  }

  /**
   * Starts an attempt for every pending job that can have one now. Also called by a requester right after
   * it opened jobs during a block's `beginBlock`, so a new job's attempt starts in that same block.
   */
  startPending(timeMs: number): void {
    for (const job of this.jobs.values()) {
      if (job.state === 'pending') this.tryStart(job, timeMs);
    }
  }

  private restart(job: MutableJob): void {
    job.state = 'pending';
    job.signers = [];
    job.commitments = [];
    job.shares = new Map();
  }

  private tryStart(job: MutableJob, timeMs: number): void {
    const eligible = new Set([...this.queues].filter(([, q]) => q.length > 0).map(([i]) => i));
    let signers = selectSigners(this.group, eligible, job.excluded, job.id + job.attempt);
    if (signers === undefined && job.excluded.size > 0) {
      job.excluded.clear();
      signers = selectSigners(this.group, eligible, job.excluded, job.id + job.attempt);
    }
    if (signers === undefined) return;
    const commitments = signers.map((s) => {
      const queue = this.queues.get(s)!;
      const c = queue.shift()!;
      if (queue.length === 0) this.queues.delete(s);
      return c;
    });
    job.state = 'signing';
    job.attempt += 1;
    job.attemptStartedMs = timeMs;
    job.signers = signers;
    job.commitments = commitments;
  }

  private member(signer: number): ShareIndex {
    if (!Number.isInteger(signer) || signer < 1 || signer > this.group.parties) {
      throw new OmegaError('NOT_COMMITTEE_MEMBER', `signer ${signer} is not in the committee`);
    }
    return shareIndex(signer);
  }

  /** Canonical encoding (signers and jobs sorted). */
  snapshot(w: Writer): void {
    w.u8(SNAPSHOT_VERSION).u64(this.nextJobId);
    const signers = [...new Set([...this.queues.keys(), ...this.lastSeq.keys()])].sort((a, b) => a - b);
    w.array(signers, (ww, s) => {
      ww.u16(s)
        .u32(this.lastSeq.get(s) ?? 0)
        .bool(this.lastSeq.has(s));
      ww.array(this.queues.get(s) ?? [], (w3, c) =>
        w3.u32(c.seq).fixed(c.hiding, POINT_BYTES).fixed(c.binding, POINT_BYTES),
      );
    });
    const jobs = [...this.jobs.values()].sort((a, b) => a.id - b.id);
    w.array(jobs, (ww, j) => {
      ww.u64(j.id).string(j.purpose).bytes(j.message).u8(['pending', 'signing', 'done'].indexOf(j.state));
      ww.u32(j.attempt).u64(j.attemptStartedMs);
      ww.array(j.commitments, (w3, c) =>
        w3.u16(c.index).u32(c.seq).fixed(c.hiding, POINT_BYTES).fixed(c.binding, POINT_BYTES),
      );
      ww.array(
        [...j.shares].sort((a, b) => a[0] - b[0]),
        (w3, [s, share]) => w3.u16(s).fixed(share, SHARE_BYTES),
      );
      ww.array(
        [...j.excluded].sort((a, b) => a - b),
        (w3, s) => w3.u16(s),
      );
      ww.array(j.culprits, (w3, c) => w3.u16(c.signer).u8(c.reason === 'bad-share' ? 0 : 1));
      ww.optional(j.signature, (w3, sig) => w3.fixed(sig, 64));
    });
    w.array(this.exclusions, (ww, e) =>
      ww
        .u64(e.job)
        .u16(e.signer)
        .u8(e.reason === 'bad-share' ? 0 : 1),
    );
  }

  static restore(group: FrostGroup, r: Reader): FrostDesk {
    const d = new FrostDesk(group);
    const v = r.u8();
    if (v !== SNAPSHOT_VERSION) throw new OmegaError('UNSUPPORTED_VERSION', `FROST desk snapshot ${v}`);
    d.nextJobId = r.u64Number();
    r.array(group.parties, (rr) => {
      const s = d.member(rr.u16());
      const last = rr.u32();
      if (rr.bool()) d.lastSeq.set(s, last);
      const queue = rr.array(FROST_DESK_LIMITS.queuedPerSignerMax, (r3) => ({
        index: s,
        seq: r3.u32(),
        hiding: r3.fixed(POINT_BYTES),
        binding: r3.fixed(POINT_BYTES),
      }));
      if (queue.length > 0) d.queues.set(s, queue);
    });
    r.array(FROST_DESK_LIMITS.openJobsMax, (rr) => {
      const id = rr.u64Number();
      const purpose = rr.string(FROST_DESK_LIMITS.purposeBytesMax);
      const message = rr.bytes(FROST_DESK_LIMITS.messageBytesMax);
      const stateIndex = rr.u8();
      const state = (['pending', 'signing', 'done'] as const)[stateIndex];
      if (state === undefined) throw new OmegaError('INVALID_ENCODING', 'FROST job state');
      const attempt = rr.u32();
      const attemptStartedMs = rr.u64Number();
      const commitments = rr.array(group.parties, (r3) => ({
        index: d.member(r3.u16()),
        seq: r3.u32(),
        hiding: r3.fixed(POINT_BYTES),
        binding: r3.fixed(POINT_BYTES),
      }));
      const shares = new Map(rr.array(group.parties, (r3) => [r3.u16(), r3.fixed(SHARE_BYTES)] as const));
      const excluded = new Set(rr.array(group.parties, (r3) => r3.u16()));
      const culprits = rr.array(1 << 16, (r3) => ({
        signer: r3.u16(),
        reason: r3.u8() === 0 ? ('bad-share' as const) : ('withheld' as const),
      }));
      const signature = rr.optional((r3) => r3.fixed(64));
      d.jobs.set(id, {
        id,
        purpose,
        message,
        state,
        attempt,
        attemptStartedMs,
        signers: commitments.map((c) => c.index),
        commitments,
        shares,
        excluded,
        culprits,
        signature,
      });
    });
    for (const e of r.array(EXCLUSIONS_KEPT, (rr) => ({
      job: rr.u64Number(),
      signer: d.member(rr.u16()),
      reason: rr.u8() === 0 ? ('bad-share' as const) : ('withheld' as const),
    }))) {
      d.exclusions.push(e);
    }
    return d;
  }
}

function view(j: MutableJob): FrostJob {
  return {
    id: j.id,
    purpose: j.purpose,
    message: j.message,
    state: j.state,
    attempt: j.attempt,
    signers: j.signers,
    commitments: j.commitments,
    sharesFrom: [...j.shares.keys()].sort((a, b) => a - b),
    excluded: [...j.excluded].sort((a, b) => a - b),
    culprits: j.culprits,
    signature: j.signature,
  };
}
