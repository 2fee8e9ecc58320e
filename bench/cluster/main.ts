/**
 * `npm run bench:cluster`: ordered null requests (SDK ping, accepted on one reply carrying the service's threshold
 * signature: omega dev pins the DKG key)
 * against 4 replica processes on this machine, at client concurrency 1, 16 and 64.
 *
 * It runs `omega dev` as a child process on free ports in a temporary directory (so it measures exactly
 * what a user runs), waits for its ready line, drives pings for a fixed time per concurrency level
 * (bounded in time and count), prints requests/s and p50/p99 latency, then stops the cluster with
 * SIGINT. The floor is an unordered HTTP round trip (`GET /healthz` to one replica) at the same
 * concurrency, measured in the same run: the ratio is what ordering, signing and f+1 voting cost on top
 * of one HTTP exchange.
 *
 * `--registry` measures the registry's operations instead (bench/cluster/registry.ts); `--baseline etcd`
 * compares the write path with etcd.
 *
 * Environment: BENCH_CLUSTER_MS (time per level, default 5000), BENCH_CLUSTER_MAX (requests per level,
 * default 20000).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { OmegaClient, blsBackendVerify } from '../../src/sdk/index.js';
import { loadBlsBackend } from '../../src/crypto/bls/index.js';
import { loadClientFile } from '../../src/runtime/config.js';
import { etcdPut, findEtcd, startEtcd } from './etcd.js';
import { registryBench } from './registry.js';

const LEVEL_MS = Number(process.env.BENCH_CLUSTER_MS ?? 5_000);
const LEVEL_MAX = Number(process.env.BENCH_CLUSTER_MAX ?? 20_000);
const CONCURRENCY = [1, 16, 64];
const N = 4;

async function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** A base port p with p .. p+count-1 all free. */
async function freeBase(count: number, avoid: number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    if (avoid.some((a) => Math.abs(a - base) < count)) continue;
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no free port range');
}

interface LevelResult {
  concurrency: number;
  ok: number;
  notOk: number;
  seconds: number;
  p50: number;
  p99: number;
  /** Distinct heights the ok requests were decided at (batching: ok / heights requests per block). */
  heights: number;
}

/** An op's outcome: false = not ok; true or a height = ok (the height, when known, counts blocks). */
type OpResult = boolean | number;

