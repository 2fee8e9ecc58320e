import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/crypto/bytes.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { isOmegaError, type ErrorCode } from '../../src/errors.js';
import {
  MIGRATIONS,
  SCHEMA_VERSION,
  SQLITE_CACHE_KIB_DEFAULT,
  SqliteStorage,
  applyMigrations,
  readOperatorKeyFile,
  writeOperatorKeyFile,
  type BatchOp,
  type Migration,
  type OperatorSecret,
} from '../../src/runtime/storage/index.js';
import { encodeJson } from './fixtures/json-bytes.js';
import { KEY_A, bytesOf, contains, storageContract, type StorageHarness } from './storage.contract.js';

const CHILD = fileURLToPath(new URL('./fixtures/storage-child.ts', import.meta.url));

function filesAtRest(path: string): Uint8Array {
  const parts = [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]
    .filter((p) => existsSync(p))
    .map((p) => new Uint8Array(readFileSync(p)));
  return concatBytes(...parts);
}

function runChild(
  dir: string,
  path: string,
  secret: OperatorSecret,
  ops: BatchOp[],
  mode: 'during' | 'after' | 'after-deferred',
): void {
  if (secret.kind !== 'keyFile') throw new Error('child takes a key file');
  const argsFile = join(dir, `child-${mode}.json`);
  writeFileSync(argsFile, encodeJson({ path, keyFile: secret.key, ops, mode }));
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, argsFile], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  // The child must die by its own SIGKILL, not by an error (which would prove nothing about crashes).
  expect(r.signal, `child stderr: ${r.stderr}`).toBe('SIGKILL');
}

