/**
 * Threshold-signed replies, the replica side (docs/replies.md; ARCHITECTURE.md D7; Omega §3 output
 * voting; Schneider–Zhou §6).
 *
 * After each decided block with at least one result, {@link ReplyCertifier.onBlock} builds the block's
 * results tree (src/core/replies), signs the block statement with this replica's share of the service
 * key and sends the partial to every other replica on the replies channel of the mesh. Every replica
 * collects partials and, as soon as it holds t+1, combines them in the crypto pool: optimistically
 * (interpolate t+1, verify once), falling back to per-partial checks that name the culprits
 * (src/crypto/bls/threshold.ts `combine`), which are logged and whose partials are ignored from then on.
 * The combined signature is kept in memory for recent heights and persisted (with the tree's leaf
 * hashes) in the `replies/blocks` index, so certificates survive a restart.
 *
 * A replica that receives a partial for a block it has already certified answers the sender with the
 * combined signature once: a replica that was behind (block sync) or missed partials still gets a
 * certificate for one signature check instead of t+1 partials it may never see again.
 *
 * All pairing work runs in the {@link ThresholdBlsService} (a worker pool in production), never on the
 * replica's event loop. Everything here is driven by the replica's single event loop; promise
 * continuations from the pool re-enter through the same methods, and every per-block step is guarded by
 * the block's state (first partial per sender wins; one combine or signature check at a time).
 */
import type { Reader } from '../../codec.js';
import { Writer, decodeAll } from '../../codec.js';
import type { ThresholdBlsService } from '../../crypto/bls/service.js';
import type { PartialSignature, ThresholdPublicKey } from '../../crypto/bls/threshold.js';
import { BLS_FR } from '../../crypto/bls/threshold.js';
import { equalBytes, toHex, u64be } from '../../crypto/bytes.js';
import { shareIndex } from '../../crypto/field.js';
import { MERKLE_HASH_BYTES, MerkleTree, merkleLeafHash } from '../../crypto/merkle.js';
import type { SecretShare } from '../../crypto/vss.js';
import { decodeResult, type RequestResult } from '../../core/machine/result.js';
import {
  BLOCK_RESULTS_MAX,
  SERVICE_SIGNATURE_BYTES,
  blockResultLeaf,
  blockResultsSignBytes,
  blockResultsTree,
  encodeCertificate,
  type ReplyCertificate,
} from '../../core/replies/certificate.js';
import {
  decodeRepliesMessage,
  encodeRepliesMessage,
  type RepliesMessage,
  type StatementRef,
} from '../../core/replies/messages.js';
import { OmegaError, isOmegaError } from '../../errors.js';
import type { Storage } from '../storage/types.js';
import type { ReplicaLogger } from './replica.js';
import type { ServiceKeySource } from './service-key.js';

/** Mesh channel of partial signatures and combined block signatures (1 consensus, 2 block sync). */
export const REPLIES_CHANNEL = 3;
/** Storage index namespace of certified blocks: key u64be(height). */
export const REPLIES_NAMESPACE = 'replies/blocks';

/** Every limit of the certifier (STYLE.md: a limit on everything). */
export const REPLIES_LIMITS = {
  /** Recent blocks kept in memory with their trees and partials. */
  blocksInMemoryMax: 1024,
  /** Certified blocks kept in storage; older ones are deleted as new ones are written. */
  storedBlocksMax: 100_000,
  /** Certified blocks loaded back from storage and cached. */
  loadedCacheMax: 64,
  /** Partials are buffered for at most this many heights above the local height (peers ahead). */
  aheadHeightsMax: 16,
  /** Default wait of submit() for the block signature before answering uncertified. */
  certificateWaitMs: 2_000,
} as const;

/** Test hooks (mutable, read at use): misbehave or change the combine trigger. Never set in production. */
export interface ReplyTestHooks {
  /** 'withhold': send no partials; 'bad': sign with a wrong share (valid points that do not verify). */
  partials?: 'withhold' | 'bad' | undefined;
  /** Attempt the first combine only with this many partials (default t+1): makes fault tests deterministic. */
  combineAfterPartials?: number | undefined;
}

