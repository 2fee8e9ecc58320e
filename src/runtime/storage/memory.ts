/**
 * The in-memory storage for the simulator (ARCHITECTURE.md D12, §5 "Simulator first").
 *
 * A {@link MemoryDisk} plays the part of the replica's disk: it survives a simulated crash, and a new
 * {@link MemoryStorage} opened on it sees exactly the committed state. Writes go to the disk under an
 * undo log; a transaction commits by dropping the log, and rolls back (error or {@link MemoryStorage.crash})
 * by replaying it backwards — so "a crash between write and commit" leaves nothing of the transaction,
 * as with SQLite. Secrets on the disk are sealed exactly as on a real disk, so the simulator's disk image
 * holds no secret in the clear either.
 */
import { toHex } from '../../crypto/bytes.js';
import type { RandomSource } from '../../crypto/rand.js';
import { OmegaError } from '../../errors.js';
import { Sealer, systemRandom, type SealCreateOptions } from './seal.js';
import { BackedStorage, compareBytes, hasPrefix, type StorageBackend, type StoreOptions } from './store.js';
import type { IndexEntry, OperatorSecret, StorageHooks, StoredBlock, StoredSnapshot } from './types.js';

/** The durable image of a memory store. Create one per simulated replica disk. */
export class MemoryDisk {
  /** @internal */ header: Uint8Array | undefined;
  /** @internal */ consensusState: Uint8Array | undefined;
  /** @internal */ readonly wal = new Map<number, Uint8Array>();
  /** @internal */ nextWalSeq = 1;
  /** @internal */ lastBlockHeight = 0;
  /** @internal */ readonly blocks = new Map<number, StoredBlock>();
  /** @internal */ readonly snapshots = new Map<number, Uint8Array>();
  /** @internal */ readonly kv = new Map<string, Map<string, IndexEntry>>();
  /** @internal */ readonly secrets = new Map<string, Uint8Array>();
  /** @internal */ openedBy: MemoryStorage | undefined;

