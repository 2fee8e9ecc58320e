/**
 * The part of {@link Storage} both implementations share: argument validation, the height rules of the
 * block log, sealing of secrets and the batch semantics. An implementation supplies only a
 * {@link StorageBackend}: raw reads and writes plus one primitive, an all-or-nothing transaction.
 *
 * Sharing this layer means the simulator's MemoryStorage enforces exactly the rules the real SqliteStorage
 * does, and the contract suite checks both against the same expectations (STYLE.md practice 9).
 */
import { OmegaError, invariant } from '../../errors.js';
import { STORAGE_LIMITS } from '../limits.js';
import type { Sealer } from './seal.js';
import type {
  BatchOp,
  BatchOptions,
  IndexEntry,
  ScanOptions,
  Storage,
  StorageHooks,
  StoredBlock,
  StoredSnapshot,
} from './types.js';

/** Raw storage primitives. Every method is called inside {@link StorageBackend.transaction} for writes. */
export interface StorageBackend {
  /**
   * Runs `fn` as one transaction, calls `hooks.beforeCommit` after it, then commits durably. If `fn` or the
   * hook throws (or the process dies), nothing of the transaction remains. `durability` 'deferred'
   * skips the fsync of this commit only (Storage.batch).
   */
  transaction<T>(fn: () => T, hooks: StorageHooks, durability?: 'sync' | 'deferred'): T;
  getConsensusState(): Uint8Array | undefined;
  setConsensusState(state: Uint8Array): void;
  walAppend(entry: Uint8Array): number;
  walRead(): Uint8Array[];
  walCount(): number;
  walClear(): void;
  blockGet(height: number): StoredBlock | undefined;
  blockPut(height: number, block: Uint8Array, certificate: Uint8Array): void;
  /**
   * Blocks with heights in [from, from + count), in order, skipping missing ones. Lazy: the caller stops
   * early (byte budget) without the rest being read.
   */
  blockRange(from: number, count: number): Iterable<StoredBlock>;
  /** Highest block height, 0 if none. */
  lastBlockHeight(): number;
  /** Lowest block height, 0 if none. */
  firstBlockHeight(): number;
  /** Deletes the blocks below `height`; returns how many. */
  blockDeleteBelow(height: number): number;
  snapshotPut(height: number, snapshot: Uint8Array): void;
  snapshotLatest(): StoredSnapshot | undefined;
  /** Height of the latest snapshot, 0 if none (without reading the snapshot itself). */
  snapshotLatestHeight(): number;
  /** Deletes every snapshot except the `keep` newest. */
  snapshotPrune(keep: number): void;
  kvGet(namespace: string, key: Uint8Array): Uint8Array | undefined;
  kvPut(namespace: string, key: Uint8Array, value: Uint8Array): void;
  kvDelete(namespace: string, key: Uint8Array): boolean;
  /** Entries of `namespace` with key > after (if given) and starting with prefix, bytewise order. */
  kvScan(namespace: string, prefix: Uint8Array, after: Uint8Array | undefined, limit: number): IndexEntry[];
  secretGet(name: string): Uint8Array | undefined;
  secretPut(name: string, sealed: Uint8Array): void;
  /** Deletes and overwrites the stored sealed bytes; returns whether the name existed. */
  secretDelete(name: string): boolean;
  secretNames(): string[];
  /** Runs after a committed transaction that deleted secrets (SQLite: checkpoint the WAL). */
  afterSecretDelete(): void;
  close(): void;
}

/** Options shared by both implementations. */
export interface StoreOptions {
  /** How many snapshots to keep (default STORAGE_LIMITS.snapshotsRetainedDefault, at least 1). */
  readonly snapshotsRetained?: number;
  readonly hooks?: StorageHooks;
}

const NAMESPACE_RE = /^[a-z0-9][a-z0-9._/-]*$/;
const SECRET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;

/** A {@link Storage} over a backend. */
export class BackedStorage implements Storage {
  readonly storeId: Uint8Array;
  private closed = false;
  private readonly snapshotsRetained: number;
  private readonly hooks: StorageHooks;

  constructor(
    private readonly backend: StorageBackend,
    private readonly sealer: Sealer,
    options: StoreOptions = {},
  ) {
    this.storeId = sealer.storeId;
    const retained = options.snapshotsRetained ?? STORAGE_LIMITS.snapshotsRetainedDefault;
    if (!Number.isSafeInteger(retained) || retained < 1) {
      throw new OmegaError('OUT_OF_RANGE', 'snapshotsRetained must be a positive integer');
    }
    this.snapshotsRetained = retained;
    this.hooks = options.hooks ?? {};
  }

