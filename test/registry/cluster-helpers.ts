/** Shared by the registry's cluster tests: an in-process cluster past its DKG, and clients for it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromHex } from '../../src/crypto/bytes.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import {
  startReplica,
  type RunningReplica,
  type StartReplicaOptions,
} from '../../src/runtime/replica/index.js';
import { OmegaClient, RegistryClient, type AdminSigner } from '../../src/sdk/index.js';
import { makeTestCluster, silentLogger, type TestCluster } from '../runtime/replica-helpers.js';

export const FAST = { logger: silentLogger, tickMs: 10, meshLimits: { reconnectMaxMs: 500 } } as const;

export async function until<T>(f: () => T | undefined | Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** n in-process replicas (per-replica extra options), returned once every one holds its DKG shares. */
export async function registryCluster(
  name: string,
  extra: (index: number) => Partial<StartReplicaOptions> = () => ({}),
): Promise<{ cluster: TestCluster; replicas: RunningReplica[] }> {
  const cluster = await makeTestCluster(4, name);
  const replicas = await Promise.all(
    cluster.configs.map((c) => startReplica(c, { ...FAST, ...extra(c.replica.index) })),
  );
  await until(
    () => (replicas.every((r) => r.node.isReady() && r.node.serviceKeys().holdsShares) ? true : undefined),
    60_000,
  );
  return { cluster, replicas };
}

/** A registry client pinned to the cluster's service signing key. */
export function pinnedRegistry(
  cluster: TestCluster,
  replicas: readonly RunningReplica[],
  seed: string,
): RegistryClient {
  const cfg = cluster.configs[0]!.cluster;
  const random = deterministicRandom(seed);
  const client = new OmegaClient({
    cluster: {
      chainId: cfg.chainId,
      f: cfg.f,
      replicas: replicas.map((r) => ({
        index: r.index,
        url: r.apiUrl,
        publicKey: cfg.replicas[r.index - 1]!.publicKey,
      })),
      servicePublicKey: replicas[0]!.node.serviceKeys().keys!.signing.publicKey,
    },
    secretKey: random(32),
    random,
    timeoutMs: 30_000,
    hedgeMs: 500,
  });
  return new RegistryClient(client, cfg.chainId);
}

/** Administrator i's signer, from the key file `omega init` wrote. */
export function adminSigner(cluster: TestCluster, i: number): AdminSigner {
  const seed = fromHex(readFileSync(join(cluster.dir, 'cluster', 'admins', `admin-${i}.key`), 'utf8').trim());
  return { publicKey: ed25519.getPublicKey(seed), sign: (m) => ed25519.sign(m, seed) };
}
