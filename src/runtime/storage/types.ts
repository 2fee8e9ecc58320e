/**
 * The replica's storage interface (ARCHITECTURE.md D12; docs/storage.md).
 *
 * One interface, two implementations that pass one contract suite (`test/runtime/storage.contract.ts`):
 * {@link import('./sqlite.js').SqliteStorage} for real replicas and
 * {@link import('./memory.js').MemoryStorage} for the simulator.
 *
 * Everything the consensus core and the state machine hand to storage is opaque bytes: the storage layer
 * never decodes a block, a certificate, a consensus state or a snapshot, so it does not depend on their
 * schemas (they are canonical `src/codec.ts` encodings owned by `src/core`).
 *
 * Contract of every method (etcd-io/raft `Storage` style):
 * - **Durable on return.** A write method returns only after its data is committed (SQLite: a WAL-mode
 *   transaction with `synchronous=FULL`, i.e. fsync'd). The runtime relies on this to persist the
 *   consensus core's LastSigned state *before* a signed message leaves the process
 *   (research/protocol-design.md §1.2).
 * - **All or nothing.** Every write is one transaction; {@link Storage.batch} makes many writes one
 *   transaction. A crash between write and commit leaves none of it.
 * - **Copies.** Bytes passed in are copied; bytes returned are fresh copies the caller may mutate.
 * - **Validated input.** Bad arguments throw `OmegaError` (INVALID_ARGUMENT, OUT_OF_RANGE,
 *   LIMIT_EXCEEDED, BLOCK_HEIGHT_GAP) and change nothing.
 * - **Secrets sealed.** Secret bytes are only ever stored AEAD-sealed under the operator-derived key.
 * - **Synchronous.** Calls block the event loop for one transaction (better-sqlite3 is synchronous, which
 *   is also the fastest way to drive SQLite from Node); no call is ever left half-done.
 */

/**
 * The operator secret that unlocks the sealed store: a passphrase (stretched with scrypt) or the 32
 * random bytes of a key file (expanded with HKDF). Never stored.
 */
export type OperatorSecret =
  | { readonly kind: 'passphrase'; readonly passphrase: string }
  | { readonly kind: 'keyFile'; readonly key: Uint8Array };

/** A decided block with the certificate (2f+1 precommits) that decided it. */
export interface StoredBlock {
  readonly height: number;
  readonly block: Uint8Array;
  readonly certificate: Uint8Array;
}

/** A snapshot of the public replicated state after applying the block at `height`. */
export interface StoredSnapshot {
  readonly height: number;
  readonly snapshot: Uint8Array;
}

/** One key/value entry of an index namespace. */
export interface IndexEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** Options of {@link Storage.scan}. Keys are ordered bytewise (memcmp order, shorter prefix first). */
export interface ScanOptions {
  /** Only keys starting with these bytes. */
  readonly prefix?: Uint8Array;
  /** Only keys strictly greater than this one (pagination). */
  readonly after?: Uint8Array;
  /** At most this many entries (default and maximum: STORAGE_LIMITS.blockRangeCountMax). */
  readonly limit?: number;
}

/** One write of an atomic {@link Storage.batch}. Ops apply in order; later ops see earlier ones. */
export type BatchOp =
  | { readonly op: 'put'; readonly namespace: string; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly op: 'delete'; readonly namespace: string; readonly key: Uint8Array }
  | {
      readonly op: 'appendBlock';
      readonly height: number;
      readonly block: Uint8Array;
      readonly certificate: Uint8Array;
    }
  | { readonly op: 'putSnapshot'; readonly height: number; readonly snapshot: Uint8Array }
  | { readonly op: 'pruneBlocksBelow'; readonly height: number }
  | { readonly op: 'putConsensusState'; readonly state: Uint8Array }
  | { readonly op: 'appendWal'; readonly entry: Uint8Array }
  | { readonly op: 'truncateWal' }
  | { readonly op: 'putSecret'; readonly name: string; readonly secret: Uint8Array }
  | { readonly op: 'deleteSecret'; readonly name: string };

/** Options of {@link Storage.batch}. */
export interface BatchOptions {
  /** 'sync' (default): durable on return. 'deferred': see {@link Storage.batch}. */
  readonly durability?: 'sync' | 'deferred';
}

/**
 * Fault-injection hooks for tests and the simulator. `beforeCommit` runs inside every write transaction
 * after all its writes are staged and before the commit: a test kills the process there (SQLite) or
 * crashes the instance (memory) to check that nothing of the transaction survives.
 */