async function sqliteHarness(): Promise<StorageHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'omega-storage-'));
  const path = join(dir, 'replica.db');
  const random = deterministicRandom(`sqlite-contract-${dir}`);
  const open = (secret: OperatorSecret = KEY_A) =>
    SqliteStorage.open({ path, operatorSecret: secret, create: true, random });
  const raw = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(path);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return Promise.resolve({
    open,
    crashDuringBatch(secret, ops) {
      runChild(dir, path, secret, ops, 'during');
      return Promise.resolve();
    },
    crashAfterBatch(secret, ops) {
      runChild(dir, path, secret, ops, 'after');
      return Promise.resolve();
    },
    bytesAtRest: () => filesAtRest(path),
    rawSwapSecrets(a, b) {
      raw((db) => {
        const get = (n: string) =>
          (db.prepare('SELECT sealed FROM secrets WHERE name = ?').get(n) as { sealed: Buffer }).sealed;
        const sa = get(a);
        const sb = get(b);
        db.prepare('UPDATE secrets SET sealed = ? WHERE name = ?').run(sb, a);
        db.prepare('UPDATE secrets SET sealed = ? WHERE name = ?').run(sa, b);
      });
    },
    rawCorruptSecret(name) {
      raw((db) => {
        const sealed = (
          db.prepare('SELECT sealed FROM secrets WHERE name = ?').get(name) as { sealed: Buffer }
        ).sealed;
        sealed[20]! ^= 1;
        db.prepare('UPDATE secrets SET sealed = ? WHERE name = ?').run(sealed, name);
      });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
}

storageContract('SqliteStorage', sqliteHarness);

async function expectCode(p: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<void> {
  let error: unknown;
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (e) {
    error = e;
  }
  expect(isOmegaError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

describe('SqliteStorage specifics', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'omega-sqlite-'));
    path = join(dir, 'replica.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = (extra: Partial<Parameters<typeof SqliteStorage.open>[0]> = {}) =>
    SqliteStorage.open({ path, operatorSecret: KEY_A, create: true, ...extra });

  it('runs in WAL mode with fsync on every commit and the exclusive lock', async () => {
    const s = await open();
    s.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('application_id', { simple: true })).toBe(0x4f4d4741);
    expect((db.prepare('SELECT version FROM schema_version').get() as { version: number }).version).toBe(
      SCHEMA_VERSION,
    );
    db.close();
  });

  it('the crash test really kills mid-transaction: staged pages reach the -wal file, yet none survive', async () => {
    const s = await open();
    s.close();
    const big: BatchOp[] = Array.from({ length: 40 }, (_, i) => ({
      op: 'put',
      namespace: 'bulk',
      key: Uint8Array.of(i),
      value: new Uint8Array(512 * 1024).fill(0xa5),
    }));
    runChild(dir, path, KEY_A, big, 'during');
    // 20 MiB staged exceeds the page cache (4 MiB, SQLITE_CACHE_KIB_DEFAULT), so SQLite spilled uncommitted frames into the WAL before dying.
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(1 << 20);
    const t = await open();
    expect(t.scan('bulk')).toEqual([]);
    t.close();
  });

  it('a deferred-durability batch survives a process crash right after it returns', async () => {
    const s = await open();
    s.close();
    runChild(
      dir,
      path,
      KEY_A,
      [{ op: 'put', namespace: 'replies', key: Uint8Array.of(7), value: bytesOf('sig') }],
      'after-deferred',
    );
    const t = await open();
    expect(t.get('replies', Uint8Array.of(7))).toEqual(bytesOf('sig'));
    t.close();
  });

  it('a deferred batch skips only its own fsync: the connection is back to synchronous=FULL after it, even when it fails', async () => {
    const s = await open();
    const db = (s as unknown as { backend: { db: Database.Database } }).backend.db;
    const FULL = 2;
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    s.batch([{ op: 'put', namespace: 'n', key: Uint8Array.of(1), value: bytesOf('v') }], {
      durability: 'deferred',
    });
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    expect(() =>
      s.batch([{ op: 'appendBlock', height: 5, block: bytesOf('b'), certificate: bytesOf('c') }], {
        durability: 'deferred',
      }),
    ).toThrow(expect.objectContaining({ code: 'BLOCK_HEIGHT_GAP' }) as Error);
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    expect(() => s.batch([], { durability: 'eventually' as 'sync' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error,
    );
    s.close();
  });

  it('memory stays bounded: the page cache is capped at 4 MiB however large the store grows', async () => {
    // better-sqlite3's own default is ≈ 16 MiB, which a replica's growing store filled over minutes.
    const s = await open();
    expect(s.pageCacheKiB()).toBe(SQLITE_CACHE_KIB_DEFAULT);
    expect(SQLITE_CACHE_KIB_DEFAULT).toBeLessThanOrEqual(4096);
    for (let h = 1; h <= 600; h++) s.appendBlock(h, new Uint8Array(16 * 1024).fill(h & 0xff), bytesOf('c'));
    expect(s.pageCacheKiB()).toBe(SQLITE_CACHE_KIB_DEFAULT);
    expect(s.getBlock(1)?.block[0]).toBe(1);
    s.close();
    const small = await open({ cacheKiB: 256 });
    expect(small.pageCacheKiB()).toBe(256);
    small.close();
    for (const cacheKiB of [0, 63, 1.5, 2 ** 21])
      await expect(open({ cacheKiB })).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
  });

  it('a full store rejects the write with STORAGE_FULL, applies none of it, and keeps serving', async () => {
    const s = await open({ maxPageCount: 64 }); // 256 KiB cap
    s.appendBlock(1, bytesOf('b1'), bytesOf('c1'));
    let error: unknown;
    try {
      s.batch([
        { op: 'putConsensusState', state: bytesOf('new') },
        { op: 'put', namespace: 'big', key: bytesOf('k'), value: new Uint8Array(1 << 20) },
      ]);
    } catch (e) {
      error = e;
    }
    expect(isOmegaError(error, 'STORAGE_FULL')).toBe(true);
    expect(s.getConsensusState()).toBeUndefined();
    expect(s.get('big', bytesOf('k'))).toBeUndefined();
    expect(s.getBlock(1)?.block).toEqual(bytesOf('b1'));
    s.appendBlock(2, bytesOf('b2'), bytesOf('c2'));
    expect(s.lastHeight()).toBe(2);
    s.close();
  });

  it('refuses to open a store without create, and a file that is not an Omega store', async () => {
    await expectCode(SqliteStorage.open({ path, operatorSecret: KEY_A }), 'INVALID_ARGUMENT');
    writeFileSync(path, 'this is not a database, just text that is long enough to be a header.....');
    await expectCode(open(), 'STORAGE_CORRUPT');
    rmSync(path);
    const other = new Database(path);
    other.exec('CREATE TABLE foreign_app (x)');
    other.close();
    await expectCode(open(), 'STORAGE_CORRUPT');
  });

  it('refuses a database written by a newer schema version (SCHEMA_TOO_NEW)', async () => {
    const s = await open();
    s.close();
    const db = new Database(path);
    db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 1);
    db.close();
    await expectCode(open(), 'SCHEMA_TOO_NEW');
  });

  it('applies pending migrations in order, once, in one transaction; a failing one applies none', () => {
    const db = new Database(join(dir, 'migrations.db'));
    const log: number[] = [];
    const v1: Migration = {
      version: 1,
      description: 'one',
      up: (d) => (log.push(1), d.exec('CREATE TABLE a (x)')),
    };
    const v2: Migration = {
      version: 2,
      description: 'two',
      up: (d) => (log.push(2), d.exec('CREATE TABLE b (x)')),
    };
    expect(applyMigrations(db, [v1])).toBe(0);
    expect(applyMigrations(db, [v1, v2])).toBe(1);
    expect(applyMigrations(db, [v1, v2])).toBe(2);
    expect(log).toEqual([1, 2]);
    const bad: Migration = {
      version: 3,
      description: 'fails',
      up: (d) => {
        d.exec('CREATE TABLE c (x)');
        throw new Error('migration bug');
      },
    };
    const v4: Migration = { version: 4, description: 'never', up: (d) => d.exec('CREATE TABLE d (x)') };
    expect(() => applyMigrations(db, [v1, v2, bad, v4])).toThrow('migration bug');
    expect((db.prepare('SELECT version FROM schema_version').get() as { version: number }).version).toBe(2);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'c'").get()).toBeUndefined();
    expect(() => applyMigrations(db, [v1])).toThrow(/SCHEMA_TOO_NEW/);
    db.close();
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('deleteSecret overwrites: the sealed bytes are in neither the database nor the -wal file afterwards', async () => {
    const s = await open();
    s.putSecret('share', bytesOf('a secret share'));
    s.close();
    const sealed = (() => {
      const db = new Database(path, { readonly: true });
      const row = db.prepare('SELECT sealed FROM secrets').get() as { sealed: Buffer };
      db.close();
      return new Uint8Array(row.sealed);
    })();
    expect(contains(filesAtRest(path), sealed)).toBe(true);
    const t = await open();
    expect(t.deleteSecret('share')).toBe(true);
    // Checked while the store is still open: the -wal file must not keep an old page image either.
    expect(contains(filesAtRest(path), sealed)).toBe(false);
    t.close();
    expect(contains(filesAtRest(path), sealed)).toBe(false);
  });

  it('no plaintext secret in the database or -wal file while the store is open', async () => {
    const s = await open();
    const secret = bytesOf('PLAINTEXT-SHARE-MUST-NOT-HIT-DISK');
    s.putSecret('share', secret);
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(contains(filesAtRest(path), secret)).toBe(false);
    expect(contains(filesAtRest(path), (KEY_A as { key: Uint8Array }).key)).toBe(false);
    s.close();
  });

  it('a passphrase store derives its key with scrypt and refuses a wrong passphrase', async () => {
    const pass: OperatorSecret = { kind: 'passphrase', passphrase: 'correct horse battery staple' };
    const s = await open({ operatorSecret: pass, scryptLogN: 10 });
    s.putSecret('share', bytesOf('x'));
    s.close();
    await expectCode(
      open({ operatorSecret: { kind: 'passphrase', passphrase: 'correct horse battery stapler' } }),
      'WRONG_OPERATOR_SECRET',
    );
    await expectCode(open({ operatorSecret: KEY_A }), 'WRONG_OPERATOR_SECRET');
    const t = await open({ operatorSecret: pass });
    expect(t.getSecret('share')).toEqual(bytesOf('x'));
    expect(contains(filesAtRest(path), bytesOf('correct horse'))).toBe(false);
    t.close();
  });

  it('operator key files: 32 bytes, mode 0600, refused when readable by others', () => {
    const keyPath = join(dir, 'operator.key');
    writeOperatorKeyFile(keyPath, deterministicRandom('key-file'));
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const secret = readOperatorKeyFile(keyPath);
    expect(secret.kind === 'keyFile' && secret.key.length).toBe(32);
    expect(() => writeOperatorKeyFile(keyPath)).toThrow();
    writeFileSync(join(dir, 'loose.key'), new Uint8Array(32), { mode: 0o644 });
    expect(() => readOperatorKeyFile(join(dir, 'loose.key'))).toThrow(/INVALID_ARGUMENT/);
    writeFileSync(join(dir, 'short.key'), new Uint8Array(31), { mode: 0o600 });
    expect(() => readOperatorKeyFile(join(dir, 'short.key'))).toThrow(/INVALID_LENGTH/);
  });
});
