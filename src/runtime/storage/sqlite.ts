/**
 * The replica's embedded store: one SQLite database per replica through `better-sqlite3`
 * (ARCHITECTURE.md D12; docs/storage.md).
 *
 * Durability: WAL journal mode with `synchronous=FULL`, so every committed transaction is fsync'd to the
 * WAL before the call returns (SQLite "PRAGMA synchronous": in WAL mode FULL syncs the WAL on each commit;
 * NORMAL could lose the last commits on power loss, which would let a replica forget it signed).
 * Exclusivity: `locking_mode=EXCLUSIVE` holds the database lock for the life of the connection, so a
 * second process cannot open the same store and sign from the same consensus state (STORAGE_LOCKED).
 * Deletion: `secure_delete=ON` overwrites freed content with zeros, and the WAL is checkpointed and
 * truncated after a secret is deleted, so the old sealed bytes do not linger in either file.
 *
 * Schema versioning: a `schema_version` table and the ordered {@link MIGRATIONS}, applied in one
 * transaction at open; a database from a newer schema is refused (SCHEMA_TOO_NEW), a file that is not an
 * Omega store is refused (STORAGE_CORRUPT).
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { RandomSource } from '../../crypto/rand.js';
import { OmegaError } from '../../errors.js';
import { Sealer, systemRandom, type SealCreateOptions } from './seal.js';
import { BackedStorage, type StorageBackend, type StoreOptions } from './store.js';
import type { IndexEntry, OperatorSecret, StorageHooks, StoredBlock, StoredSnapshot } from './types.js';

type Db = Database.Database;

/** SQLite `PRAGMA application_id` of an Omega store: "OMGA". Tells an Omega store from any other file. */
export const OMEGA_APPLICATION_ID = 0x4f4d4741;

/** One schema migration: applied in order, each exactly once, inside the opening transaction. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly up: (db: Db) => void;
}

/**
 * The schema, as an ordered list of migrations. Append only: a released migration is never edited
 * (a replica upgrading from any older version replays the list from its version).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'initial schema: meta, consensus state and WAL, blocks, snapshots, indexes, sealed secrets',
    up: (db) => {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE consensus_state (id INTEGER PRIMARY KEY CHECK (id = 1), state BLOB NOT NULL);
        CREATE TABLE consensus_wal (seq INTEGER PRIMARY KEY, entry BLOB NOT NULL);
        CREATE TABLE blocks (
          height INTEGER PRIMARY KEY CHECK (height >= 1),
          block BLOB NOT NULL,
          certificate BLOB NOT NULL
        );
        CREATE TABLE snapshots (height INTEGER PRIMARY KEY CHECK (height >= 1), snapshot BLOB NOT NULL);
        CREATE TABLE kv (
          namespace TEXT NOT NULL,
          key BLOB NOT NULL,
          value BLOB NOT NULL,
          PRIMARY KEY (namespace, key)
        ) WITHOUT ROWID;
        CREATE TABLE secrets (name TEXT PRIMARY KEY, sealed BLOB NOT NULL) WITHOUT ROWID;
      `);
    },
  },
];

/** The schema version this binary writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings `db` to the last version of `migrations` in one IMMEDIATE transaction: reads `schema_version`
 * (0 if the table is absent), refuses a newer database, applies each newer migration in order. If any
 * migration throws, none of them is applied. Returns the version the database had before.
 */
export function applyMigrations(db: Db, migrations: readonly Migration[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`invariant violated: migration ${i} has version ${m.version}`);
  });
  const target = migrations.length;
  const run = db.transaction((): number => {
    const hasTable = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
      .get();
    let current = 0;
    if (hasTable !== undefined) {
      const row = db.prepare('SELECT version FROM schema_version').get() as { version: unknown } | undefined;
      if (row === undefined || typeof row.version !== 'number' || !Number.isSafeInteger(row.version)) {
        throw new OmegaError('STORAGE_CORRUPT', 'schema_version table without a valid version row');
      }
      current = row.version;
    } else {
      db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
      db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
    }
    if (current > target) {
      throw new OmegaError(
        'SCHEMA_TOO_NEW',
        `database schema version ${current} is newer than this binary's ${target}; upgrade Omega`,
      );
    }
    for (const m of migrations.slice(current)) m.up(db);
    db.prepare('UPDATE schema_version SET version = ?').run(target);
    return current;
  });
  return run.immediate();
}