export interface ReplyCertifierOptions {
  readonly index: number;
  readonly chainId: string;
  readonly keys: ServiceKeySource;
  readonly bls: ThresholdBlsService;
  /** Sends on the replies channel; must not throw for a full queue (the certifier tolerates loss). */
  readonly send: (to: number, body: Uint8Array) => void;
  readonly broadcast: (body: Uint8Array) => void;
  readonly storage: Pick<Storage, 'get' | 'batch'>;
  readonly log: ReplicaLogger;
  readonly hooks?: ReplyTestHooks;
}

interface BlockEntry extends StatementRef {
  readonly key: ThresholdPublicKey;
  readonly message: Uint8Array;
  readonly tree: MerkleTree;
  /** Partials by sender (= share index), first per sender wins. */
  readonly partials: Map<number, PartialSignature>;
  /** Senders whose partial for this block did not verify. */
  readonly bad: Set<number>;
  /** Peers already sent the combined signature. */
  readonly answered: Set<number>;
  readonly waiters: Set<() => void>;
  signature: Uint8Array | undefined;
  combining: boolean;
  checkingSignature: boolean;
  /** A peer's combined signature received while our own combine ran: checked only if that fails. */
  offered: { readonly from: number; readonly signature: Uint8Array } | undefined;
  /** Bumped on every accepted partial: a combine that failed is retried only when it changed. */
  version: number;
}

interface StoredBlock extends StatementRef {
  readonly tree: MerkleTree;
  readonly signature: Uint8Array;
}

export class ReplyCertifier {
  private readonly blocks = new Map<number, BlockEntry>();
  private readonly loaded = new Map<number, StoredBlock>();
  /** Messages for heights this replica has not decided yet: height → sender → message. */
  private readonly early = new Map<number, Map<number, RepliesMessage>>();
  private latest = 0;
  private closed = false;

  constructor(private readonly o: ReplyCertifierOptions) {}

  /** Heights certified in memory and blocks awaiting a signature (for status/metrics). */
  stats(): { readonly pending: number; readonly certified: number } {
    let certified = 0;
    for (const e of this.blocks.values()) if (e.signature !== undefined) certified++;
    return { pending: this.blocks.size - certified, certified };
  }

  /**
   * Called by the replica after applying the block at `height` (live or synced), with its results in
   * block order. Empty blocks are not signed. Without a service key nothing happens.
   */
  onBlock(height: number, results: readonly RequestResult[]): void {
    if (this.closed) return;
    this.latest = Math.max(this.latest, height);
    const early = this.early.get(height);
    this.early.delete(height);
    for (const h of this.early.keys()) if (h <= this.latest) this.early.delete(h);
    if (results.length === 0) return;
    const sk = this.o.keys.current();
    if (sk === undefined) return;
    const tree = blockResultsTree(results);
    const ref: StatementRef = { epoch: sk.epoch, height, size: results.length, root: tree.root };
    const entry: BlockEntry = {
      ...ref,
      key: sk.key,
      message: blockResultsSignBytes({ chainId: this.o.chainId, ...ref }),
      tree,
      partials: new Map(),
      bad: new Set(),
      answered: new Set(),
      waiters: new Set(),
      signature: undefined,
      combining: false,
      checkingSignature: false,
      offered: undefined,
      version: 0,
    };
    this.blocks.set(height, entry);
    while (this.blocks.size > REPLIES_LIMITS.blocksInMemoryMax) {
      const [oldest, evicted] = this.blocks.entries().next().value!;
      this.blocks.delete(oldest);
      for (const w of evicted.waiters) w();
    }
    if (sk.share !== undefined) this.signOwn(entry, sk.share);
    for (const [from, m] of early ?? []) this.handle(entry, from, m);
  }

  /**
   * A replies-channel message from an authenticated peer. Throws an OmegaError (the mesh disconnects
   * and reports the peer) for bytes that do not decode or a partial that claims another share index.
   */
  onMessage(from: number, body: Uint8Array): void {
    if (this.closed) return;
    const m = decodeRepliesMessage(body);
    if (m.kind === 'partial' && m.index !== from) {
      throw new OmegaError('BAD_PARTIAL', `replica ${from} sent a partial for share ${m.index}`, {
        culprits: [from],
      });
    }
    const entry = this.blocks.get(m.height);
    if (entry !== undefined) {
      this.handle(entry, from, m);
      return;
    }
    // A peer ahead of us: keep its first message per height for a few heights, drop the rest (it is
    // only an optimisation; a block we decide later still gets certified from the partials sent then).
    if (m.height <= this.latest || m.height > this.latest + REPLIES_LIMITS.aheadHeightsMax) return;
    let byPeer = this.early.get(m.height);
    if (byPeer === undefined) {
      byPeer = new Map();
      this.early.set(m.height, byPeer);
    }
    if (!byPeer.has(from)) byPeer.set(from, m);
  }

