/**
 * The replica's side of FROST signing (docs/frost-signing.md): keeps this replica's commitments queued
 * in the replicated desk, and signs its part of every attempt it was chosen for.
 *
 * Nonce safety (RFC 9591 §7.3 — a nonce used twice leaks the share): the nonce book is sealed in the
 * store (`frost/<key session id>/nonces`) *after* new nonces are generated and *before* their
 * commitments are posted, and again after a nonce is taken and *before* the share computed with it is
 * posted. A crash can therefore lose a share (the desk times the attempt out and retries without this
 * replica) but never reuse a nonce. The computed share is kept in memory so that a post that expired
 * undecided is re-sent with the same bytes, never recomputed.
 */
import { toHex } from '../../crypto/bytes.js';
import type { FrostSigner } from '../../crypto/frost.js';
import { NonceBook, decodeNonceBook, encodeNonceBook, frostSigner, signShare } from '../../crypto/frost.js';
import { shareIndex } from '../../crypto/field.js';
import { ED25519 } from '../../crypto/group.js';
import type { RandomSource } from '../../crypto/rand.js';
import type { ServiceKeysModule } from '../../core/service-keys/module.js';
import { certificateGroup } from '../../core/service-keys/module.js';
import { encodeCommitBody, encodeShareBody } from '../../core/signing/frost-desk.js';
import { isOmegaError } from '../../errors.js';
import type { Storage } from '../storage/types.js';
import type { OwnRequests } from './own-requests.js';
import type { DkgShares } from '../../core/sessions/dkg/index.js';

/** Keep at least this many commitments queued in the desk; post a batch of `BATCH` below it. */
const LOW_WATER = 4;
const BATCH = 8;

export interface FrostDriverDeps {
  readonly index: number;
  readonly storage: Pick<Storage, 'putSecret' | 'getSecret'>;
  readonly module: () => ServiceKeysModule;
  /** This replica's DKG shares, once derived. */
  readonly shares: () => DkgShares | undefined;
  readonly own: OwnRequests;
  readonly random: RandomSource;
  readonly log: {
    info(message: string, fields?: Record<string, unknown>): void;
    warn(message: string, fields?: Record<string, unknown>): void;
  };
  /** Test hook (fault injection): this replica withholds its shares or sends corrupted ones. */
  readonly fault?: 'withhold' | 'corrupt';
}

export class FrostDriver {
  private state: { readonly sid: string; readonly signer: FrostSigner; readonly book: NonceBook } | undefined;
  /** (job, attempt) → the share bytes already computed (never recomputed: the nonce is spent). */
  private readonly computed = new Map<string, Uint8Array>();

  constructor(private readonly deps: FrostDriverDeps) {}

  /** After every applied block (and at start). */
  step(): void {
    const module = this.deps.module();
    const desk = module.desk;
    const keys = module.keys();
    const shares = this.deps.shares();
    if (desk === undefined || keys === undefined || shares === undefined) return;
    const sid = toHex(keys.sessionId);
    const me = this.deps.index;
    const state = this.load(sid, module, shares);

    // Signing: every open attempt this replica was chosen for and has not answered yet.
    const live = new Set<string>();
    for (const job of desk.openJobs()) {
      if (job.state !== 'signing' || !job.signers.includes(shareIndex(me)) || job.sharesFrom.includes(me))
        continue;
      const key = `${job.id}/${job.attempt}`;
      live.add(key);
      let share = this.computed.get(key);
      if (share === undefined) {
        const mine = job.commitments.find((c) => c.index === me)!;
        let nonces;
        try {
          nonces = state.book.take(mine.seq);
        } catch (e) {
          // The nonce is gone (used before a crash, or never ours): never sign with anything else.
          if (!isOmegaError(e)) throw e;
          this.deps.log.warn('FROST nonce unavailable; this attempt will time out without us', {
            job: job.id,
            attempt: job.attempt,
            code: e.code,
          });
          continue;
        }
        this.persist(state);
        try {
          share = signShare(keysGroup(module), state.signer, nonces, job.commitments, job.message);
        } catch (e) {
          // The logged commitment is not the one of the nonce this book holds under that sequence number
          // (RFC 9591 §5.2: round two must use the nonce of the published commitment) — e.g. the store
          // was restored from a backup older than commitments this replica had already posted. The nonce
          // is spent either way; sit this attempt out (the desk retries without us) instead of halting.
          if (!isOmegaError(e)) throw e;
          this.deps.log.warn('FROST share refused; this attempt will time out without us', {
            job: job.id,
            attempt: job.attempt,
            code: e.code,
          });
          continue;
        }
        this.computed.set(key, share);
      }
      if (this.deps.fault === 'withhold') continue;
      if (this.deps.fault === 'corrupt') {
        share = share.slice();
        share[0]! ^= 1;
      }
      const body = encodeShareBody(job.id, job.attempt, share);
      this.deps.own.post(`frost/share/${key}`, 'frost.share', () => body);
    }
    for (const key of [...this.computed.keys()]) if (!live.has(key)) this.computed.delete(key);
    this.deps.own.prune((k) => !k.startsWith('frost/share/') || live.has(k.slice('frost/share/'.length)));

    // Commitments: top the queue up; one batch in flight at a time (keyed by its first sequence number).
    if (desk.queued(me) < LOW_WATER) {
      const last = desk.lastSequence(me);
      if (state.book.snapshot().nextSeq > last + 1) {
        // A batch is generated but not decided yet: re-post the same commitments if it expired.
        this.deps.own.post(`frost/commit/${last + 1}`, 'frost.commit', () =>
          this.pendingBatch(state, last + 1),
        );
      } else {
        const commitments = state.book.generate(state.signer, BATCH, this.deps.random);
        this.persist(state);
        const body = encodeCommitBody(commitments);
        this.deps.own.post(`frost/commit/${commitments[0]!.seq}`, 'frost.commit', () => body);
      }
    }
  }

  private pendingBatch(state: { book: NonceBook }, fromSeq: number): Uint8Array {
    // The book keeps the unused nonces; their commitments are recomputed from the nonces (D = d·B, E = e·B).
    const unused = state.book
      .snapshot()
      .unused.filter(([seq]) => seq >= fromSeq)
      .slice(0, BATCH);
    return encodeCommitBody(unused.map(([seq, n]) => ({ seq, ...commitmentOf(n) })));
  }

  private load(sid: string, module: ServiceKeysModule, shares: DkgShares) {
    if (this.state?.sid === sid) return this.state;
    const signer = frostSigner(keysGroup(module), this.deps.index, shares.certificate);
    const sealed = this.deps.storage.getSecret(bookName(sid));
    const book = sealed === undefined ? new NonceBook(signer.index) : decodeNonceBook(sealed);
    this.state = { sid, signer, book };
    this.computed.clear();
    return this.state;
  }

  private persist(state: { sid: string; book: NonceBook }): void {
    this.deps.storage.putSecret(bookName(state.sid), encodeNonceBook(state.book));
  }
}

function bookName(sid: string): string {
  return `frost/${sid}/nonces`;
}

function keysGroup(module: ServiceKeysModule) {
  return certificateGroup(module.keys()!.result);
}

/** The public commitments (d·B, e·B) of secret nonces (RFC 9591 §5.1), scalars little-endian as noble stores them. */
function commitmentOf(n: { hiding: Uint8Array; binding: Uint8Array }): {
  hiding: Uint8Array;
  binding: Uint8Array;
} {
  const point = (scalar: Uint8Array) => ED25519.encode(ED25519.mulBase(ED25519.field.decode(scalar)));
  return { hiding: point(n.hiding), binding: point(n.binding) };
}