export interface StorageHooks {
  readonly beforeCommit?: () => void;
}

/** A replica's local store. See the module comment for the contract every method follows. */
export interface Storage {
  /** 16 random bytes fixed when the store was created; bound into every sealed secret. */
  readonly storeId: Uint8Array;

  // ── consensus WAL and LastSigned state ─────────────────────────────────────────────────────────
  /** Replaces the consensus state record (LastSigned, lock, ...). Durable on return. */
  putConsensusState(state: Uint8Array): void;
  getConsensusState(): Uint8Array | undefined;
  /** Appends one consensus WAL entry (durable on return); returns its sequence number. */
  appendWal(entry: Uint8Array): number;
  /** All WAL entries since the last truncation, oldest first. */
  readWal(): Uint8Array[];
  /** Drops every WAL entry (the core does this when a height is decided and persisted). */
  truncateWal(): void;

  // ── decided blocks ─────────────────────────────────────────────────────────────────────────────
  /**
   * Appends the decided block at `height`, which must be `lastHeight() + 1` (BLOCK_HEIGHT_GAP otherwise):
   * the block log never has a hole above the latest snapshot.
   */
  appendBlock(height: number, block: Uint8Array, certificate: Uint8Array): void;
  getBlock(height: number): StoredBlock | undefined;
  /**
   * Contiguous blocks from `fromHeight` (block sync): stops at the first missing height, after
   * `maxCount` blocks, or before the total block + certificate bytes would exceed `maxBytes` (but always
   * returns the first block if it exists, so a sync never stalls on one large block).
   */
  getBlocks(fromHeight: number, maxCount: number, maxBytes: number): StoredBlock[];
  /** The lowest stored block height, 0 if no block is stored (blocks below it were pruned). */
  firstBlockHeight(): number;
  /**
   * Deletes every block below `height`. Allowed only when the latest snapshot is at `height - 1` or above,
   * so the state those blocks produced stays recoverable (INVALID_ARGUMENT otherwise). Block sync for a
   * pruned height falls back to snapshot sync. Returns how many blocks were deleted.
   */
  pruneBlocksBelow(height: number): number;
  /**
   * The height up to which state is known: the larger of the last block's height and the latest snapshot's
   * height (a snapshot installed by state sync moves it forward); 0 for an empty store.
   */
  lastHeight(): number;

  // ── snapshots of the public replicated state ──────────────────────────────────────────────────
  /**
   * Stores a snapshot of the public state after block `height`; heights must increase (INVALID_ARGUMENT
   * otherwise). Only the newest `snapshotsRetained` snapshots are kept.
   */
  putSnapshot(height: number, snapshot: Uint8Array): void;
  latestSnapshot(): StoredSnapshot | undefined;

  // ── key/value indexes in named namespaces ─────────────────────────────────────────────────────
  get(namespace: string, key: Uint8Array): Uint8Array | undefined;
  put(namespace: string, key: Uint8Array, value: Uint8Array): void;
  delete(namespace: string, key: Uint8Array): boolean;
  scan(namespace: string, options?: ScanOptions): IndexEntry[];

  // ── the sealed secret side ─────────────────────────────────────────────────────────────────────
  /** Seals `secret` under the operator-derived key, bound to this store and `name`, and stores it. */
  putSecret(name: string, secret: Uint8Array): void;
  /** Opens the named secret; DECRYPTION_FAILED if its sealed bytes were tampered with or swapped. */
  getSecret(name: string): Uint8Array | undefined;
  /** Deletes the named secret, overwriting its stored bytes; returns whether it existed. */
  deleteSecret(name: string): boolean;
  /** Names of the stored secrets, sorted. */
  secretNames(): string[];

  // ── atomicity and lifecycle ───────────────────────────────────────────────────────────────────
  /**
   * Applies every op in one transaction: all of them, or (on any error or crash) none. With
   * `durability: 'deferred'` the commit is not fsync'd: it survives a crash of the process (SQLite: the
   * WAL frames are in the operating system's cache) and becomes durable against power loss with the next
   * synced commit (WAL frames are synced in order) — for data that can be rebuilt, never for anything a
   * signed message depends on.
   */
  batch(ops: readonly BatchOp[], options?: BatchOptions): void;
  /** Closes the store; every later call throws STORAGE_CLOSED. Idempotent. */
  close(): void;
}
