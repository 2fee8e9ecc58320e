/**
 * Mempool gossip (docs/replica.md, "Mempool gossip"): a replica that admits a client envelope forwards it
 * to every peer on mesh channel 4, so whichever replica proposes next can include it.
 *
 * Why: a client sends each request to 2f+1 replicas (the SDK default), so before gossip the proposer of a
 * height lacked a given request one time in n, and then the request waited for the next proposer that
 * had it — after an empty block held back for half the propose timeout. CometBFT gossips its mempool for
 * the same reason (CometBFT spec, "Mempool" — transactions are broadcast to peers on admission).
 *
 * Wire format of one gossip body (src/codec.ts): `u8 version (1) ‖ array<u32 count ≤ maxBatchCount> of
 * bytes (each ≤ envelopeBytesMax)`. The whole body is bounded by the mesh frame limit.
 *
 * Trust: peers are authenticated replicas but up to f may be Byzantine, so the receiver runs the same
 * stateless `checkEnvelope` as the HTTP API before admitting a forwarded envelope; a peer forwarding an
 * envelope that fails it is faulty (the check is a pure function of the bytes, docs/machine.md), and the
 * mesh disconnects and reports it. A forwarded envelope has no waiter: only the replicas a client asked
 * answer that client.
 */
import { Reader, Writer } from '../../codec.js';
import { CONSENSUS_LIMITS } from '../../core/consensus/index.js';
import { MACHINE_LIMITS } from '../../core/machine/limits.js';
import { OmegaError } from '../../errors.js';

/** Mesh channel of forwarded client envelopes (1 = consensus, 2 = block sync, 3 = reply partials). */
export const MEMPOOL_CHANNEL = 4;
export const GOSSIP_VERSION = 1;
/** A gossip body is flushed early once it holds this many bytes (well under a mesh frame). */
const GOSSIP_FLUSH_BYTES = 512 * 1024;

export function encodeGossip(envelopes: readonly Uint8Array[]): Uint8Array {
  if (envelopes.length > CONSENSUS_LIMITS.maxBatchCount) {
    throw new OmegaError('LIMIT_EXCEEDED', `at most ${CONSENSUS_LIMITS.maxBatchCount} envelopes per gossip`);
  }
  const w = new Writer(64 + envelopes.reduce((s, e) => s + e.length + 4, 0));
  w.u8(GOSSIP_VERSION);
  w.array(envelopes, (ww, e) => ww.bytes(e));
  return w.finish();
}

/** Strict decoding; throws OmegaError (UNSUPPORTED_VERSION, LIMIT_EXCEEDED, INVALID_ENCODING). */
export function decodeGossip(body: Uint8Array): Uint8Array[] {
  const r = new Reader(body);
  const version = r.u8();
  if (version !== GOSSIP_VERSION) throw new OmegaError('UNSUPPORTED_VERSION', `gossip version ${version}`);
  const envelopes = r.array(CONSENSUS_LIMITS.maxBatchCount, (rr) =>
    rr.bytes(MACHINE_LIMITS.envelopeBytesMax),
  );
  r.end();
  return envelopes;
}

/**
 * Collects envelopes admitted during one turn of the event loop and hands them to `send` as one gossip
 * body on the next turn (setImmediate), so a burst of HTTP admissions costs one mesh frame per peer.
 */
export class GossipBatcher {
  private pending: Uint8Array[] = [];
  private bytes = 0;
  private scheduled = false;
  private closed = false;

  constructor(private readonly send: (body: Uint8Array) => void) {}

  add(envelope: Uint8Array): void {
    if (this.closed) return;
    this.pending.push(envelope);
    this.bytes += envelope.length;
    if (this.bytes >= GOSSIP_FLUSH_BYTES || this.pending.length >= CONSENSUS_LIMITS.maxBatchCount) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    const batch = this.pending;
    this.pending = [];
    this.bytes = 0;
    this.send(encodeGossip(batch));
  }

  close(): void {
    this.closed = true;
    this.pending = [];
  }
}
