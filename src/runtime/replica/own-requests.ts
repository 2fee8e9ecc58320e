/**
 * The replica's own transactions (DKG posts, FROST commitments and shares): ordinary request envelopes
 * signed with the replica's identity key and put into its own mempool. Each post has a key; a post is
 * not repeated while an earlier one with the same key may still be decided (its validity window is
 * open), and is re-sent with a fresh request id once that window has closed.
 */
import {
  MACHINE_LIMITS,
  OP_TAGS,
  attachSignature,
  encodeUnsignedEnvelope,
  requestSignBytes,
  type OperationName,
} from '../../core/machine/index.js';
import type { RandomSource } from '../../crypto/rand.js';

/** Validity window of the replica's own transactions. */
export const OWN_REQUEST_VALIDITY_MS = 60_000;
/** How far before now the window opens (tolerates a proposer's clock behind ours). */
const OWN_REQUEST_SKEW_MS = 30_000;

export interface OwnRequestsDeps {
  readonly chainId: string;
  readonly identityPublicKey: Uint8Array;
  readonly sign: (message: Uint8Array) => Uint8Array;
  readonly admit: (envelope: Uint8Array) => void;
  readonly now: () => number;
  readonly random: RandomSource;
}

export class OwnRequests {
  /** Post key → time after which a not-yet-decided post may be sent again. */
  private readonly posted = new Map<string, number>();

  constructor(private readonly deps: OwnRequestsDeps) {}

  /** Keys remembered (each one posted within the last validity window). */
  get size(): number {
    return this.posted.size;
  }

  /** Posts unless a post with this key may still be decided; returns whether it posted. */
  post(key: string, operation: OperationName, body: () => Uint8Array): boolean {
    const now = this.deps.now();
    this.forgetExpired(now);
    const until = this.posted.get(key);
    if (until !== undefined && now <= until) return false;
    const notAfterMs = now + OWN_REQUEST_VALIDITY_MS;
    const unsigned = encodeUnsignedEnvelope({
      version: MACHINE_LIMITS.envelopeVersion,
      chainId: this.deps.chainId,
      principal: this.deps.identityPublicKey,
      requestId: this.deps.random(16),
      notBeforeMs: Math.max(0, now - OWN_REQUEST_SKEW_MS),
      notAfterMs,
      operation: OP_TAGS[operation],
      body: body(),
    });
    this.deps.admit(attachSignature(unsigned, this.deps.sign(requestSignBytes(unsigned))));
    this.posted.set(key, notAfterMs);
    return true;
  }

  /**
   * Retention rule: a key is kept only while its post may still be decided (now ≤ its notAfterMs). After
   * that the entry no longer suppresses anything — `post` sends again once now > until — so dropping it
   * changes no behaviour, and the map holds at most the keys posted in the last
   * OWN_REQUEST_VALIDITY_MS. Without it, keys that are never posted again (each FROST commitment batch
   * has its own key `frost/commit/<first seq>`, each DKG epoch its own) stayed for the process's life.
   */
  private forgetExpired(now: number): void {
    for (const [key, until] of this.posted) if (now > until) this.posted.delete(key);
  }

  /** Forgets posts whose key no longer matters (bounded memory). */
  prune(keep: (key: string) => boolean): void {
    for (const key of [...this.posted.keys()]) if (!keep(key)) this.posted.delete(key);
  }
}
