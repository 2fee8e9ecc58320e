/**
 * Storage benchmarks (docs/storage.md, docs/performance.md "Runtime storage").
 *
 * Floors, measured in the same run on the same disk:
 * - a durable write is bounded by one fdatasync: the floor is `write` + `fdatasync` of the same bytes to a
 *   plain file (what any durable log must pay at least once per commit);
 * - a read is bounded by the driver: the floor is the same SELECT through better-sqlite3 directly;
 * - sealing is bounded by AES-256-GCM: the floor is one node:crypto seal of the same bytes.
 */
import Database from 'better-sqlite3';
import { createCipheriv, randomBytes } from 'node:crypto';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStorage } from '../src/runtime/storage/index.js';
import { measure, printTable } from './harness.js';

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'omega-bench-storage-'));
  try {
    const path = join(dir, 'replica.db');
    const s = await SqliteStorage.open({
      path,
      create: true,
      operatorSecret: { kind: 'keyFile', key: new Uint8Array(randomBytes(32)) },
    });
    const fd = openSync(join(dir, 'floor.log'), 'w');

    const state = new Uint8Array(randomBytes(256));
    const floorState = await measure('write+fdatasync 256 B', () => {
      writeSync(fd, state);
      fdatasyncSync(fd);
    });
    // A fresh value each time: SQLite skips writing a page whose content does not change, and an unchanged
    // record would then commit without an fsync.
    let round = 0;
    const stateView = new DataView(state.buffer);
    const putState = await measure('putConsensusState 256 B (durable)', () => {
      stateView.setUint32(0, round++);
      s.putConsensusState(state);
    });

    const block = new Uint8Array(randomBytes(16 * 1024));
    const cert = new Uint8Array(randomBytes(4 * 1024));
    const both = new Uint8Array(block.length + cert.length);
    const floorBlock = await measure('write+fdatasync 20 KiB', () => {
      writeSync(fd, both);
      fdatasyncSync(fd);
    });
    let height = s.lastHeight();
    const append = await measure('appendBlock 16 KiB + 4 KiB cert (durable)', () => {
      s.appendBlock(++height, block, cert);
    });

    const value = new Uint8Array(randomBytes(200));
    let k = 0;
    const batch100 = await measure('batch of 100 index puts (one commit)', () => {
      const ops = [];
      for (let i = 0; i < 100; i++) {
        const key = new Uint8Array(8);
        new DataView(key.buffer).setUint32(4, k++);
        ops.push({ op: 'put' as const, namespace: 'bench', key, value });
      }
      s.batch(ops);
    });

    // Reads: our layer against the bare driver on a second, read-only file with the same rows.
    let r = 0;
    const getBlock = await measure('getBlock (random height)', () => {
      s.getBlock(1 + (r++ % height));
    });
    s.close();
    const raw = new Database(path, { readonly: true });
    const stmt = raw.prepare('SELECT height, block, certificate FROM blocks WHERE height = ?');
    const rawGet = await measure('better-sqlite3 SELECT block', () => {
      stmt.get(1 + (r++ % height));
    });
    raw.close();

    const t = await SqliteStorage.open({
      path: join(dir, 'secrets.db'),
      create: true,
      operatorSecret: { kind: 'keyFile', key: new Uint8Array(randomBytes(32)) },
    });
    const secret = new Uint8Array(randomBytes(32));
    t.putSecret('share', secret);
    const getSecret = await measure('getSecret 32 B (open sealed)', () => t.getSecret('share'));
    const key = randomBytes(32);
    const sealFloor = await measure('AES-256-GCM seal 32 B', () => {
      const c = createCipheriv('aes-256-gcm', key, randomBytes(12));
      c.update(secret);
      c.final();
      c.getAuthTag();
    });
    t.close();
    closeSync(fd);

    printTable('Storage (SQLite, WAL, synchronous=FULL)', [
      { name: putState.name, m: putState, floor: floorState, target: 3 },
      { name: append.name, m: append, floor: floorBlock, target: 3 },
      { name: batch100.name, m: batch100, floor: floorBlock },
      { name: getBlock.name, m: getBlock, floor: rawGet, target: 2 },
      { name: getSecret.name, m: getSecret, floor: sealFloor },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
