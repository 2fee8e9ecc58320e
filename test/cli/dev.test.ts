import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'omega-dev-'));
const running: ChildProcess[] = [];
afterAll(() => {
  for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

async function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** A base p with p..p+3 free; the seed of the search is printed if none is found. */
async function freeBase(avoid: number): Promise<number> {
  // Below Linux's ephemeral port range (32768–60999), so outgoing connections never take these ports.
  for (let base = 10_000 + (process.pid % 997) * 20; base < 32_000; base += 40) {
    if (Math.abs(base - avoid) < 4) continue;
    const free = await Promise.all([0, 1, 2, 3].map((k) => portFree(base + k)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no free port range (pid ${process.pid})`);
}

interface Dev {
  proc: ChildProcess;
  ready: {
    clientFile: string;
    resumed: boolean;
    replicas: { index: number; apiUrl: string }[];
    serviceKeys: { epoch: number; fingerprints: Record<string, string> };
  };
  exit: Promise<number | null>;
  log: () => string;
}

async function startDev(args: string[]): Promise<Dev> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'dev', '--json', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(proc);
  let log = '';
  proc.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8_000)));
  const exit = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  const line = await new Promise<string>((res, rej) => {
    createInterface({ input: proc.stdout }).once('line', res);
    void exit.then((code) => rej(new Error(`omega dev exited ${code} before ready:\n${log}`)));
  });
  return { proc, ready: JSON.parse(line) as Dev['ready'], exit, log: () => log };
}

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd: tmp });
  return { code, out, err };
}

describe('omega dev (4 replica processes)', () => {
  it('serves status and ping, stops cleanly on SIGINT, and resumes at a height at least the previous', async () => {
    const api = await freeBase(-100);
    const mesh = await freeBase(api);
    const dir = join(tmp, 'cluster');
    const ports = ['--api-base-port', String(api), '--mesh-base-port', String(mesh)];
    const first = await startDev(['--dir', dir, ...ports]);
    expect(first.ready.resumed).toBe(false);
    expect(first.ready.replicas.map((r) => r.apiUrl)).toEqual(
      [0, 1, 2, 3].map((k) => `http://127.0.0.1:${api + k}`),
    );

    const status = await cli(['status', '--cluster', first.ready.clientFile, '--json']);
    expect(status.code, status.err).toBe(0);
    const rows = (
      JSON.parse(status.out) as { replicas: { reachable: boolean; height: number; peers: number }[] }
    ).replicas;
    expect(rows.every((r) => r.reachable && r.height >= 0 && r.peers >= 2)).toBe(true);
    // The bootstrap DKG finished before `dev` reported ready; its keys are pinned in the client file and
    // status shows the same fingerprints.
    const shown = (JSON.parse(status.out) as { serviceKeys: { fingerprints: Record<string, string> } })
      .serviceKeys;
    expect(shown.fingerprints).toEqual(first.ready.serviceKeys.fingerprints);
    const pinned = JSON.parse(readFileSync(first.ready.clientFile, 'utf8')) as {
      service: { signing: string; epoch: number };
    };
    expect(pinned.service.signing).toMatch(/^[0-9a-f]{192}$/);

    const ping = await cli(['ping', '--cluster', dir, '--json']);
    expect(ping.code, `${ping.out}${ping.err}\n${first.log()}`).toBe(0);
    const pong = JSON.parse(ping.out) as {
      outcome: string;
      height: number;
      signers: number[];
      certified: boolean;
    };
    expect(pong.outcome).toBe('ok');
    // The key is pinned: one reply certified by the service's threshold signature decides (docs/replies.md).
    expect(pong.certified).toBe(true);
    expect(pong.signers).toHaveLength(1);

    first.proc.kill('SIGINT');
    expect(await first.exit, first.log()).toBe(0);
    // Stopped: nothing answers any more.
    expect((await cli(['status', '--cluster', dir, '--timeout', '500'])).code).toBe(3);

    const second = await startDev(['--dir', dir]);
    expect(second.ready.resumed).toBe(true);
    // Restarted replicas recompute their shares from the log and their sealed epoch keys: same keys,
    // every replica holds its shares again, nothing was transferred.
    expect(second.ready.serviceKeys.fingerprints).toEqual(first.ready.serviceKeys.fingerprints);
    const keys = await cli(['service-keys', '--cluster', dir, '--json']);
    expect(keys.code, keys.err).toBe(0);
    const dkg = (JSON.parse(keys.out) as { dkg: { holdsShares: boolean }[] }).dkg;
    expect(dkg.map((r) => r.holdsShares)).toEqual([true, true, true, true]);
    const again = await cli(['ping', '--cluster', dir, '--json']);
    expect(again.code, `${again.out}${again.err}\n${second.log()}`).toBe(0);
    const pong2 = JSON.parse(again.out) as { height: number; certified: boolean };
    expect(pong2.height).toBeGreaterThanOrEqual(pong.height);
    // After the restart the replicas sign with the shares they recomputed from the log.
    expect(pong2.certified).toBe(true);
    second.proc.kill('SIGTERM');
    expect(await second.exit, second.log()).toBe(0);
  }, 240_000);
});