  /**
   * The certificate of a result this replica applied, waiting up to `waitMs` for its block's
   * signature; undefined when the block is not (or no longer, or not yet) certified here.
   */
  async certificateFor(resultBytes: Uint8Array, waitMs: number): Promise<Uint8Array | undefined> {
    const result = decodeResult(resultBytes);
    const now = this.certificateNow(result, resultBytes);
    if (now !== undefined || waitMs <= 0) return now;
    const entry = this.blocks.get(result.height);
    if (entry === undefined || entry.signature !== undefined || this.closed) return undefined;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        entry.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      entry.waiters.add(done);
    });
    return this.certificateNow(result, resultBytes);
  }

  /** Resolves every waiting certificateFor (uncertified) and stops handling messages. */
  close(): void {
    this.closed = true;
    for (const e of this.blocks.values()) for (const w of [...e.waiters]) w();
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────────

  private certificateNow(result: RequestResult, resultBytes: Uint8Array): Uint8Array | undefined {
    const entry = this.blocks.get(result.height);
    const block: StoredBlock | undefined =
      entry?.signature !== undefined
        ? { ...entry, signature: entry.signature }
        : entry === undefined
          ? this.load(result.height)
          : undefined;
    if (block === undefined || result.index >= block.size) return undefined;
    // The served result must be the leaf the service signed (an invariant: both come from the same
    // apply); if it is not, serve no certificate rather than a useless one, and say so.
    if (!equalBytes(block.tree.leafHash(result.index), merkleLeafHash(blockResultLeaf(resultBytes)))) {
      this.o.log.error('replies: a served result is not the certified leaf', {
        height: result.height,
        index: result.index,
      });
      return undefined;
    }
    const certificate: ReplyCertificate = {
      epoch: block.epoch,
      height: block.height,
      proof: block.tree.proof(result.index),
      signature: block.signature,
    };
    return encodeCertificate(certificate);
  }

  private signOwn(entry: BlockEntry, share: SecretShare): void {
    const hook = this.o.hooks?.partials;
    if (hook === 'withhold') return;
    if (share.index !== this.o.index) {
      this.o.log.error('replies: the service key share is not this replica’s', { share: share.index });
      return;
    }
    // The 'bad' hook signs with s_i + 1: a valid G1 point that does not verify under PK_i.
    const signingShare = hook === 'bad' ? { index: share.index, value: BLS_FR.add(share.value, 1n) } : share;
    this.o.bls.partialSign(signingShare, entry.message).then(
      this.guard((partial) => {
        if (this.closed) return;
        this.o.broadcast(
          encodeRepliesMessage({
            kind: 'partial',
            ...refOf(entry),
            index: partial.index,
            signature: partial.signature,
          }),
        );
        this.addPartial(entry, this.o.index, partial);
      }),
      (e: unknown) =>
        this.o.log.error('replies: partial signing failed', { height: entry.height, error: describe(e) }),
    );
  }

  private handle(entry: BlockEntry, from: number, m: RepliesMessage): void {
    if (m.epoch !== entry.epoch || m.size !== entry.size || !equalBytes(m.root, entry.root)) {
      // Correct replicas compute byte-identical results, hence the same statement for a height.
      this.o.log.warn('replies: a peer signs another statement for this height', {
        culprits: [from],
        height: m.height,
        epoch: m.epoch,
        ownEpoch: entry.epoch,
      });
      return;
    }
    if (m.kind === 'signature') {
      this.checkSignature(entry, from, m.signature);
      return;
    }
    if (entry.signature !== undefined) {
      // The sender is still collecting (or was behind): give it the signature once.
      if (!entry.answered.has(from)) {
        entry.answered.add(from);
        this.o.send(
          from,
          encodeRepliesMessage({ kind: 'signature', ...refOf(entry), signature: entry.signature }),
        );
      }
      return;
    }
    this.addPartial(entry, from, { index: shareIndex(m.index), signature: m.signature });
  }

  private addPartial(entry: BlockEntry, from: number, partial: PartialSignature): void {
    if (entry.signature !== undefined || entry.bad.has(from) || entry.partials.has(from)) return;
    entry.partials.set(from, partial);
    entry.version++;
    this.maybeCombine(entry);
  }

  private maybeCombine(entry: BlockEntry): void {
    if (this.closed || entry.signature !== undefined || entry.combining) return;
    const t = entry.key.threshold;
    const need = Math.max(t + 1, this.o.hooks?.combineAfterPartials ?? t + 1);
    if (entry.partials.size < need) return;
    entry.combining = true;
    const version = entry.version;
    this.o.bls.combine(entry.key, entry.message, [...entry.partials.values()]).then(
      this.guard((combined) => {
        entry.combining = false;
        if (combined.excluded.length > 0) this.blame(entry, combined.excluded);
        this.setSignature(entry, combined.signature);
      }),
      this.guard((e: unknown) => {
        entry.combining = false;
        if (isOmegaError(e, 'BAD_PARTIAL')) {
          // Fewer than t+1 good partials: drop the bad ones, wait for more.
          this.blame(entry, e.culprits);
        } else {
          this.o.log.warn('replies: combine failed', { height: entry.height, error: describe(e) });
        }
        const offered = entry.offered;
        entry.offered = undefined;
        if (offered !== undefined) this.checkSignature(entry, offered.from, offered.signature);
        if (entry.version !== version) this.maybeCombine(entry);
      }),
    );
  }

  private blame(entry: BlockEntry, culprits: readonly number[]): void {
    for (const c of culprits) {
      entry.bad.add(c);
      entry.partials.delete(c);
    }
    this.o.log.warn('replies: bad partial signatures', { height: entry.height, culprits: [...culprits] });
  }

  private checkSignature(entry: BlockEntry, from: number, signature: Uint8Array): void {
    if (entry.signature !== undefined || entry.checkingSignature || this.closed) return;
    if (entry.combining) {
      // Our own combine is likely to succeed first; spend the pairing only if it does not.
      entry.offered ??= { from, signature };
      return;
    }
    entry.checkingSignature = true;
    this.o.bls.verify(entry.key.publicKey, entry.message, signature).then(
      this.guard((valid: boolean) => {
        entry.checkingSignature = false;
        if (valid) this.setSignature(entry, signature);
        else
          this.o.log.warn('replies: a peer sent a block signature that does not verify', {
            height: entry.height,
            culprits: [from],
          });
      }),
      (e: unknown) => {
        entry.checkingSignature = false;
        this.o.log.warn('replies: a peer sent a malformed block signature', {
          height: entry.height,
          culprits: [from],
          error: describe(e),
        });
      },
    );
  }

  /**
   * Wraps a continuation of a pool call: an exception there would be an unhandled rejection (which
   * ends the process); certificates are an availability feature, so it is logged instead.
   */
  private guard<T>(fn: (value: T) => void): (value: T) => void {
    return (value) => {
      try {
        fn(value);
      } catch (e) {
        this.o.log.error('replies: internal error', { error: describe(e) });
      }
    };
  }

  private setSignature(entry: BlockEntry, signature: Uint8Array): void {
    if (entry.signature !== undefined || this.closed) return;
    entry.signature = signature;
    entry.partials.clear();
    const ops: Parameters<Storage['batch']>[0][number][] = [
      {
        op: 'put',
        namespace: REPLIES_NAMESPACE,
        key: u64be(entry.height),
        value: encodeStoredBlock(entry, signature),
      },
    ];
    if (entry.height > REPLIES_LIMITS.storedBlocksMax) {
      ops.push({
        op: 'delete',
        namespace: REPLIES_NAMESPACE,
        key: u64be(entry.height - REPLIES_LIMITS.storedBlocksMax),
      });
    }
    try {
      // Deferred durability: a block signature can be rebuilt (partials, or a peer's combined signature)
      // and nothing signed depends on it, so it rides on the next synced commit instead of costing an
      // fsync per block (docs/storage.md "Durability").
      this.o.storage.batch(ops, { durability: 'deferred' });
    } catch (e) {
      // Certificates are an availability feature: losing one on disk must not stop the replica.
      this.o.log.error('replies: storing a block signature failed', {
        height: entry.height,
        error: describe(e),
      });
    }
    for (const w of [...entry.waiters]) w();
  }

  private load(height: number): StoredBlock | undefined {
    const cached = this.loaded.get(height);
    if (cached !== undefined) return cached;
    let bytes: Uint8Array | undefined;
    try {
      bytes = this.o.storage.get(REPLIES_NAMESPACE, u64be(height));
    } catch (e) {
      if (!isOmegaError(e, 'STORAGE_CLOSED')) throw e;
      return undefined;
    }
    if (bytes === undefined) return undefined;
    let block: StoredBlock;
    try {
      block = decodeStoredBlock(height, bytes);
    } catch (e) {
      this.o.log.error('replies: a stored block signature does not decode', { height, error: describe(e) });
      return undefined;
    }
    this.loaded.set(height, block);
    if (this.loaded.size > REPLIES_LIMITS.loadedCacheMax)
      this.loaded.delete(this.loaded.keys().next().value!);
    return block;
  }
}