  /**
   * Every byte the disk holds, concatenated (the analogue of reading a database file): tests scan it for
   * secrets in the clear.
   */
  bytesAtRest(): Uint8Array {
    const parts: Uint8Array[] = [];
    if (this.header) parts.push(this.header);
    if (this.consensusState) parts.push(this.consensusState);
    for (const e of this.wal.values()) parts.push(e);
    for (const b of this.blocks.values()) parts.push(b.block, b.certificate);
    for (const s of this.snapshots.values()) parts.push(s);
    for (const [ns, m] of this.kv) {
      parts.push(new TextEncoder().encode(ns));
      for (const e of m.values()) parts.push(e.key, e.value);
    }
    for (const [name, sealed] of this.secrets) parts.push(new TextEncoder().encode(name), sealed);
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** Options of {@link MemoryStorage.open}. */
export interface MemoryStorageOptions extends StoreOptions, SealCreateOptions {
  readonly operatorSecret: OperatorSecret;
  /** Randomness for store ids, salts and nonces (deterministic in the simulator). */
  readonly random?: RandomSource;
}

/** A {@link Storage} over a {@link MemoryDisk}. */
export class MemoryStorage extends BackedStorage {
  private constructor(
    private readonly memory: MemoryBackend,
    sealer: Sealer,
    options: StoreOptions,
  ) {
    super(memory, sealer, options);
  }

  /**
   * Opens the store on `disk`, creating it (fresh store id and salt) if the disk is empty.
   * STORAGE_LOCKED if another instance has it open; WRONG_OPERATOR_SECRET for a wrong operator secret.
   */
  static async open(disk: MemoryDisk, options: MemoryStorageOptions): Promise<MemoryStorage> {
    if (disk.openedBy !== undefined) {
      throw new OmegaError('STORAGE_LOCKED', 'this memory disk is already open');
    }
    const random = options.random ?? systemRandom;
    let sealer: Sealer;
    if (disk.header === undefined) {
      const created = await Sealer.create(options.operatorSecret, random, options);
      sealer = created.sealer;
      disk.header = created.header;
    } else {
      sealer = await Sealer.open(options.operatorSecret, disk.header, random);
    }
    if (disk.openedBy !== undefined) {
      sealer.destroy();
      throw new OmegaError('STORAGE_LOCKED', 'this memory disk is already open');
    }
    const backend = new MemoryBackend(disk);
    const storage = new MemoryStorage(backend, sealer, options);
    disk.openedBy = storage;
    backend.owner = storage;
    return storage;
  }

  /**
   * Simulates the process dying now: a transaction in flight (this may be called from a
   * `beforeCommit` hook) is rolled back, and the instance is closed without a clean shutdown. Reopen the
   * disk to recover.
   */
  crash(): void {
    if (this.isClosed()) return;
    this.memory.crashed = true;
    this.markClosed();
    if (!this.memory.inTransaction) this.memory.release();
  }
}

type Undo = () => void;

class MemoryBackend implements StorageBackend {
  crashed = false;
  inTransaction = false;
  owner: MemoryStorage | undefined;
  private undo: Undo[] | undefined;

  constructor(private readonly disk: MemoryDisk) {}

  transaction<T>(fn: () => T, hooks: StorageHooks): T {
    if (this.crashed) throw new OmegaError('STORAGE_CLOSED', 'the store has crashed');
    if (this.undo !== undefined) throw new Error('invariant violated: nested memory transaction');
    this.undo = [];
    this.inTransaction = true;
    try {
      const result = fn();
      hooks.beforeCommit?.();
      if (this.crashed) throw new OmegaError('STORAGE_CLOSED', 'simulated crash before commit');
      this.undo = undefined;
      return result;
    } catch (e) {
      const undo = this.undo ?? [];
      for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
      this.undo = undefined;
      throw e;
    } finally {
      this.inTransaction = false;
      if (this.crashed) this.release();
    }
  }

  release(): void {
    if (this.disk.openedBy === this.owner) this.disk.openedBy = undefined;
  }

  private record(u: Undo): void {
    if (this.undo === undefined) throw new Error('invariant violated: memory write outside a transaction');
    this.undo.push(u);
  }

  getConsensusState(): Uint8Array | undefined {
    return this.disk.consensusState;
  }

  setConsensusState(state: Uint8Array): void {
    const prev = this.disk.consensusState;
    this.record(() => (this.disk.consensusState = prev));
    this.disk.consensusState = state;
  }

  walAppend(entry: Uint8Array): number {
    const seq = this.disk.nextWalSeq;
    this.record(() => {
      this.disk.wal.delete(seq);
      this.disk.nextWalSeq = seq;
    });
    this.disk.wal.set(seq, entry);
    this.disk.nextWalSeq = seq + 1;
    return seq;
  }

  walRead(): Uint8Array[] {
    return [...this.disk.wal.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  }

  walCount(): number {
    return this.disk.wal.size;
  }

  walClear(): void {
    const prev = [...this.disk.wal.entries()];
    this.record(() => {
      for (const [k, v] of prev) this.disk.wal.set(k, v);
    });
    this.disk.wal.clear();
  }

  blockGet(height: number): StoredBlock | undefined {
    return this.disk.blocks.get(height);
  }

  blockPut(height: number, block: Uint8Array, certificate: Uint8Array): void {
    const prev = this.disk.blocks.get(height);
    const prevLast = this.disk.lastBlockHeight;
    this.record(() => {
      if (prev) this.disk.blocks.set(height, prev);
      else this.disk.blocks.delete(height);
      this.disk.lastBlockHeight = prevLast;
    });
    this.disk.blocks.set(height, { height, block, certificate });
    this.disk.lastBlockHeight = Math.max(prevLast, height);
  }

  blockRange(from: number, count: number): StoredBlock[] {
    const out: StoredBlock[] = [];
    for (let h = from; h < from + count; h++) {
      const b = this.disk.blocks.get(h);
      if (b === undefined) break;
      out.push(b);
    }
    return out;
  }

  lastBlockHeight(): number {
    return this.disk.lastBlockHeight;
  }

  snapshotPut(height: number, snapshot: Uint8Array): void {
    const prev = this.disk.snapshots.get(height);
    this.record(() => (prev ? this.disk.snapshots.set(height, prev) : this.disk.snapshots.delete(height)));
    this.disk.snapshots.set(height, snapshot);
  }

  firstBlockHeight(): number {
    let min = 0;
    for (const h of this.disk.blocks.keys()) if (min === 0 || h < min) min = h;
    return min;
  }

  blockDeleteBelow(height: number): number {
    let n = 0;
    for (const [h, b] of [...this.disk.blocks]) {
      if (h >= height) continue;
      this.record(() => this.disk.blocks.set(h, b));
      this.disk.blocks.delete(h);
      n++;
    }
    if (this.disk.blocks.size === 0 && this.disk.lastBlockHeight !== 0) {
      const prevLast = this.disk.lastBlockHeight;
      this.record(() => (this.disk.lastBlockHeight = prevLast));
      this.disk.lastBlockHeight = 0;
    }
    return n;
  }

  snapshotLatestHeight(): number {
    let best = 0;
    for (const h of this.disk.snapshots.keys()) if (h > best) best = h;
    return best;
  }

  snapshotLatest(): StoredSnapshot | undefined {
    let best: number | undefined;
    for (const h of this.disk.snapshots.keys()) if (best === undefined || h > best) best = h;
    return best === undefined ? undefined : { height: best, snapshot: this.disk.snapshots.get(best)! };
  }

  snapshotPrune(keep: number): void {
    const heights = [...this.disk.snapshots.keys()].sort((a, b) => b - a);
    for (const h of heights.slice(keep)) {
      const prev = this.disk.snapshots.get(h)!;
      this.record(() => this.disk.snapshots.set(h, prev));
      this.disk.snapshots.delete(h);
    }
  }

  kvGet(namespace: string, key: Uint8Array): Uint8Array | undefined {
    return this.disk.kv.get(namespace)?.get(toHex(key))?.value;
  }

  kvPut(namespace: string, key: Uint8Array, value: Uint8Array): void {
    let m = this.disk.kv.get(namespace);
    if (m === undefined) {
      m = new Map();
      this.disk.kv.set(namespace, m);
    }
    const map = m;
    const k = toHex(key);
    const prev = map.get(k);
    this.record(() => (prev ? map.set(k, prev) : map.delete(k)));
    map.set(k, { key, value });
  }

  kvDelete(namespace: string, key: Uint8Array): boolean {
    const map = this.disk.kv.get(namespace);
    const k = toHex(key);
    const prev = map?.get(k);
    if (map === undefined || prev === undefined) return false;
    this.record(() => map.set(k, prev));
    map.delete(k);
    return true;
  }

  kvScan(namespace: string, prefix: Uint8Array, after: Uint8Array | undefined, limit: number): IndexEntry[] {
    const map = this.disk.kv.get(namespace);
    if (map === undefined) return [];
    return [...map.values()]
      .filter((e) => hasPrefix(e.key, prefix) && (after === undefined || compareBytes(e.key, after) > 0))
      .sort((a, b) => compareBytes(a.key, b.key))
      .slice(0, limit);
  }

  secretGet(name: string): Uint8Array | undefined {
    return this.disk.secrets.get(name);
  }

  secretPut(name: string, sealed: Uint8Array): void {
    const prev = this.disk.secrets.get(name);
    this.record(() => (prev ? this.disk.secrets.set(name, prev) : this.disk.secrets.delete(name)));
    this.disk.secrets.set(name, sealed);
  }

  secretDelete(name: string): boolean {
    const prev = this.disk.secrets.get(name);
    if (prev === undefined) return false;
    // Overwriting happens after commit (afterSecretDelete): until then a rollback must restore the bytes.
    this.record(() => {
      this.disk.secrets.set(name, prev);
      this.deleted = this.deleted.filter((b) => b !== prev);
    });
    this.disk.secrets.delete(name);
    this.deleted.push(prev);
    return true;
  }

  private deleted: Uint8Array[] = [];

  afterSecretDelete(): void {
    for (const b of this.deleted) b.fill(0);
    this.deleted = [];
  }

  secretNames(): string[] {
    return [...this.disk.secrets.keys()].sort();
  }

  close(): void {
    this.release();
  }
}