  // ── consensus ──────────────────────────────────────────────────────────────────────────────────
  putConsensusState(state: Uint8Array): void {
    this.batch([{ op: 'putConsensusState', state }]);
  }

  getConsensusState(): Uint8Array | undefined {
    this.checkOpen();
    return copy(this.backend.getConsensusState());
  }

  appendWal(entry: Uint8Array): number {
    this.checkOpen();
    checkBytes(entry, STORAGE_LIMITS.walEntryBytesMax, 'WAL entry');
    return this.transaction(() => this.applyAppendWal(entry));
  }

  readWal(): Uint8Array[] {
    this.checkOpen();
    return this.backend.walRead().map((e) => e.slice());
  }

  truncateWal(): void {
    this.batch([{ op: 'truncateWal' }]);
  }

  // ── blocks ─────────────────────────────────────────────────────────────────────────────────────
  appendBlock(height: number, block: Uint8Array, certificate: Uint8Array): void {
    this.batch([{ op: 'appendBlock', height, block, certificate }]);
  }

  getBlock(height: number): StoredBlock | undefined {
    this.checkOpen();
    checkHeight(height);
    const b = this.backend.blockGet(height);
    return b === undefined ? undefined : copyBlock(b);
  }

  getBlocks(fromHeight: number, maxCount: number, maxBytes: number): StoredBlock[] {
    this.checkOpen();
    checkHeight(fromHeight);
    checkCount(maxCount, STORAGE_LIMITS.blockRangeCountMax, 'maxCount');
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new OmegaError('OUT_OF_RANGE', 'maxBytes must be a non-negative integer');
    }
    const out: StoredBlock[] = [];
    let bytes = 0;
    let expected = fromHeight;
    for (const b of this.backend.blockRange(fromHeight, maxCount)) {
      if (b.height !== expected) break; // a hole (below a state-sync snapshot): stop, stay contiguous
      const size = b.block.length + b.certificate.length;
      if (out.length > 0 && bytes + size > maxBytes) break;
      out.push(copyBlock(b));
      bytes += size;
      expected++;
    }
    return out;
  }

  lastHeight(): number {
    this.checkOpen();
    return this.currentLastHeight();
  }

  firstBlockHeight(): number {
    this.checkOpen();
    return this.backend.firstBlockHeight();
  }

  pruneBlocksBelow(height: number): number {
    this.checkOpen();
    checkHeight(height);
    return this.transaction(() => this.applyPrune(height));
  }

  // ── snapshots ──────────────────────────────────────────────────────────────────────────────────
  putSnapshot(height: number, snapshot: Uint8Array): void {
    this.batch([{ op: 'putSnapshot', height, snapshot }]);
  }

  latestSnapshot(): StoredSnapshot | undefined {
    this.checkOpen();
    const s = this.backend.snapshotLatest();
    return s === undefined ? undefined : { height: s.height, snapshot: s.snapshot.slice() };
  }

  // ── indexes ────────────────────────────────────────────────────────────────────────────────────
  get(namespace: string, key: Uint8Array): Uint8Array | undefined {
    this.checkOpen();
    checkNamespace(namespace);
    checkBytes(key, STORAGE_LIMITS.keyBytesMax, 'key');
    return copy(this.backend.kvGet(namespace, key));
  }

  put(namespace: string, key: Uint8Array, value: Uint8Array): void {
    this.batch([{ op: 'put', namespace, key, value }]);
  }

  delete(namespace: string, key: Uint8Array): boolean {
    this.checkOpen();
    checkNamespace(namespace);
    checkBytes(key, STORAGE_LIMITS.keyBytesMax, 'key');
    return this.transaction(() => this.backend.kvDelete(namespace, key));
  }

  scan(namespace: string, options: ScanOptions = {}): IndexEntry[] {
    this.checkOpen();
    checkNamespace(namespace);
    const prefix = options.prefix ?? new Uint8Array(0);
    checkBytes(prefix, STORAGE_LIMITS.keyBytesMax, 'prefix');
    if (options.after !== undefined) checkBytes(options.after, STORAGE_LIMITS.keyBytesMax, 'after');
    const limit = options.limit ?? STORAGE_LIMITS.blockRangeCountMax;
    checkCount(limit, STORAGE_LIMITS.blockRangeCountMax, 'limit');
    return this.backend
      .kvScan(namespace, prefix, options.after, limit)
      .map((e) => ({ key: e.key.slice(), value: e.value.slice() }));
  }

  // ── secrets ────────────────────────────────────────────────────────────────────────────────────
  putSecret(name: string, secret: Uint8Array): void {
    this.batch([{ op: 'putSecret', name, secret }]);
  }

  getSecret(name: string): Uint8Array | undefined {
    this.checkOpen();
    checkSecretName(name);
    const sealed = this.backend.secretGet(name);
    return sealed === undefined ? undefined : this.sealer.open(name, sealed);
  }

  deleteSecret(name: string): boolean {
    this.checkOpen();
    checkSecretName(name);
    const existed = this.transaction(() => this.backend.secretDelete(name));
    if (existed) this.backend.afterSecretDelete();
    return existed;
  }

  secretNames(): string[] {
    this.checkOpen();
    return this.backend.secretNames();
  }

  // ── batch ──────────────────────────────────────────────────────────────────────────────────────
  batch(ops: readonly BatchOp[], options: BatchOptions = {}): void {
    this.checkOpen();
    const durability = options.durability ?? 'sync';
    if (durability !== 'sync' && durability !== 'deferred') {
      throw new OmegaError('INVALID_ARGUMENT', "durability must be 'sync' or 'deferred'");
    }
    if (!isArray(ops)) throw new OmegaError('INVALID_ARGUMENT', 'batch ops must be an array');
    checkCount(ops.length, STORAGE_LIMITS.batchOpsMax, 'batch size');
    // Validate the shape of every op before touching the store, and seal secrets outside the transaction
    // (sealing draws randomness; a failing op must not leave a half-staged batch behind either way).
    const sealed = ops.map((op) => this.prepare(op));
    let deletedSecret = false;
    this.transaction(() => {
      ops.forEach((op, i) => {
        if (this.apply(op, sealed[i])) deletedSecret = true;
      });
    }, durability);
    if (deletedSecret) this.backend.afterSecretDelete();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sealer.destroy();
    this.backend.close();
  }

  /** Marks the store closed without touching the backend (used by a simulated crash). */
  protected markClosed(): void {
    this.closed = true;
    this.sealer.destroy();
  }

  protected isClosed(): boolean {
    return this.closed;
  }

  private transaction<T>(fn: () => T, durability: 'sync' | 'deferred' = 'sync'): T {
    return this.backend.transaction(fn, this.hooks, durability);
  }

  private checkOpen(): void {
    if (this.closed) throw new OmegaError('STORAGE_CLOSED', 'the store is closed');
  }

  private currentLastHeight(): number {
    return Math.max(this.backend.lastBlockHeight(), this.backend.snapshotLatestHeight());
  }

  /** Validates the fields of one op; returns the sealed bytes for putSecret. */
  private prepare(op: BatchOp): Uint8Array | undefined {
    if (typeof op !== 'object' || op === null)
      throw new OmegaError('INVALID_ARGUMENT', 'batch op must be an object');
    switch (op.op) {
      case 'put':
        checkNamespace(op.namespace);
        checkBytes(op.key, STORAGE_LIMITS.keyBytesMax, 'key');
        checkBytes(op.value, STORAGE_LIMITS.valueBytesMax, 'value');
        return undefined;
      case 'delete':
        checkNamespace(op.namespace);
        checkBytes(op.key, STORAGE_LIMITS.keyBytesMax, 'key');
        return undefined;
      case 'appendBlock':
        checkHeight(op.height);
        checkBytes(op.block, STORAGE_LIMITS.blockBytesMax, 'block');
        checkBytes(op.certificate, STORAGE_LIMITS.certificateBytesMax, 'certificate');
        return undefined;
      case 'putSnapshot':
        checkHeight(op.height);
        checkBytes(op.snapshot, STORAGE_LIMITS.snapshotBytesMax, 'snapshot');
        return undefined;
      case 'pruneBlocksBelow':
        checkHeight(op.height);
        return undefined;
      case 'putConsensusState':
        checkBytes(op.state, STORAGE_LIMITS.consensusStateBytesMax, 'consensus state');
        return undefined;
      case 'appendWal':
        checkBytes(op.entry, STORAGE_LIMITS.walEntryBytesMax, 'WAL entry');
        return undefined;
      case 'truncateWal':
        return undefined;
      case 'putSecret':
        checkSecretName(op.name);
        checkBytes(op.secret, STORAGE_LIMITS.secretBytesMax, 'secret');
        return this.sealer.seal(op.name, op.secret);
      case 'deleteSecret':
        checkSecretName(op.name);
        return undefined;
      default: {
        const unknown: { op?: unknown } = op;
        throw new OmegaError('INVALID_ARGUMENT', `unknown batch op ${String(unknown.op)}`);
      }
    }
  }

  /** Applies one validated op inside the transaction; returns true if it deleted a secret. */
  private apply(op: BatchOp, sealed: Uint8Array | undefined): boolean {
    switch (op.op) {
      case 'put':
        this.backend.kvPut(op.namespace, op.key.slice(), op.value.slice());
        return false;
      case 'delete':
        this.backend.kvDelete(op.namespace, op.key);
        return false;
      case 'appendBlock': {
        const last = this.currentLastHeight();
        if (op.height !== last + 1) {
          throw new OmegaError('BLOCK_HEIGHT_GAP', `block at height ${op.height}, expected ${last + 1}`);
        }
        this.backend.blockPut(op.height, op.block.slice(), op.certificate.slice());
        return false;
      }
      case 'putSnapshot': {
        const latest = this.backend.snapshotLatestHeight();
        if (op.height <= latest) {
          throw new OmegaError(
            'INVALID_ARGUMENT',
            `snapshot at height ${op.height} is not above the latest one (${latest})`,
          );
        }
        this.backend.snapshotPut(op.height, op.snapshot.slice());
        this.backend.snapshotPrune(this.snapshotsRetained);
        return false;
      }
      case 'pruneBlocksBelow':
        this.applyPrune(op.height);
        return false;
      case 'putConsensusState':
        this.backend.setConsensusState(op.state.slice());
        return false;
      case 'appendWal':
        this.applyAppendWal(op.entry);
        return false;
      case 'truncateWal':
        this.backend.walClear();
        return false;
      case 'putSecret':
        invariant(sealed !== undefined, 'putSecret was prepared');
        this.backend.secretPut(op.name, sealed);
        return false;
      case 'deleteSecret':
        return this.backend.secretDelete(op.name);
      default:
        throw new OmegaError('INVALID_ARGUMENT', 'unknown batch op');
    }
  }

  private applyPrune(height: number): number {
    const snapshot = this.backend.snapshotLatestHeight();
    if (snapshot < height - 1) {
      throw new OmegaError(
        'INVALID_ARGUMENT',
        `pruning below ${height} needs a snapshot at height ${height - 1} or above (latest: ${snapshot})`,
      );
    }
    return this.backend.blockDeleteBelow(height);
  }

  private applyAppendWal(entry: Uint8Array): number {
    if (this.backend.walCount() >= STORAGE_LIMITS.walEntriesMax) {
      throw new OmegaError(
        'LIMIT_EXCEEDED',
        `the consensus WAL holds ${STORAGE_LIMITS.walEntriesMax} entries`,
      );
    }
    return this.backend.walAppend(entry.slice());
  }
}