function refOf(e: StatementRef): StatementRef {
  return { epoch: e.epoch, height: e.height, size: e.size, root: e.root };
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Stored value of a certified block: `u8 version = 1 ‖ u64 epoch ‖ u32 size ‖ 32-byte root ‖ 48-byte
 * signature ‖ size × 32-byte leaf hashes`. The leaf hashes rebuild the tree, so proofs for any result
 * of the block can be served after a restart without replaying it.
 */
function encodeStoredBlock(entry: BlockEntry, signature: Uint8Array): Uint8Array {
  const w = new Writer(1 + 8 + 4 + 32 + 48 + entry.size * MERKLE_HASH_BYTES);
  w.u8(1).u64(entry.epoch).u32(entry.size).fixed(entry.root, MERKLE_HASH_BYTES);
  w.fixed(signature, SERVICE_SIGNATURE_BYTES);
  for (let i = 0; i < entry.size; i++) w.fixed(entry.tree.leafHash(i), MERKLE_HASH_BYTES);
  return w.finish();
}

function decodeStoredBlock(height: number, bytes: Uint8Array): StoredBlock {
  return decodeAll(bytes, (r: Reader) => {
    if (r.u8() !== 1) throw new OmegaError('STORAGE_CORRUPT', 'unknown stored block signature version');
    const epoch = r.u64Number();
    const size = r.u32();
    if (size < 1 || size > BLOCK_RESULTS_MAX)
      throw new OmegaError('STORAGE_CORRUPT', `bad tree size ${size}`);
    const root = r.fixed(MERKLE_HASH_BYTES);
    const signature = r.fixed(SERVICE_SIGNATURE_BYTES);
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < size; i++) leaves.push(r.fixed(MERKLE_HASH_BYTES));
    const tree = MerkleTree.fromLeafHashes(leaves);
    if (!equalBytes(tree.root, root)) {
      throw new OmegaError(
        'STORAGE_CORRUPT',
        `stored leaves of height ${height} do not give the stored root ${toHex(root)}`,
      );
    }
    return { epoch, height, size, root, tree, signature };
  });
}

