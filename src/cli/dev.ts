/**
 * `omega dev`: a whole local cluster on loopback in the foreground (docs/operations.md, "omega dev").
 *
 * Each replica is its own process (`omega start --config DIR/replica-<i>/config.json`), so a replica
 * crash, its store lock and its signals behave exactly as in production. The supervisor forwards each
 * child's output line by line with a `[r<i>]` prefix on stderr (stdout carries only the summary, so
 * `--json` stays one JSON object), waits until every replica's `/readyz` answers 200, prints the
 * endpoints and the client file, and on SIGINT/SIGTERM stops the children: SIGTERM, then SIGKILL after
 * a grace period. Re-running on the same directory resumes the same cluster: each replica restores
 * its state from its own store (docs/replica.md, "Restart and catch-up").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createCluster, loadClusterConfig } from '../runtime/config.js';
import { OmegaError } from '../errors.js';
import type { CliIo } from './io.js';
import { EXIT } from './io.js';
import { agreedServiceKeys, pin, serviceKeysRows, type AgreedServiceKeys } from './service-keys.js';

export interface DevOptions {
  readonly dir: string;
  readonly replicas: number;
  /** Whether --replicas was given (then it must match a resumed cluster). */
  readonly replicasGiven: boolean;
  readonly apiBasePort: number;
  readonly meshBasePort: number;
  readonly readyTimeoutMs: number;
  readonly graceMs: number;
  readonly json: boolean;
}

