/**
 * The etcd baseline of `npm run bench:cluster -- --baseline etcd` (docs/performance.md, "Cluster vs
 * etcd"): a 3-member etcd cluster on loopback (the Debian `etcd-server` package), written through its
 * v3 JSON gateway (`POST /v3/kv/put`, etcd docs "gRPC gateway"), so no etcd client library is needed.
 *
 * Each member gets its own data directory (etcd fsyncs its WAL per commit, as Omega's SQLite store does
 * per decision) and its own client and peer port. Writes go to the members in rotation; a follower
 * forwards to the leader, as a real client without leader discovery would see.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The etcd binary, or undefined if it is not installed. */
export function findEtcd(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

export interface EtcdCluster {
  readonly endpoints: readonly string[];
  readonly version: string;
  /** Process ids of the members (server CPU accounting). */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

export async function startEtcd(
  binary: string,
  dir: string,
  basePort: number,
  members = 3,
): Promise<EtcdCluster> {
  const names = Array.from({ length: members }, (_, i) => `m${i + 1}`);
  const peer = (i: number) => `http://127.0.0.1:${basePort + 2 * i + 1}`;
  const client = (i: number) => `http://127.0.0.1:${basePort + 2 * i}`;
  const initial = names.map((n, i) => `${n}=${peer(i)}`).join(',');
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'etcd';
  const procs: ChildProcess[] = [];
  const logs: string[] = [];
  for (let i = 0; i < members; i++) {
    const data = join(dir, `etcd-${names[i]}`);
    mkdirSync(data, { recursive: true });
    const p = spawn(
      binary,
      [
        '--name',
        names[i]!,
        '--data-dir',
        data,
        '--listen-client-urls',
        client(i),
        '--advertise-client-urls',
        client(i),
        '--listen-peer-urls',
        peer(i),
        '--initial-advertise-peer-urls',
        peer(i),
        '--initial-cluster',
        initial,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        `omega-bench-${basePort}`,
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    p.stderr.on('data', (d: Buffer) => {
      logs.push(d.toString());
      if (logs.length > 50) logs.shift();
    });
    procs.push(p);
  }
  const endpoints = names.map((_, i) => client(i));
  const stop = async () => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGTERM');
          }),
      ),
    );
  };
  // Healthy when every member answers /health true (a leader was elected and the member sees it).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await Promise.all(
      endpoints.map(async (e) => {
        try {
          const res = await fetch(`${e}/health`, { signal: AbortSignal.timeout(1_000) });
          return ((await res.json()) as { health?: string }).health === 'true';
        } catch {
          return false;
        }
      }),
    );
    if (ok.every(Boolean)) break;
    if (Date.now() > deadline || procs.some((p) => p.exitCode !== null)) {
      await stop();
      throw new Error(`etcd did not become healthy:\n${logs.join('').slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { endpoints, version, stop, pids: procs.flatMap((p) => (p.pid === undefined ? [] : [p.pid])) };
}

/** One durable write through the JSON gateway; true when etcd acknowledged it with a revision. */
export async function etcdPut(endpoint: string, key: string, value: Uint8Array): Promise<boolean> {
  const res = await fetch(`${endpoint}/v3/kv/put`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      key: Buffer.from(key).toString('base64'),
      value: Buffer.from(value).toString('base64'),
    }),
  });
  const body = (await res.json()) as { header?: { revision?: string } };
  return res.status === 200 && body.header?.revision !== undefined;
}
