/** Shared helpers of the replica tests: free ports, a cluster directory, an SDK client for it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { createCluster, loadReplicaConfig, type LoadedReplicaConfig } from '../../src/runtime/config.js';
import type { ReplicaLogger } from '../../src/runtime/replica/index.js';
import { OmegaClient } from '../../src/sdk/index.js';

export const silentLogger: ReplicaLogger = { info() {}, warn() {}, error() {} };

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A base port such that base .. base+count−1 are free now. createCluster fixes mesh ports in cluster.json
 * (peers dial them), so an ephemeral port cannot be used; a random base below the ephemeral range is
 * tried and retried.
 */
export async function freePortBase(count: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    // Below Linux's ephemeral range (32768–60999): outgoing connections of this or any other process
    // never take these ports between the check and the listen.
    const base = 10_000 + Math.floor(Math.random() * (32_000 - 10_000 - count));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no free port range found');
}

export interface TestCluster {
  readonly dir: string;
  readonly configFiles: readonly string[];
  readonly configs: readonly LoadedReplicaConfig[];
  remove(): void;
}

/** A fresh n-replica cluster directory on loopback with free API and mesh ports. */
export async function makeTestCluster(n: number, name: string): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), `omega-${name}-`));
  const base = await freePortBase(2 * n);
  const { replicaConfigs } = await createCluster({
    dir: join(dir, 'cluster'),
    replicas: n,
    apiBasePort: base,
    meshBasePort: base + n,
    chainId: `omega-${name}`,
    genesisTimeMs: Date.now() - 60_000,
  });
  return {
    dir,
    configFiles: replicaConfigs,
    configs: replicaConfigs.map((f) => loadReplicaConfig(f)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An SDK client for the cluster, talking to the given API URLs (index → URL). */
export function clientFor(
  configs: readonly LoadedReplicaConfig[],
  urls: ReadonlyMap<number, string>,
  seed: string,
  timeoutMs = 10_000,
): OmegaClient {
  const cluster = configs[0]!.cluster;
  const random = deterministicRandom(seed);
  return new OmegaClient({
    cluster: {
      chainId: cluster.chainId,
      f: cluster.f,
      replicas: cluster.replicas.map((r) => ({
        index: r.index,
        url: urls.get(r.index) ?? r.apiUrl,
        publicKey: r.publicKey,
      })),
    },
    secretKey: random(32),
    random,
    timeoutMs,
    hedgeMs: 500,
  });
}

// ── replica processes (src/runtime/replica/main.ts) ──────────────────────────────────────────────

export interface Proc {
  readonly child: ChildProcess;
  readonly apiUrl: string;
  readonly stderr: string[];
}

/** The replica process entry, run under tsx. */
const MAIN = 'src/runtime/replica/main.ts';

/** Starts a replica process; `fullLog` receives every stderr chunk (the default keeps the last 200). */
export function spawnReplica(configFile: string, fullLog?: string[]): Promise<Proc> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--config', configFile, '--tick-ms', '10', '--reconnect-max-ms', '300'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr.push(d);
    fullLog?.push(d);
    if (stderr.length > 200) stderr.shift();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`replica did not start: ${stderr.join('')}`)), 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) return;
      clearTimeout(timer);
      const ready = JSON.parse(line) as { apiUrl: string };
      resolve({ child, apiUrl: ready.apiUrl, stderr });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited with ${String(code)}: ${stderr.join('')}`));
    });
  });
}

export function stop(p: Proc, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
    p.child.once('exit', () => resolve());
    p.child.kill(signal);
  });
}

export async function height(url: string): Promise<number> {
  const res = await fetch(`${url}/v1/status`);
  return ((await res.json()) as { height: number }).height;
}

export async function ready(url: string): Promise<boolean> {
  return (await fetch(`${url}/readyz`)).status === 200;
}

export async function until(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
