/**
 * The storage contract (STYLE.md practice 9): one suite, run against MemoryStorage
 * (storage.memory.test.ts) and SqliteStorage (storage.sqlite.test.ts). Every expectation here is part of
 * the `Storage` interface contract in src/runtime/storage/types.ts.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/bytes.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { isOmegaError, type ErrorCode } from '../../src/errors.js';
import type { BatchOp, OperatorSecret, Storage } from '../../src/runtime/storage/index.js';

export interface StorageHarness {
  /** Opens (creating on first use) the store under test. */
  open(secret?: OperatorSecret): Promise<Storage>;
  /** With the store closed: a writer stages `ops` and dies before the commit. */
  crashDuringBatch(secret: OperatorSecret, ops: BatchOp[]): Promise<void>;
  /** With the store closed: a writer commits `ops` and then dies (no clean close). */
  crashAfterBatch(secret: OperatorSecret, ops: BatchOp[]): Promise<void>;
  /** Every byte the store holds at rest (store closed). */
  bytesAtRest(): Uint8Array;
  /** With the store closed: swap the sealed bytes of two secrets behind the store's back. */
  rawSwapSecrets(a: string, b: string): void;
  /** With the store closed: flip one bit of a secret's sealed bytes. */
  rawCorruptSecret(name: string): void;
  cleanup(): Promise<void>;
}

export const KEY_A: OperatorSecret = { kind: 'keyFile', key: deterministicRandom('operator-key-a')(32) };
export const KEY_B: OperatorSecret = { kind: 'keyFile', key: deterministicRandom('operator-key-b')(32) };

export function bytesOf(s: string): Uint8Array {
  return utf8(s);
}

export function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return (
    Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(Buffer.from(needle)) >= 0
  );
}

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

