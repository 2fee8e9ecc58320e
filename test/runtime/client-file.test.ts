/** client.json may pin the service public key (docs/replies.md); it is parsed strictly. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { isOmegaError } from '../../src/errors.js';
import { createCluster, loadClientFile } from '../../src/runtime/config.js';
import { OmegaClient } from '../../src/sdk/index.js';

const dir = mkdtempSync(join(tmpdir(), 'omega-client-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('client.json servicePublicKey', () => {
  it('is optional, loads into ClusterConfig.servicePublicKey, and the SDK accepts the result', async () => {
    const { clientFile } = await createCluster({ dir: join(dir, 'c'), replicas: 4, genesisTimeMs: 1 });
    expect(loadClientFile(clientFile).servicePublicKey).toBeUndefined();
    const pk = bls12_381.shortSignatures.getPublicKey(new Uint8Array(32).fill(7)).toBytes();
    const json = JSON.parse(readFileSync(clientFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(clientFile, JSON.stringify({ ...json, servicePublicKey: toHex(pk) }));
    const cluster = loadClientFile(clientFile);
    expect(cluster.servicePublicKey).toEqual(pk);
    expect(() => new OmegaClient({ cluster, secretKey: new Uint8Array(32) })).not.toThrow();
    for (const bad of [toHex(pk).toUpperCase(), toHex(pk).slice(2), 42, toHex(new Uint8Array(48))]) {
      writeFileSync(clientFile, JSON.stringify({ ...json, servicePublicKey: bad }));
      let code = 'none';
      try {
        loadClientFile(clientFile);
      } catch (e) {
        if (isOmegaError(e)) code = e.code;
      }
      expect(code, String(bad)).toBe('INVALID_CONFIG');
    }
  });
});