async function drive(concurrency: number, op: () => Promise<OpResult>): Promise<LevelResult> {
  const heights = new Set<number>();
  const latencies: number[] = [];
  let notOk = 0;
  let issued = 0;
  const start = performance.now();
  const deadline = start + LEVEL_MS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && issued < LEVEL_MAX) {
        issued++;
        const t0 = performance.now();
        const r = await op();
        if (r === false) notOk++;
        else {
          latencies.push(performance.now() - t0);
          if (typeof r === 'number') heights.add(r);
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    concurrency,
    ok: latencies.length,
    notOk,
    seconds,
    p50: q(0.5),
    p99: q(0.99),
    heights: heights.size,
  };
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

interface OmegaDev {
  readonly client: OmegaClient;
  /** The cluster directory (client file, admin keys). */
  readonly dir: string;
  readonly chainId: string;
  readonly healthz: string;
  /** Process ids of the replica processes (for CPU accounting). */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

/** `omega dev` with N replica processes on free ports in a temporary directory. */
async function startOmega(): Promise<OmegaDev> {
  const dir = mkdtempSync(join(tmpdir(), 'omega-bench-cluster-'));
  const apiBase = await freeBase(N);
  const meshBase = await freeBase(N, [apiBase]);
  const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const args = ['--import', import.meta.resolve('tsx'), cli, 'dev', '--dir', dir, '--replicas', String(N)];
  args.push('--api-base-port', String(apiBase), '--mesh-base-port', String(meshBase), '--json');
  const dev = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const devExit = new Promise<number | null>((res) => dev.on('exit', (code) => res(code)));
  let log = '';
  dev.stderr.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  });
  const stop = async () => {
    dev.kill('SIGINT');
    const code = await devExit;
    rmSync(dir, { recursive: true, force: true });
    if (code !== 0) console.error(`omega dev exited with ${code}:\n${log.slice(-4000)}`);
  };
  try {
    const ready = await new Promise<string>((res, rej) => {
      createInterface({ input: dev.stdout }).once('line', res);
      void devExit.then((code) => rej(new Error(`omega dev exited (${code}) before ready:\n${log}`)));
    });
    const { clientFile, replicas } = JSON.parse(ready) as {
      clientFile: string;
      replicas: { pid: number | null }[];
    };
    const cluster = loadClientFile(clientFile);
    const client = new OmegaClient({
      cluster,
      secretKey: OmegaClient.generateSecretKey(),
      timeoutMs: 30_000,
      // Native-speed certificate checks (mcl-wasm), as a Node application would configure the SDK.
      blsVerify: blsBackendVerify(await loadBlsBackend()),
    });
    // Warm up (JIT, connections) before measuring.
    for (let i = 0; i < 20; i++) await client.ping();
    const pids = replicas.flatMap((r) => (r.pid === null ? [] : [r.pid]));
    return {
      client,
      dir,
      chainId: cluster.chainId,
      healthz: `${cluster.replicas[0]!.url}/healthz`,
      pids,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * CPU time (user + system, ms) the processes used so far, from /proc/<pid>/stat (fields 14–15, in clock
 * ticks of 10 ms); NaN where /proc is not available. CPU per request is the figure a loaded, shared
 * machine distorts least: throughput there depends on what else runs, CPU per request much less.
 */
function cpuMs(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return NaN;
    }
  }
  return total;
}

/** Runs `level` and returns it with the replicas' and this client's CPU ms per ok request. */
async function withCpu(
  pids: readonly number[],
  level: () => Promise<LevelResult>,
): Promise<LevelResult & { replicaCpuMs: number; clientCpuMs: number }> {
  const r0 = cpuMs(pids);
  const c0 = process.cpuUsage();
  const r = await level();
  const c = process.cpuUsage(c0);
  const ok = Math.max(1, r.ok);
  return { ...r, replicaCpuMs: (cpuMs(pids) - r0) / ok, clientCpuMs: (c.user + c.system) / 1000 / ok };
}

/** The write each request carries in both systems: a 16-byte value. */
const VALUE_BYTES = 16;

async function main(): Promise<void> {
  const omega = await startOmega();
  try {
    console.log(
      `\n### Cluster: ordered null requests, ${N} replica processes (omega dev), one client process\n`,
    );
    console.log(`${LEVEL_MS} ms per level, at most ${LEVEL_MAX} requests per level.\n`);
    console.log(
      '| concurrency | ok req/s | p50 ms | p99 ms | not ok | requests/block | CPU ms/req: replicas | client | floor: GET /healthz req/s | floor p50 ms | p50 ratio |',
    );
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const c of CONCURRENCY) {
      const floor = await drive(c, async () => {
        const res = await fetch(omega.healthz);
        await res.arrayBuffer();
        return res.status === 200;
      });
      const r = await withCpu(omega.pids, () =>
        drive(c, async () => {
          const o = await omega.client.ping(randomBytes(VALUE_BYTES));
          return o.outcome === 'ok' ? o.result.height : false;
        }),
      );
      console.log(
        `| ${c} | ${fmt(r.ok / r.seconds)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.notOk} | ${fmt(r.ok / Math.max(1, r.heights))} | ${fmt(r.replicaCpuMs)} | ${fmt(r.clientCpuMs)} | ${fmt(floor.ok / floor.seconds)} | ${fmt(floor.p50)} | ${fmt(r.p50 / floor.p50)}× |`,
      );
    }
  } finally {
    await omega.stop();
  }
}

/**
 * `--baseline etcd`: the same write workload (one 16-byte value per request, C concurrent loops, one
 * client process) against a 3-member etcd cluster, then against the 4-replica Omega cluster, one system
 * at a time so they never share the CPU. The ratio is Omega's throughput over etcd's (target ≥ 0.5×).
 */