/** Options of {@link SqliteStorage.open}. */
export interface SqliteStorageOptions extends StoreOptions, SealCreateOptions {
  readonly path: string;
  readonly operatorSecret: OperatorSecret;
  /** Create the store if `path` does not exist (default false: a missing store is an error). */
  readonly create?: boolean;
  /**
   * Caps the database size in pages of 4 KiB (SQLite `max_page_count`), so a replica fills its cap with
   * STORAGE_FULL instead of filling the disk. Default: no cap beyond SQLite's own.
   */
  readonly maxPageCount?: number;
  /** Bound of SQLite's page cache in KiB (`PRAGMA cache_size = -N`). Default {@link SQLITE_CACHE_KIB_DEFAULT}. */
  readonly cacheKiB?: number;
  readonly random?: RandomSource;
}

/**
 * Default bound of the page cache of a store's connection, in KiB. better-sqlite3 builds SQLite with
 * `SQLITE_DEFAULT_CACHE_SIZE=-16000` (≈ 16 MiB, not SQLite's usual 2 MiB), and the cache fills as the
 * database grows: every page written or read stays cached up to the bound. A replica's database grows
 * by every decided block, so its resident memory climbed for as long as the file stayed under 16 MiB —
 * the ≈ 2 MiB/min a soak measured (docs/reliability.md, "Soak"). 4 MiB (1,024 pages of 4 KiB) holds
 * the working set: the right edge of the blocks b-tree where appends land, the interior pages of the
 * indexes, and the recent blocks that block sync and reply certificates read back. A transaction
 * that dirties more (a large machine snapshot) spills to the WAL before commit, which is still
 * atomic (SQLite "cache_spill"); older blocks are read through the OS page cache.
 */
export const SQLITE_CACHE_KIB_DEFAULT = 4096;