export function storageContract(name: string, makeHarness: () => Promise<StorageHarness>): void {
  describe(`Storage contract: ${name}`, () => {
    let h: StorageHarness;
    let s: Storage;

    beforeEach(async () => {
      h = await makeHarness();
      s = await h.open(KEY_A);
    });
    afterEach(async () => {
      s.close();
      await h.cleanup();
    });

    async function reopen(secret: OperatorSecret = KEY_A): Promise<Storage> {
      s.close();
      s = await h.open(secret);
      return s;
    }

    it('an empty store has no state, no blocks, no snapshot, no WAL, no secrets', () => {
      expect(s.lastHeight()).toBe(0);
      expect(s.getConsensusState()).toBeUndefined();
      expect(s.latestSnapshot()).toBeUndefined();
      expect(s.readWal()).toEqual([]);
      expect(s.secretNames()).toEqual([]);
      expect(s.getBlock(1)).toBeUndefined();
      expect(s.storeId.length).toBe(16);
    });

    it('consensus state is replaced and survives a reopen', async () => {
      s.putConsensusState(bytesOf('state-1'));
      s.putConsensusState(bytesOf('state-2'));
      await reopen();
      expect(s.getConsensusState()).toEqual(bytesOf('state-2'));
    });

    it('the consensus WAL keeps order, numbers entries increasingly, and truncates', async () => {
      const a = s.appendWal(bytesOf('a'));
      const b = s.appendWal(bytesOf('b'));
      expect(b).toBeGreaterThan(a);
      await reopen();
      expect(s.readWal()).toEqual([bytesOf('a'), bytesOf('b')]);
      s.truncateWal();
      expect(s.readWal()).toEqual([]);
      s.appendWal(bytesOf('c'));
      await reopen();
      expect(s.readWal()).toEqual([bytesOf('c')]);
    });

    it('blocks append at lastHeight + 1 only (height continuity)', async () => {
      for (let hgt = 1; hgt <= 5; hgt++) s.appendBlock(hgt, bytesOf(`block-${hgt}`), bytesOf(`cert-${hgt}`));
      expect(s.lastHeight()).toBe(5);
      await expectCode(() => s.appendBlock(7, bytesOf('x'), bytesOf('y')), 'BLOCK_HEIGHT_GAP');
      await expectCode(() => s.appendBlock(5, bytesOf('x'), bytesOf('y')), 'BLOCK_HEIGHT_GAP');
      await expectCode(() => s.appendBlock(0, bytesOf('x'), bytesOf('y')), 'OUT_OF_RANGE');
      await expectCode(() => s.appendBlock(1.5, bytesOf('x'), bytesOf('y')), 'OUT_OF_RANGE');
      await reopen();
      expect(s.lastHeight()).toBe(5);
      expect(s.getBlock(3)).toEqual({ height: 3, block: bytesOf('block-3'), certificate: bytesOf('cert-3') });
      expect(s.getBlock(5)?.block).toEqual(bytesOf('block-5'));
      expect(s.getBlock(6)).toBeUndefined();
    });

    it('block range reads respect maxCount and maxBytes but always return the first block', () => {
      for (let hgt = 1; hgt <= 10; hgt++)
        s.appendBlock(hgt, new Uint8Array(100).fill(hgt), new Uint8Array(10));
      expect(s.getBlocks(3, 4, 1 << 20).map((b) => b.height)).toEqual([3, 4, 5, 6]);
      expect(s.getBlocks(1, 100, 330).map((b) => b.height)).toEqual([1, 2, 3]);
      expect(s.getBlocks(9, 100, 1).map((b) => b.height)).toEqual([9]);
      expect(s.getBlocks(11, 10, 1000)).toEqual([]);
      expect(s.getBlocks(2, 0, 1000)).toEqual([]);
    });

    it('a snapshot installed by state sync moves lastHeight; block reads stop at the hole below it', async () => {
      s.appendBlock(1, bytesOf('b1'), bytesOf('c1'));
      s.appendBlock(2, bytesOf('b2'), bytesOf('c2'));
      s.putSnapshot(10, bytesOf('state@10'));
      expect(s.lastHeight()).toBe(10);
      await expectCode(() => s.appendBlock(3, bytesOf('b3'), bytesOf('c3')), 'BLOCK_HEIGHT_GAP');
      s.appendBlock(11, bytesOf('b11'), bytesOf('c11'));
      await reopen();
      expect(s.lastHeight()).toBe(11);
      expect(s.latestSnapshot()).toEqual({ height: 10, snapshot: bytesOf('state@10') });
      expect(s.getBlocks(1, 100, 1 << 20).map((b) => b.height)).toEqual([1, 2]);
      expect(s.getBlocks(11, 100, 1 << 20).map((b) => b.height)).toEqual([11]);
    });

    it('snapshot heights must increase and only the newest two are kept', async () => {
      s.putSnapshot(5, bytesOf('SNAPSHOT-AT-HEIGHT-5'));
      await expectCode(() => s.putSnapshot(5, bytesOf('again')), 'INVALID_ARGUMENT');
      await expectCode(() => s.putSnapshot(3, bytesOf('older')), 'INVALID_ARGUMENT');
      s.putSnapshot(8, bytesOf('s8'));
      s.putSnapshot(9, bytesOf('s9'));
      await reopen();
      expect(s.latestSnapshot()).toEqual({ height: 9, snapshot: bytesOf('s9') });
      s.close();
      expect(contains(h.bytesAtRest(), bytesOf('SNAPSHOT-AT-HEIGHT-5'))).toBe(false);
      s = await h.open(KEY_A);
    });

    it('blocks are pruned only below a snapshot that covers them', async () => {
      for (let hgt = 1; hgt <= 6; hgt++) s.appendBlock(hgt, bytesOf(`b${hgt}`), bytesOf(`c${hgt}`));
      expect(s.firstBlockHeight()).toBe(1);
      await expectCode(() => s.pruneBlocksBelow(4), 'INVALID_ARGUMENT'); // no snapshot yet
      s.putSnapshot(3, bytesOf('state@3'));
      await expectCode(() => s.pruneBlocksBelow(5), 'INVALID_ARGUMENT'); // state@4 would be lost
      expect(s.pruneBlocksBelow(4)).toBe(3);
      await reopen();
      expect(s.firstBlockHeight()).toBe(4);
      expect(s.getBlock(3)).toBeUndefined();
      expect(s.getBlocks(2, 10, 1 << 20)).toEqual([]);
      expect(s.getBlocks(4, 10, 1 << 20).map((b) => b.height)).toEqual([4, 5, 6]);
      expect(s.lastHeight()).toBe(6);
      s.batch([
        { op: 'putSnapshot', height: 6, snapshot: bytesOf('state@6') },
        { op: 'pruneBlocksBelow', height: 7 },
      ]);
      expect(s.firstBlockHeight()).toBe(0);
      expect(s.lastHeight()).toBe(6);
      s.appendBlock(7, bytesOf('b7'), bytesOf('c7'));
      expect(s.firstBlockHeight()).toBe(7);
    });

    it('index namespaces are separate key spaces with bytewise-ordered scans', async () => {
      const keys = [
        Uint8Array.of(),
        Uint8Array.of(0x00),
        Uint8Array.of(0x01, 0xff),
        Uint8Array.of(0x01),
        Uint8Array.of(0xff),
        Uint8Array.of(0xff, 0xff),
        Uint8Array.of(0x01, 0x00),
      ];
      keys.forEach((k, i) => s.put('idx/a', k, Uint8Array.of(i)));
      s.put('idx/b', Uint8Array.of(0x01), bytesOf('other namespace'));
      await reopen();
      const all = s.scan('idx/a').map((e) => [...e.key]);
      expect(all).toEqual([[], [0x00], [0x01], [0x01, 0x00], [0x01, 0xff], [0xff], [0xff, 0xff]]);
      expect(s.scan('idx/a', { prefix: Uint8Array.of(0x01) }).map((e) => [...e.key])).toEqual([
        [0x01],
        [0x01, 0x00],
        [0x01, 0xff],
      ]);
      expect(s.scan('idx/a', { prefix: Uint8Array.of(0xff) }).map((e) => [...e.key])).toEqual([
        [0xff],
        [0xff, 0xff],
      ]);
      expect(s.scan('idx/a', { after: Uint8Array.of(0x01), limit: 2 }).map((e) => [...e.key])).toEqual([
        [0x01, 0x00],
        [0x01, 0xff],
      ]);
      expect(s.get('idx/b', Uint8Array.of(0x01))).toEqual(bytesOf('other namespace'));
      expect(s.delete('idx/a', Uint8Array.of(0x01))).toBe(true);
      expect(s.delete('idx/a', Uint8Array.of(0x01))).toBe(false);
      expect(s.get('idx/a', Uint8Array.of(0x01))).toBeUndefined();
      expect(s.get('idx/b', Uint8Array.of(0x01))).toEqual(bytesOf('other namespace'));
    });

    it('index scans agree with a model map for random operation sequences (seed 5)', () => {
      const keyArb = fc.uint8Array({ minLength: 0, maxLength: 3, max: 3 }).map((k) => k.map((b) => b * 85));
      const opArb = fc.oneof(
        fc.record({ kind: fc.constant('put' as const), key: keyArb, value: fc.uint8Array({ maxLength: 4 }) }),
        fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
      );
      let round = 0;
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 30 }), keyArb, (ops, prefix) => {
          const ns = `model/${round++}`;
          const model = new Map<string, Uint8Array>();
          for (const op of ops) {
            const hex = Buffer.from(op.key).toString('hex');
            if (op.kind === 'put') {
              s.put(ns, op.key, op.value);
              model.set(hex, op.value);
            } else {
              expect(s.delete(ns, op.key)).toBe(model.delete(hex));
            }
          }
          const expected = [...model.entries()]
            .map(([k, v]) => ({ key: Uint8Array.from(Buffer.from(k, 'hex')), value: v }))
            .filter((e) => Buffer.from(e.key).subarray(0, prefix.length).equals(Buffer.from(prefix)))
            .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
          expect(s.scan(ns, { prefix })).toEqual(expected);
        }),
        { seed: 5, numRuns: 40 },
      );
    });

    it('random batches, valid or not, leave the store equal to a model of committed state (seed 17)', async () => {
      interface Model {
        blocks: Map<number, string>;
        snapshot: number;
        state: string | undefined;
        kv: Map<string, string>;
        secrets: Map<string, string>;
      }
      const model: Model = {
        blocks: new Map(),
        snapshot: 0,
        state: undefined,
        kv: new Map(),
        secrets: new Map(),
      };
      const last = (m: Model) => Math.max(m.snapshot, ...m.blocks.keys(), 0);
      const opArb = fc.oneof(
        fc.record({
          op: fc.constant('appendBlock' as const),
          delta: fc.integer({ min: 0, max: 2 }),
          tag: fc.nat(99),
        }),
        fc.record({
          op: fc.constant('putSnapshot' as const),
          delta: fc.integer({ min: -1, max: 2 }),
          tag: fc.nat(99),
        }),
        fc.record({ op: fc.constant('put' as const), key: fc.nat(5), tag: fc.nat(99) }),
        fc.record({ op: fc.constant('delete' as const), key: fc.nat(5) }),
        fc.record({ op: fc.constant('putConsensusState' as const), tag: fc.nat(99) }),
        fc.record({ op: fc.constant('putSecret' as const), key: fc.nat(3), tag: fc.nat(99) }),
        fc.record({ op: fc.constant('deleteSecret' as const), key: fc.nat(3) }),
      );
      const batches = fc.sample(
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 25, maxLength: 25 }),
        {
          seed: 17,
          numRuns: 1,
        },
      )[0]!;
      let step = 0;
      for (const batch of batches) {
        // Translate against a scratch copy of the model: that copy is the expected state if the batch commits.
        const next: Model = {
          blocks: new Map(model.blocks),
          snapshot: model.snapshot,
          state: model.state,
          kv: new Map(model.kv),
          secrets: new Map(model.secrets),
        };
        let valid = true;
        const ops: BatchOp[] = batch.map((o): BatchOp => {
          switch (o.op) {
            case 'appendBlock': {
              const height = Math.max(1, last(next) + o.delta);
              if (height !== last(next) + 1) valid = false;
              else next.blocks.set(height, `b${o.tag}`);
              return { op: 'appendBlock', height, block: bytesOf(`b${o.tag}`), certificate: bytesOf('c') };
            }
            case 'putSnapshot': {
              const height = Math.max(1, last(next) + o.delta);
              if (height <= next.snapshot) valid = false;
              else next.snapshot = height;
              return { op: 'putSnapshot', height, snapshot: bytesOf(`s${o.tag}`) };
            }
            case 'put':
              next.kv.set(`k${o.key}`, `v${o.tag}`);
              return {
                op: 'put',
                namespace: 'model',
                key: bytesOf(`k${o.key}`),
                value: bytesOf(`v${o.tag}`),
              };
            case 'delete':
              next.kv.delete(`k${o.key}`);
              return { op: 'delete', namespace: 'model', key: bytesOf(`k${o.key}`) };
            case 'putConsensusState':
              next.state = `st${o.tag}`;
              return { op: 'putConsensusState', state: bytesOf(`st${o.tag}`) };
            case 'putSecret':
              next.secrets.set(`sec${o.key}`, `x${o.tag}`);
              return { op: 'putSecret', name: `sec${o.key}`, secret: bytesOf(`x${o.tag}`) };
            case 'deleteSecret':
              next.secrets.delete(`sec${o.key}`);
              return { op: 'deleteSecret', name: `sec${o.key}` };
          }
        });
        let threw = false;
        try {
          s.batch(ops);
        } catch (e) {
          threw = true;
          expect(isOmegaError(e), `step ${step}: ${String(e)}`).toBe(true);
        }
        expect(threw, `step ${step}: batch ${JSON.stringify(batch)} valid=${valid}`).toBe(!valid);
        if (valid) Object.assign(model, next);
        if (++step % 8 === 0) await reopen();
        const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString());
        expect(s.lastHeight(), `step ${step}`).toBe(last(model));
        expect(dec(s.getConsensusState())).toBe(model.state);
        for (const [h, tag] of model.blocks) expect(dec(s.getBlock(h)?.block)).toBe(tag);
        expect(new Map(s.scan('model').map((e) => [dec(e.key)!, dec(e.value)!]))).toEqual(model.kv);
        expect(s.secretNames()).toEqual([...model.secrets.keys()].sort());
        for (const [name, v] of model.secrets) expect(dec(s.getSecret(name))).toBe(v);
      }
    });

    it('a batch is all-or-nothing: one bad op leaves every earlier op of the batch unapplied', async () => {
      s.appendBlock(1, bytesOf('b1'), bytesOf('c1'));
      const bad: BatchOp[] = [
        { op: 'put', namespace: 'idx', key: bytesOf('k'), value: bytesOf('v') },
        { op: 'putConsensusState', state: bytesOf('new state') },
        { op: 'putSecret', name: 'share/1', secret: bytesOf('secret share') },
        { op: 'appendBlock', height: 2, block: bytesOf('b2'), certificate: bytesOf('c2') },
        { op: 'appendBlock', height: 4, block: bytesOf('b4'), certificate: bytesOf('c4') },
      ];
      await expectCode(() => s.batch(bad), 'BLOCK_HEIGHT_GAP');
      expect(s.get('idx', bytesOf('k'))).toBeUndefined();
      expect(s.getConsensusState()).toBeUndefined();
      expect(s.getSecret('share/1')).toBeUndefined();
      expect(s.lastHeight()).toBe(1);
      s.batch(
        bad
          .slice(0, 4)
          .concat([{ op: 'appendBlock', height: 3, block: bytesOf('b3'), certificate: bytesOf('c3') }]),
      );
      await reopen();
      expect(s.lastHeight()).toBe(3);
      expect(s.get('idx', bytesOf('k'))).toEqual(bytesOf('v'));
      expect(s.getSecret('share/1')).toEqual(bytesOf('secret share'));
    });

    it('rejects malformed arguments with their documented codes and changes nothing', async () => {
      await expectCode(() => s.put('Bad Namespace', bytesOf('k'), bytesOf('v')), 'INVALID_ARGUMENT');
      await expectCode(() => s.put('', bytesOf('k'), bytesOf('v')), 'INVALID_ARGUMENT');
      await expectCode(() => s.put('idx', 'not bytes' as any, bytesOf('v')), 'INVALID_ARGUMENT');
      await expectCode(() => s.put('idx', new Uint8Array(1025), bytesOf('v')), 'LIMIT_EXCEEDED');
      await expectCode(() => s.putSecret('../etc/passwd', bytesOf('v')), 'INVALID_ARGUMENT');
      await expectCode(() => s.putSecret('ok', new Uint8Array((1 << 20) + 1)), 'LIMIT_EXCEEDED');
      await expectCode(() => s.batch([{ op: 'nope' } as any]), 'INVALID_ARGUMENT');
      await expectCode(() => s.batch(null as any), 'INVALID_ARGUMENT');
      await expectCode(() => s.getBlocks(1, -1, 10), 'OUT_OF_RANGE');
      await expectCode(() => s.getBlocks(1, 1_000_000, 10), 'LIMIT_EXCEEDED');
      await expectCode(() => s.scan('idx', { limit: 1.5 }), 'OUT_OF_RANGE');
      expect(s.scan('idx')).toEqual([]);
      expect(s.secretNames()).toEqual([]);
    });

    it('stored bytes are copies: mutating inputs or outputs does not change the store', () => {
      const v = bytesOf('value');
      s.put('idx', bytesOf('k'), v);
      v[0] = 0;
      const got = s.get('idx', bytesOf('k'))!;
      expect(got).toEqual(bytesOf('value'));
      got[0] = 0;
      expect(s.get('idx', bytesOf('k'))).toEqual(bytesOf('value'));
      const secret = bytesOf('secret');
      s.putSecret('x', secret);
      secret.fill(0);
      expect(s.getSecret('x')).toEqual(bytesOf('secret'));
    });

    it('secrets round-trip through the sealed store and survive a reopen', async () => {
      s.putSecret('identity/ed25519', bytesOf('identity seed 32 bytes ........'));
      s.putSecret('epoch/3/share', bytesOf('share of epoch 3'));
      await reopen();
      expect(s.secretNames()).toEqual(['epoch/3/share', 'identity/ed25519']);
      expect(s.getSecret('identity/ed25519')).toEqual(bytesOf('identity seed 32 bytes ........'));
      expect(s.deleteSecret('epoch/3/share')).toBe(true);
      expect(s.deleteSecret('epoch/3/share')).toBe(false);
      await reopen();
      expect(s.getSecret('epoch/3/share')).toBeUndefined();
      expect(s.secretNames()).toEqual(['identity/ed25519']);
    });

    it('no secret is ever at rest in the clear', () => {
      const secret = bytesOf('TOP-SECRET-SHARE-0123456789abcdef');
      s.putSecret('epoch/1/share', secret);
      s.batch([
        { op: 'putSecret', name: 'epoch/1/epoch-key', secret: bytesOf('EPOCH-KEY-fedcba9876543210') },
      ]);
      s.close();
      const disk = h.bytesAtRest();
      expect(disk.length).toBeGreaterThan(0);
      expect(contains(disk, secret)).toBe(false);
      expect(contains(disk, bytesOf('EPOCH-KEY-fedcba9876543210'))).toBe(false);
      if (KEY_A.kind === 'keyFile') expect(contains(disk, KEY_A.key)).toBe(false);
    });

    it('a wrong operator secret is refused at open (WRONG_OPERATOR_SECRET), never garbage', async () => {
      s.putSecret('k', bytesOf('v'));
      s.close();
      await expectCode(h.open(KEY_B), 'WRONG_OPERATOR_SECRET');
      await expectCode(h.open({ kind: 'passphrase', passphrase: 'hunter2' }), 'WRONG_OPERATOR_SECRET');
      s = await h.open(KEY_A);
      expect(s.getSecret('k')).toEqual(bytesOf('v'));
    });

    it('sealed secrets are bound to their name: swapped blobs do not open (DECRYPTION_FAILED)', async () => {
      s.putSecret('share/a', bytesOf('secret a'));
      s.putSecret('share/b', bytesOf('secret b'));
      s.close();
      h.rawSwapSecrets('share/a', 'share/b');
      s = await h.open(KEY_A);
      await expectCode(() => s.getSecret('share/a'), 'DECRYPTION_FAILED');
      await expectCode(() => s.getSecret('share/b'), 'DECRYPTION_FAILED');
    });

    it('a tampered sealed secret does not open (DECRYPTION_FAILED)', async () => {
      s.putSecret('share/a', bytesOf('secret a'));
      s.close();
      h.rawCorruptSecret('share/a');
      s = await h.open(KEY_A);
      await expectCode(() => s.getSecret('share/a'), 'DECRYPTION_FAILED');
    });

    it('a crash between write and commit leaves none of the batch', async () => {
      s.appendBlock(1, bytesOf('b1'), bytesOf('c1'));
      s.putConsensusState(bytesOf('state before'));
      s.close();
      const big = new Uint8Array(512 * 1024).fill(7);
      await h.crashDuringBatch(KEY_A, [
        { op: 'putConsensusState', state: bytesOf('state after') },
        { op: 'appendBlock', height: 2, block: big, certificate: bytesOf('c2') },
        { op: 'appendWal', entry: bytesOf('wal entry') },
        { op: 'put', namespace: 'idx', key: bytesOf('k'), value: big },
        { op: 'putSecret', name: 'share/x', secret: bytesOf('x') },
        ...Array.from({ length: 8 }, (_, i): BatchOp => ({
          op: 'put',
          namespace: 'bulk',
          key: Uint8Array.of(i),
          value: new Uint8Array(256 * 1024).fill(i),
        })),
      ]);
      s = await h.open(KEY_A);
      expect(s.lastHeight()).toBe(1);
      expect(s.getConsensusState()).toEqual(bytesOf('state before'));
      expect(s.readWal()).toEqual([]);
      expect(s.get('idx', bytesOf('k'))).toBeUndefined();
      expect(s.scan('bulk')).toEqual([]);
      expect(s.getSecret('share/x')).toBeUndefined();
      // The store is fully usable after recovery.
      s.appendBlock(2, bytesOf('b2'), bytesOf('c2'));
      expect(s.lastHeight()).toBe(2);
    });

    it('a crash after commit keeps all of the batch (durable on return)', async () => {
      s.close();
      await h.crashAfterBatch(KEY_A, [
        { op: 'putConsensusState', state: bytesOf('signed prevote h1 r0') },
        { op: 'appendBlock', height: 1, block: bytesOf('b1'), certificate: bytesOf('c1') },
        { op: 'putSecret', name: 'share/x', secret: bytesOf('x') },
      ]);
      s = await h.open(KEY_A);
      expect(s.getConsensusState()).toEqual(bytesOf('signed prevote h1 r0'));
      expect(s.lastHeight()).toBe(1);
      expect(s.getSecret('share/x')).toEqual(bytesOf('x'));
    });

    it('one process per store: a second open is refused (STORAGE_LOCKED)', async () => {
      await expectCode(h.open(KEY_A), 'STORAGE_LOCKED');
      s.put('idx', bytesOf('still'), bytesOf('works'));
      expect(s.get('idx', bytesOf('still'))).toEqual(bytesOf('works'));
    });

    it('every call after close throws STORAGE_CLOSED', async () => {
      s.close();
      s.close();
      await expectCode(() => s.lastHeight(), 'STORAGE_CLOSED');
      await expectCode(() => s.putConsensusState(bytesOf('x')), 'STORAGE_CLOSED');
      await expectCode(() => s.getSecret('x'), 'STORAGE_CLOSED');
      s = await h.open(KEY_A);
    });
  });
}