async function baselineEtcd(): Promise<void> {
  const binary = findEtcd();
  if (binary === undefined) {
    console.log(
      'etcd is not installed: skipping the etcd baseline. Install it with `apt-get install -y etcd-server etcd-client` (Debian) and run `npm run bench:cluster -- --baseline etcd` again.',
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'omega-bench-etcd-'));
  const etcdResults: (LevelResult & { replicaCpuMs: number; clientCpuMs: number })[] = [];
  let version = 'etcd';
  try {
    const etcd = await startEtcd(binary, dir, await freeBase(6));
    version = etcd.version;
    try {
      let k = 0;
      for (let i = 0; i < 20; i++)
        await etcdPut(etcd.endpoints[i % 3]!, `warm/${i}`, randomBytes(VALUE_BYTES));
      for (const c of CONCURRENCY) {
        etcdResults.push(
          await withCpu(etcd.pids, () =>
            drive(c, () => {
              const i = k++;
              return etcdPut(
                etcd.endpoints[i % etcd.endpoints.length]!,
                `bench/${c}/${i}`,
                randomBytes(VALUE_BYTES),
              );
            }),
          ),
        );
      }
    } finally {
      await etcd.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const omegaResults: (LevelResult & { replicaCpuMs: number; clientCpuMs: number })[] = [];
  const omega = await startOmega();
  try {
    for (const c of CONCURRENCY) {
      omegaResults.push(
        await withCpu(omega.pids, () =>
          drive(c, async () => {
            const o = await omega.client.ping(randomBytes(VALUE_BYTES));
            return o.outcome === 'ok' ? o.result.height : false;
          }),
        ),
      );
    }
  } finally {
    await omega.stop();
  }
  console.log(
    `\n### Cluster vs etcd: durable replicated writes, ${VALUE_BYTES}-byte values, one client process\n`,
  );
  console.log(
    `etcd: ${version}, 3 members on loopback, \`POST /v3/kv/put\` round-robin over members. Omega: ${N} replica processes (omega dev), SDK ping accepted on one reply certified by the service key (threshold BLS, checked with mcl-wasm). Server CPU: all member / replica processes; client CPU: this process. ${LEVEL_MS} ms per level.\n`,
  );
  console.log(
    '| concurrency | etcd req/s | etcd p50 ms | etcd p99 ms | Omega req/s | Omega p50 ms | Omega p99 ms | not ok (etcd/Omega) | server CPU ms/write etcd / Omega | client CPU ms/write etcd / Omega | Omega / etcd throughput |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  CONCURRENCY.forEach((c, i) => {
    const e = etcdResults[i]!;
    const o = omegaResults[i]!;
    const ratio = o.ok / o.seconds / (e.ok / e.seconds);
    console.log(
      `| ${c} | ${fmt(e.ok / e.seconds)} | ${fmt(e.p50)} | ${fmt(e.p99)} | ${fmt(o.ok / o.seconds)} | ${fmt(o.p50)} | ${fmt(o.p99)} | ${e.notOk}/${o.notOk} | ${fmt(e.replicaCpuMs)} / ${fmt(o.replicaCpuMs)} | ${fmt(e.clientCpuMs)} / ${fmt(o.clientCpuMs)} | ${fmt(ratio)}× ${ratio >= 0.5 ? '✓' : '✗'} ≥ 0.5× |`,
    );
  });
}

const { values } = parseArgs({
  options: { baseline: { type: 'string' }, registry: { type: 'boolean' } },
  strict: true,
});
if (values.registry === true) {
  const omega = await startOmega();
  try {
    const principals = Number(process.env.BENCH_REGISTRY_PRINCIPALS ?? 20);
    await registryBench(omega.client, omega.chainId, omega.dir, { principals, concurrency: 1 });
    await registryBench(omega.client, omega.chainId, omega.dir, { principals, concurrency: 8 });
  } finally {
    await omega.stop();
  }
} else if (values.baseline === undefined) await main();
else if (values.baseline === 'etcd') await baselineEtcd();
else throw new Error(`unknown baseline ${values.baseline}; known: etcd`);