interface Child {
  readonly index: number;
  readonly apiUrl: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The command line that runs one replica process: this CLI's `start` under the tsx loader. */
function replicaCommand(configFile: string): { file: string; args: string[] } {
  const main = fileURLToPath(new URL('./main.ts', import.meta.url));
  return {
    file: process.execPath,
    args: ['--import', import.meta.resolve('tsx'), main, 'start', '--config', configFile],
  };
}

function forward(stream: NodeJS.ReadableStream | null, prefix: string, io: CliIo): void {
  if (stream === null) return;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', (line) => io.err(`${prefix} ${line}\n`));
}

async function isReady(apiUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs the dev cluster until a signal or a replica's death; resolves with the exit code. */
export async function runDev(options: DevOptions, io: CliIo): Promise<number> {
  const dir = resolve(io.cwd, options.dir);
  const clusterFile = join(dir, 'cluster.json');
  let resumed = false;
  if (existsSync(clusterFile)) {
    resumed = true;
  } else {
    await createCluster({
      dir,
      replicas: options.replicas,
      apiBasePort: options.apiBasePort,
      meshBasePort: options.meshBasePort,
    });
  }
  const cluster = loadClusterConfig(clusterFile);
  const n = cluster.replicas.length;
  if (resumed && options.replicasGiven && options.replicas !== n)
    throw new OmegaError('USAGE', `the cluster in ${dir} has ${n} replicas, not ${options.replicas}`);
  io.err(
    `omega dev: ${resumed ? 'resuming' : 'created'} cluster ${cluster.chainId} (n = ${n}, f = ${cluster.f}) in ${dir}\n`,
  );

  const children: Child[] = cluster.replicas.map((m) => {
    const { file, args } = replicaCommand(join(dir, `replica-${m.index}`, 'config.json'));
    const proc = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: io.cwd, env: process.env });
    forward(proc.stdout, `[r${m.index}]`, io);
    forward(proc.stderr, `[r${m.index}]`, io);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      proc.on('exit', (code, signal) => res({ code, signal }));
      proc.on('error', () => res({ code: null, signal: null }));
    });
    return { index: m.index, apiUrl: m.apiUrl.replace(/\/+$/, ''), proc, exited };
  });

  let stopping = false;
  let signalled: () => void = () => undefined;
  const signal = new Promise<void>((res) => (signalled = res));
  const onSignal = () => {
    if (!stopping) signalled();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const firstDeath = Promise.race(children.map((c) => c.exited.then((e) => ({ child: c, ...e }))));

  const stopAll = async (): Promise<boolean> => {
    stopping = true;
    for (const c of children)
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const c of children)
        if (c.proc.exitCode === null && c.proc.signalCode === null) {
          io.err(`omega dev: replica ${c.index} did not stop within ${options.graceMs} ms; killing it\n`);
          c.proc.kill('SIGKILL');
        }
    }, options.graceMs);
    const results = await Promise.all(children.map((c) => c.exited));
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    return results.every((r) => r.code === 0);
  };

  let agreed: AgreedServiceKeys | undefined;
  // Wait for readiness and the DKG, a signal, or a replica's death, whichever comes first.
  const deadline = Date.now() + options.readyTimeoutMs;
  const waitReady = (async () => {
    const pending = new Set(children);
    while (pending.size > 0 && !stopping) {
      if (Date.now() > deadline) return false;
      for (const c of [...pending]) if (await isReady(c.apiUrl)) pending.delete(c);
      if (pending.size > 0) await sleep(250);
    }
    if (pending.size > 0) return false;
    // Bootstrap DKG (docs/service-keys.md): wait until f+1 replicas report the same service keys, then pin
    // them in client.json so the SDK and the CLI accept only replies signed by the service key.
    let lastPhase = '';
    while (!stopping) {
      if (Date.now() > deadline) return false;
      const rows = await serviceKeysRows(join(dir, 'client.json'), 2_000);
      agreed = agreedServiceKeys(rows, cluster.f);
      if (agreed !== undefined) return true;
      const phases = [...new Set(rows.map((r) => r.phase ?? 'unreachable'))].join(', ');
      if (phases !== lastPhase) io.err(`omega dev: service keys: ${phases}\n`);
      lastPhase = phases;
      await sleep(250);
    }
    return false;
  })();
  const first = await Promise.race([
    waitReady.then((ok) => (ok ? ('ready' as const) : ('timeout' as const))),
    signal.then(() => 'signal' as const),
    firstDeath.then(() => 'death' as const),
  ]);
  if (first !== 'ready') {
    if (first === 'timeout')
      io.err(
        `omega dev: the cluster was not ready with its service keys within ${options.readyTimeoutMs} ms\n`,
      );
    if (first === 'death') {
      const d = await firstDeath;
      io.err(
        `omega dev: replica ${d.child.index} exited (code ${d.code}, signal ${d.signal}) before the cluster was ready\n`,
      );
    }
    const clean = await stopAll();
    return first === 'signal' && clean ? EXIT.OK : EXIT.FAILED;
  }

  const clientFile = join(dir, 'client.json');
  const keys = agreed!;
  pin(clientFile, keys);
  const summary = {
    chainId: cluster.chainId,
    n,
    f: cluster.f,
    dir,
    clientFile,
    resumed,
    replicas: children.map((c) => ({ index: c.index, apiUrl: c.apiUrl, pid: c.proc.pid ?? null })),
    serviceKeys: { epoch: keys.keys.epoch, fingerprints: keys.fingerprints },
  };
  if (options.json) io.out(`${JSON.stringify(summary)}\n`);
  else {
    io.out(`Omega dev cluster ready: ${n} replicas, f = ${cluster.f}, chain ${cluster.chainId}\n`);
    for (const c of children) io.out(`  replica ${c.index}  ${c.apiUrl}\n`);
    io.out(`Service keys (pinned in the client file; compare these fingerprints out of band):\n`);
    io.out(`  signing      ${keys.fingerprints.signing}\n`);
    io.out(`  ibe          ${keys.fingerprints.ibe}\n`);
    io.out(`  certificate  ${keys.fingerprints.certificate}\n`);
    io.out(`Client file: ${clientFile}\n`);
    io.out(`Try:  npm run omega -- ping --cluster ${clientFile}\n`);
    io.out(`      npm run omega -- status --cluster ${clientFile}\n`);
    io.out('Press Ctrl-C to stop; run again to resume this cluster.\n');
  }

  const end = await Promise.race([
    signal.then(() => 'signal' as const),
    firstDeath.then(() => 'death' as const),
  ]);
  if (end === 'death') {
    const d = await firstDeath;
    io.err(
      `omega dev: replica ${d.child.index} exited (code ${d.code}, signal ${d.signal}); stopping the cluster\n`,
    );
    await stopAll();
    return EXIT.FAILED;
  }
  io.err('omega dev: stopping replicas\n');
  const clean = await stopAll();
  io.err(`omega dev: stopped${clean ? '' : ' (some replica did not exit cleanly)'}\n`);
  return clean ? EXIT.OK : EXIT.FAILED;
}
