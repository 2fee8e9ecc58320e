import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createCluster,
  loadClientFile,
  loadClusterConfig,
  loadReplicaConfig,
} from '../../src/runtime/config.js';
import { loadStoredIdentity } from '../../src/runtime/identity.js';
import { SqliteStorage } from '../../src/runtime/storage/sqlite.js';

describe('cluster configuration', () => {
  it('createCluster writes a 4-replica cluster whose files load and whose identities are sealed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omega-config-'));
    const out = await createCluster({ dir, replicas: 4, genesisTimeMs: 1_700_000_000_000 });
    const cluster = loadClusterConfig(out.clusterFile);
    expect(cluster.f).toBe(1);
    expect(cluster.replicas).toHaveLength(4);
    const client = loadClientFile(out.clientFile);
    expect(client.replicas.map((r) => r.url)).toEqual(cluster.replicas.map((r) => r.apiUrl));
    for (const [k, file] of out.replicaConfigs.entries()) {
      const loaded = loadReplicaConfig(file);
      expect(loaded.replica.index).toBe(k + 1);
      const store = await SqliteStorage.open({
        path: loaded.storePath,
        operatorSecret: { kind: 'keyFile', key: loaded.operatorKey },
      });
      const identity = loadStoredIdentity(store)!;
      store.close();
      expect(identity.publicKey).toEqual(cluster.replicas[k]!.publicKey);
      // The seed is sealed: it never appears in the clear in the database file.
      const db = readFileSync(loaded.storePath);
      expect(Buffer.from(db).includes(Buffer.from(identity.seed))).toBe(false);
    }
    await expect(createCluster({ dir, replicas: 4 })).rejects.toThrow(/already exists/);
  });

  it('rejects malformed and inconsistent files with INVALID_CONFIG naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omega-config-bad-'));
    const out = await createCluster({ dir, replicas: 4 });
    const original = JSON.parse(readFileSync(out.clusterFile, 'utf8'));
    const cases: [unknown, RegExp][] = [
      [{ ...original, extra: 1 }, /unknown field extra/],
      [{ ...original, f: 2 }, /cannot tolerate/],
      [{ ...original, version: 9 }, /unsupported version/],
      [{ ...original, replicas: [original.replicas[1], ...original.replicas.slice(1)] }, /by index/],
      [{ ...original, replicas: original.replicas.map((r: any) => ({ ...r, publicKey: 'zz' })) }, /hex/],
    ];
    for (const [content, message] of cases) {
      writeFileSync(out.clusterFile, JSON.stringify(content));
      expect(() => loadClusterConfig(out.clusterFile)).toThrowError(/INVALID_CONFIG/);
      expect(() => loadClusterConfig(out.clusterFile)).toThrowError(message);
    }
    writeFileSync(out.clusterFile, '{not json');
    expect(() => loadClusterConfig(out.clusterFile)).toThrowError(/not valid JSON/);
    expect(() => loadClusterConfig(join(dir, 'missing.json'))).toThrowError(/cannot read/);
  });
});