/** Array check without `Array.isArray`'s narrowing to `any[]`. */
function isArray(x: unknown): boolean {
  return Array.isArray(x);
}

function copy(b: Uint8Array | undefined): Uint8Array | undefined {
  return b === undefined ? undefined : b.slice();
}

function copyBlock(b: StoredBlock): StoredBlock {
  return { height: b.height, block: b.block.slice(), certificate: b.certificate.slice() };
}

function checkBytes(b: unknown, max: number, what: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new OmegaError('INVALID_ARGUMENT', `${what} must be a Uint8Array`);
  if (b.length > max) throw new OmegaError('LIMIT_EXCEEDED', `${what} of ${b.length} bytes exceeds ${max}`);
}

function checkHeight(h: unknown): asserts h is number {
  if (typeof h !== 'number' || !Number.isSafeInteger(h) || h < 1) {
    throw new OmegaError('OUT_OF_RANGE', `height must be an integer >= 1, got ${String(h)}`);
  }
}

function checkCount(n: unknown, max: number, what: string): void {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new OmegaError('OUT_OF_RANGE', `${what} must be a non-negative integer`);
  }
  if (n > max) throw new OmegaError('LIMIT_EXCEEDED', `${what} ${n} exceeds ${max}`);
}

function checkNamespace(ns: unknown): asserts ns is string {
  if (typeof ns !== 'string' || ns.length > STORAGE_LIMITS.namespaceBytesMax || !NAMESPACE_RE.test(ns)) {
    throw new OmegaError(
      'INVALID_ARGUMENT',
      `namespace must match ${String(NAMESPACE_RE)} (at most 64 bytes)`,
    );
  }
}

function checkSecretName(name: unknown): asserts name is string {
  if (
    typeof name !== 'string' ||
    name.length > STORAGE_LIMITS.secretNameBytesMax ||
    !SECRET_NAME_RE.test(name)
  ) {
    throw new OmegaError(
      'INVALID_ARGUMENT',
      `secret name must match ${String(SECRET_NAME_RE)} (at most 256 bytes)`,
    );
  }
}

/** Bytewise (memcmp) order, shorter prefix first: SQLite's BLOB collation. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/** True if `key` starts with `prefix`. */
export function hasPrefix(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}