/**
 * A {@link ThresholdBlsService} that starts the real one (the worker pool) on its first call or on
 * `warmUp()` (which starts it in the background; a failure surfaces at the first call).
 * `close()` closes it if it started.
 */
export function lazyBlsService(
  start: () => Promise<ThresholdBlsService>,
): ThresholdBlsService & { warmUp(): void } {
  let started: Promise<ThresholdBlsService> | undefined;
  let closed = false;
  const get = (): Promise<ThresholdBlsService> => {
    if (closed) return Promise.reject(new OmegaError('BACKEND_UNAVAILABLE', 'the crypto pool is closed'));
    started ??= start();
    return started;
  };
  return {
    warmUp: () => {
      get().catch(() => undefined);
    },
    // Not known before the pool starts; the pool prefers mcl (OMEGA_BLS_BACKEND may force noble).
    backendName: 'mcl',
    partialSign: (share, message) => get().then((s) => s.partialSign(share, message)),
    verifyPartial: (pk, message, partial) => get().then((s) => s.verifyPartial(pk, message, partial)),
    combine: (key, message, partials) => get().then((s) => s.combine(key, message, partials)),
    verify: (pk, message, signature) => get().then((s) => s.verify(pk, message, signature)),
    close: async () => {
      closed = true;
      if (started === undefined) return;
      try {
        await (await started).close();
      } catch {
        // The pool never started: nothing to close.
      }
    },
  };
}
