import { describe, expect, it } from 'vitest';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { isOmegaError } from '../../src/errors.js';
import { MemoryDisk, MemoryStorage, type OperatorSecret } from '../../src/runtime/storage/index.js';
import { KEY_A, bytesOf, storageContract, type StorageHarness } from './storage.contract.js';

function memoryHarness(): Promise<StorageHarness> {
  const disk = new MemoryDisk();
  const random = deterministicRandom('memory-storage-contract');
  const open = (secret: OperatorSecret = KEY_A) =>
    MemoryStorage.open(disk, { operatorSecret: secret, random });
  return Promise.resolve({
    open,
    async crashDuringBatch(secret, ops) {
      const crashing: { s?: MemoryStorage } = {};
      const s = await MemoryStorage.open(disk, {
        operatorSecret: secret,
        random,
        hooks: { beforeCommit: () => crashing.s!.crash() },
      });
      crashing.s = s;
      let error: unknown;
      try {
        s.batch(ops);
      } catch (e) {
        error = e;
      }
      expect(isOmegaError(error, 'STORAGE_CLOSED')).toBe(true);
    },
    async crashAfterBatch(secret, ops) {
      const s = await open(secret);
      s.batch(ops);
      s.crash();
    },
    bytesAtRest: () => disk.bytesAtRest(),
    rawSwapSecrets(a, b) {
      const sa = disk.secrets.get(a)!;
      disk.secrets.set(a, disk.secrets.get(b)!);
      disk.secrets.set(b, sa);
    },
    rawCorruptSecret(name) {
      disk.secrets.get(name)![20]! ^= 1;
    },
    cleanup: () => Promise.resolve(),
  });
}

storageContract('MemoryStorage', memoryHarness);

describe('MemoryStorage simulator behaviour', () => {
  it('crash() outside a transaction loses nothing committed and frees the disk for a reopen', async () => {
    const disk = new MemoryDisk();
    const random = deterministicRandom('memory-crash');
    const s = await MemoryStorage.open(disk, { operatorSecret: KEY_A, random });
    s.appendBlock(1, bytesOf('b1'), bytesOf('c1'));
    s.crash();
    const t = await MemoryStorage.open(disk, { operatorSecret: KEY_A, random });
    expect(t.getBlock(1)?.block).toEqual(bytesOf('b1'));
    t.close();
  });

  it('the same seed gives the same disk image (replayable simulator runs)', async () => {
    async function image(): Promise<Uint8Array> {
      const disk = new MemoryDisk();
      const s = await MemoryStorage.open(disk, {
        operatorSecret: KEY_A,
        random: deterministicRandom('seed-7'),
      });
      s.putSecret('share', bytesOf('s'));
      s.appendBlock(1, bytesOf('b'), bytesOf('c'));
      s.close();
      return disk.bytesAtRest();
    }
    expect(await image()).toEqual(await image());
  });
});