/** A {@link Storage} in one SQLite file. */
export class SqliteStorage extends BackedStorage {
  /**
   * Opens (or with `create`, creates) the store at `path`. Errors: STORAGE_LOCKED (open elsewhere),
   * STORAGE_CORRUPT (not an Omega store), SCHEMA_TOO_NEW, WRONG_OPERATOR_SECRET, INVALID_ARGUMENT (missing).
   */
  static async open(options: SqliteStorageOptions): Promise<SqliteStorage> {
    const exists = existsSync(options.path);
    if (!exists && options.create !== true) {
      throw new OmegaError('INVALID_ARGUMENT', `no store at ${options.path} (pass create to make one)`);
    }
    const random = options.random ?? systemRandom;
    const db = openDatabase(options.path);
    if (options.maxPageCount !== undefined) {
      if (!Number.isSafeInteger(options.maxPageCount) || options.maxPageCount < 1) {
        db.close();
        throw new OmegaError('OUT_OF_RANGE', 'maxPageCount must be a positive integer');
      }
      db.pragma(`max_page_count = ${options.maxPageCount}`);
    }
    const cacheKiB = options.cacheKiB ?? SQLITE_CACHE_KIB_DEFAULT;
    if (!Number.isSafeInteger(cacheKiB) || cacheKiB < 64 || cacheKiB > 1 << 20) {
      db.close();
      throw new OmegaError('OUT_OF_RANGE', 'cacheKiB must be an integer from 64 to 1,048,576');
    }
    // Negative: a size in KiB, independent of the page size (SQLite "PRAGMA cache_size").
    db.pragma(`cache_size = -${cacheKiB}`);
    try {
      const header = db.prepare("SELECT value FROM meta WHERE key = 'seal_header'").get() as
        { value: Buffer } | undefined;
      let sealer: Sealer;
      if (header === undefined) {
        const created = await Sealer.create(options.operatorSecret, random, options);
        sealer = created.sealer;
        db.prepare("INSERT INTO meta (key, value) VALUES ('seal_header', ?)").run(
          Buffer.from(created.header),
        );
      } else {
        sealer = await Sealer.open(options.operatorSecret, new Uint8Array(header.value), random);
      }
      return new SqliteStorage(new SqliteBackend(db), sealer, options);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  private constructor(
    private readonly sqlite: SqliteBackend,
    sealer: Sealer,
    options: StoreOptions,
  ) {
    super(sqlite, sealer, options);
  }

  /** The bound of SQLite's page cache in KiB, as the open connection has it (`cacheKiB`). */
  pageCacheKiB(): number {
    return this.sqlite.pageCacheKiB();
  }
}

/** Opens the file, sets the pragmas, takes the exclusive lock and migrates. */
function openDatabase(path: string): Db {
  let db: Db;
  try {
    // timeout 0: a store locked by another process is refused at once, not after a 5 s busy wait.
    db = new Database(path, { timeout: 0 });
  } catch (cause) {
    throw new OmegaError('STORAGE_CORRUPT', `cannot open ${path} as a database`, { cause });
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    try {
      const mode: unknown = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new OmegaError('STORAGE_CORRUPT', `journal mode is ${String(mode)}, not wal`);
      // Take the exclusive lock now, not at the first write, so a second opener fails at open.
      db.exec('BEGIN IMMEDIATE; COMMIT;');
    } catch (cause) {
      if (isSqliteCode(cause, 'SQLITE_BUSY')) {
        throw new OmegaError('STORAGE_LOCKED', `${path} is open in another process`, { cause });
      }
      if (isSqliteCode(cause, 'SQLITE_NOTADB') || isSqliteCode(cause, 'SQLITE_CORRUPT')) {
        throw new OmegaError('STORAGE_CORRUPT', `${path} is not a SQLite database`, { cause });
      }
      throw cause;
    }
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    db.pragma('foreign_keys = ON');
    const appId = db.pragma('application_id', { simple: true }) as number;
    const userTables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
      n: number;
    };
    if (appId !== OMEGA_APPLICATION_ID) {
      if (appId !== 0 || userTables.n !== 0) {
        throw new OmegaError('STORAGE_CORRUPT', `${path} is a database of another application`);
      }
      db.pragma(`application_id = ${OMEGA_APPLICATION_ID}`);
    }
    applyMigrations(db, MIGRATIONS);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function isSqliteIoError(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_IOERR');
}

function isSqliteCode(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

function bytes(b: Buffer | Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
}

function buf(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Smallest byte string greater than every string with prefix `p`, or undefined if none (all 0xff). */
function prefixUpperBound(p: Uint8Array): Uint8Array | undefined {
  const out = p.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]! += 1;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}

class SqliteBackend implements StorageBackend {
  private readonly stmts;

  pageCacheKiB(): number {
    const n = this.db.pragma('cache_size', { simple: true }) as number;
    // Positive: pages; negative: KiB.
    return n < 0 ? -n : (n * (this.db.pragma('page_size', { simple: true }) as number)) / 1024;
  }

  constructor(private readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      getState: p('SELECT state FROM consensus_state WHERE id = 1'),
      setState: p(
        'INSERT INTO consensus_state (id, state) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state',
      ),
      walAppend: p(
        'INSERT INTO consensus_wal (seq, entry) VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM consensus_wal), ?) RETURNING seq',
      ),
      walRead: p('SELECT entry FROM consensus_wal ORDER BY seq'),
      walCount: p('SELECT count(*) AS n FROM consensus_wal'),
      walClear: p('DELETE FROM consensus_wal'),
      blockGet: p('SELECT height, block, certificate FROM blocks WHERE height = ?'),
      blockPut: p('INSERT INTO blocks (height, block, certificate) VALUES (?, ?, ?)'),
      blockRange: p(
        'SELECT height, block, certificate FROM blocks WHERE height >= ? AND height < ? ORDER BY height',
      ),
      lastBlock: p('SELECT coalesce(max(height), 0) AS h FROM blocks'),
      firstBlock: p('SELECT coalesce(min(height), 0) AS h FROM blocks'),
      blockDeleteBelow: p('DELETE FROM blocks WHERE height < ?'),
      snapLatestHeight: p('SELECT coalesce(max(height), 0) AS h FROM snapshots'),
      snapPut: p('INSERT INTO snapshots (height, snapshot) VALUES (?, ?)'),
      snapLatest: p('SELECT height, snapshot FROM snapshots ORDER BY height DESC LIMIT 1'),
      snapPrune: p(
        'DELETE FROM snapshots WHERE height NOT IN (SELECT height FROM snapshots ORDER BY height DESC LIMIT ?)',
      ),
      kvGet: p('SELECT value FROM kv WHERE namespace = ? AND key = ?'),
      kvPut: p(
        'INSERT INTO kv (namespace, key, value) VALUES (?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value',
      ),
      kvDelete: p('DELETE FROM kv WHERE namespace = ? AND key = ?'),
      secretGet: p('SELECT sealed FROM secrets WHERE name = ?'),
      secretPut: p(
        'INSERT INTO secrets (name, sealed) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed',
      ),
      secretOverwrite: p('UPDATE secrets SET sealed = zeroblob(length(sealed)) WHERE name = ?'),
      secretDelete: p('DELETE FROM secrets WHERE name = ?'),
      secretNames: p('SELECT name FROM secrets ORDER BY name'),
    };
  }

  transaction<T>(fn: () => T, hooks: StorageHooks, durability: 'sync' | 'deferred' = 'sync'): T {
    const tx = this.db.transaction((): T => {
      const result = fn();
      hooks.beforeCommit?.();
      return result;
    });
    // In WAL mode `synchronous = NORMAL` commits without syncing the WAL; the next FULL commit syncs every
    // frame before its own, so a deferred commit is durable once any later synced commit returns.
    if (durability === 'deferred') this.db.pragma('synchronous = NORMAL');
    try {
      return tx.immediate();
    } catch (e) {
      // better-sqlite3 has rolled the transaction back; name the environment failure with a stable code.
      if (isSqliteCode(e, 'SQLITE_FULL')) {
        throw new OmegaError('STORAGE_FULL', 'no space left in the store; nothing of the write was applied', {
          cause: e,
        });
      }
      if (isSqliteIoError(e)) {
        throw new OmegaError('STORAGE_IO', 'the storage device failed during a write', { cause: e });
      }
      throw e;
    } finally {
      if (durability === 'deferred') this.db.pragma('synchronous = FULL');
    }
  }

  getConsensusState(): Uint8Array | undefined {
    const row = this.stmts.getState.get() as { state: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.state);
  }

  setConsensusState(state: Uint8Array): void {
    this.stmts.setState.run(buf(state));
  }

  walAppend(entry: Uint8Array): number {
    const row = this.stmts.walAppend.get(buf(entry)) as { seq: number };
    return row.seq;
  }

  walRead(): Uint8Array[] {
    return (this.stmts.walRead.all() as { entry: Buffer }[]).map((r) => bytes(r.entry));
  }

  walCount(): number {
    return (this.stmts.walCount.get() as { n: number }).n;
  }

  walClear(): void {
    this.stmts.walClear.run();
  }

  blockGet(height: number): StoredBlock | undefined {
    const row = this.stmts.blockGet.get(height) as BlockRow | undefined;
    return row === undefined ? undefined : toBlock(row);
  }

  blockPut(height: number, block: Uint8Array, certificate: Uint8Array): void {
    this.stmts.blockPut.run(height, buf(block), buf(certificate));
  }

  *blockRange(from: number, count: number): Iterable<StoredBlock> {
    // iterate(): rows are read one at a time, and leaving the loop early finalizes the statement.
    for (const row of this.stmts.blockRange.iterate(from, from + count)) yield toBlock(row as BlockRow);
  }

  lastBlockHeight(): number {
    return (this.stmts.lastBlock.get() as { h: number }).h;
  }

  snapshotPut(height: number, snapshot: Uint8Array): void {
    this.stmts.snapPut.run(height, buf(snapshot));
  }

  firstBlockHeight(): number {
    return (this.stmts.firstBlock.get() as { h: number }).h;
  }

  blockDeleteBelow(height: number): number {
    return this.stmts.blockDeleteBelow.run(height).changes;
  }

  snapshotLatestHeight(): number {
    return (this.stmts.snapLatestHeight.get() as { h: number }).h;
  }

  snapshotLatest(): StoredSnapshot | undefined {
    const row = this.stmts.snapLatest.get() as { height: number; snapshot: Buffer } | undefined;
    return row === undefined ? undefined : { height: row.height, snapshot: bytes(row.snapshot) };
  }

  snapshotPrune(keep: number): void {
    this.stmts.snapPrune.run(keep);
  }

  kvGet(namespace: string, key: Uint8Array): Uint8Array | undefined {
    const row = this.stmts.kvGet.get(namespace, buf(key)) as { value: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.value);
  }

  kvPut(namespace: string, key: Uint8Array, value: Uint8Array): void {
    this.stmts.kvPut.run(namespace, buf(key), buf(value));
  }

  kvDelete(namespace: string, key: Uint8Array): boolean {
    return this.stmts.kvDelete.run(namespace, buf(key)).changes > 0;
  }

  kvScan(namespace: string, prefix: Uint8Array, after: Uint8Array | undefined, limit: number): IndexEntry[] {
    // A prefix is the key range [prefix, upperBound): an index range scan, not a table scan.
    const upper = prefixUpperBound(prefix);
    const args: unknown[] = [namespace, buf(prefix)];
    if (upper !== undefined) args.push(buf(upper));
    if (after !== undefined) args.push(buf(after));
    args.push(limit);
    const rows = this.scanStatement(upper !== undefined, after !== undefined).all(...args) as {
      key: Buffer;
      value: Buffer;
    }[];
    return rows.map((r) => ({ key: bytes(r.key), value: bytes(r.value) }));
  }

  private readonly scanStatements = new Map<string, Database.Statement>();

  private scanStatement(bounded: boolean, after: boolean): Database.Statement {
    const id = `${bounded}/${after}`;
    let stmt = this.scanStatements.get(id);
    if (stmt === undefined) {
      stmt = this.db.prepare(
        `SELECT key, value FROM kv WHERE namespace = ? AND key >= ?${bounded ? ' AND key < ?' : ''}${
          after ? ' AND key > ?' : ''
        } ORDER BY key LIMIT ?`,
      );
      this.scanStatements.set(id, stmt);
    }
    return stmt;
  }

  secretGet(name: string): Uint8Array | undefined {
    const row = this.stmts.secretGet.get(name) as { sealed: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.sealed);
  }

  secretPut(name: string, sealed: Uint8Array): void {
    this.stmts.secretPut.run(name, buf(sealed));
  }

  secretDelete(name: string): boolean {
    // Overwrite in place first (defence in depth alongside secure_delete), then delete.
    this.stmts.secretOverwrite.run(name);
    return this.stmts.secretDelete.run(name).changes > 0;
  }

  secretNames(): string[] {
    return (this.stmts.secretNames.all() as { name: string }[]).map((r) => r.name);
  }

  afterSecretDelete(): void {
    // Copy the WAL into the database and truncate it, so older page images holding the sealed blob do not
    // stay in the -wal file until the next automatic checkpoint.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

interface BlockRow {
  height: number;
  block: Buffer;
  certificate: Buffer;
}

function toBlock(r: BlockRow): StoredBlock {
  return { height: r.height, block: bytes(r.block), certificate: bytes(r.certificate) };
}
