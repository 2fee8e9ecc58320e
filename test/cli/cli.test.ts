import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, runCli } from '../../src/cli/cli.js';
import { loadClientFile, loadClusterConfig, loadReplicaConfig } from '../../src/runtime/config.js';

const tmp = mkdtempSync(join(tmpdir(), 'omega-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env, cwd: tmp });
  return { code, out, err };
}

const EXPECTED_OPTIONS: Record<string, string[]> = {
  init: [
    '--replicas',
    '--dir',
    '--hosts',
    '--api-base-port',
    '--mesh-base-port',
    '--admins',
    '--admin-threshold',
    '--json',
  ],
  start: ['--config', '--json'],
  dev: ['--replicas', '--dir', '--api-base-port', '--mesh-base-port', '--json'],
  status: ['--cluster', '--timeout', '--json'],
  ping: ['--cluster', '--key', '--timeout', '--json'],
  'service-keys': ['--cluster', '--wait', '--pin', '--timeout', '--json'],
  'ca cert': ['--cluster', '--out', '--timeout'],
  audit: ['--cluster', '--client-key', '--timeout', '--json'],
  'key watch': ['--all', '--history', '--max-events', '--cluster', '--json'],
  crl: ['--cluster', '--out', '--timeout'],
  'admin authorize': ['--key', '--admin-key', '--cluster', '--client-key', '--json'],
  'admin add': ['--admin-key', '--cluster', '--json'],
  'admin remove': ['--admin-key', '--cluster', '--json'],
  'admin set-policy': ['--threshold', '--cert-lifetime-ms', '--crl-lifetime-ms', '--admin-key', '--json'],
  'key register': ['--key', '--private-key', '--cluster', '--client-key', '--json'],
  'key lookup': ['--type', '--out', '--cluster', '--client-key', '--json'],
  'key revoke': ['--key', '--private-key', '--admin-key', '--reason', '--cluster', '--json'],
};

describe('omega --help', () => {
  it('lists every command and the exit codes, exit 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const name of COMMAND_NAMES) expect(r.out).toContain(`  ${name} `);
    expect(r.out).toContain('2 usage error');
  });

  it('documents every command with --help, exit 0', async () => {
    expect([...COMMAND_NAMES].sort()).toEqual(Object.keys(EXPECTED_OPTIONS).sort());
    for (const name of COMMAND_NAMES) {
      const r = await run([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.out, name).toContain(`Usage: omega ${name}`);
      for (const opt of EXPECTED_OPTIONS[name]!) expect(r.out, `${name} ${opt}`).toContain(opt);
    }
  });
});

describe('the installed omega command (bin/omega.js)', () => {
  const bin = fileURLToPath(new URL('../../bin/omega.js', import.meta.url));
  it('runs the CLI from the TypeScript sources and sets the process exit code', () => {
    const help = spawnSync(process.execPath, [bin, 'status', '--help'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: omega status');
    const bad = spawnSync(process.execPath, [bin, 'frobnicate', '--json'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: 'USAGE' } });
  });
});

describe('usage errors exit 2 with code USAGE', () => {
  const cases: [string, string[]][] = [
    ['no command', []],
    ['unknown command', ['frobnicate']],
    ['unknown option', ['init', '--replicas', '4', '--dir', 'x', '--bogus']],
    ['missing --replicas', ['init', '--dir', 'x']],
    ['missing --dir', ['init', '--replicas', '4']],
    ['non-integer --replicas', ['init', '--replicas', 'four', '--dir', 'x']],
    ['out-of-range --replicas', ['init', '--replicas', '0', '--dir', 'x']],
    ['wrong number of --hosts', ['init', '--replicas', '4', '--dir', 'x', '--hosts', 'a,b']],
    ['stray positional argument', ['status', 'extra']],
    ['missing option value', ['ping', '--cluster']],
    ['missing --config', ['start']],
    ['no cluster for status', ['status']],
  ];
  for (const [what, argv] of cases) {
    it(what, async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      if (argv.length > 0) expect(r.err).toMatch(/^error USAGE: /);
    });
  }

  it('--json prints the error as one JSON object', async () => {
    const r = await run(['init', '--replicas', 'x', '--dir', 'y', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toMatchObject({ error: { code: 'USAGE' } });
  });
});

describe('omega init', () => {
  it('writes a cluster whose every file loads', async () => {
    const r = await run(['init', '--replicas', '4', '--dir', 'c1', '--api-base-port', '17001', '--json']);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as {
      clusterFile: string;
      clientFile: string;
      replicaConfigs: string[];
      f: number;
    };
    expect(out.f).toBe(1);
    const cluster = loadClusterConfig(out.clusterFile);
    expect(cluster.replicas).toHaveLength(4);
    const client = loadClientFile(join(tmp, 'c1', 'client.json'));
    expect(client.replicas.map((x) => x.url)).toEqual(
      [1, 2, 3, 4].map((i) => `http://127.0.0.1:${17000 + i}`),
    );
    for (const [k, file] of out.replicaConfigs.entries()) {
      const loaded = loadReplicaConfig(file);
      expect(loaded.replica.index).toBe(k + 1);
      expect(statSync(join(tmp, 'c1', `replica-${k + 1}`, 'operator.key')).mode & 0o077).toBe(0);
      expect(readFileSync(join(tmp, 'c1', `replica-${k + 1}`, 'tls-cert.pem'), 'utf8')).toContain(
        'BEGIN CERTIFICATE',
      );
    }
  });

  it('uses one host per replica when --hosts names n hosts', async () => {
    const r = await run([
      'init',
      '--replicas',
      '4',
      '--dir',
      'c2',
      '--hosts',
      'a.example,b.example,c.example,d.example',
    ]);
    expect(r.code, r.err).toBe(0);
    const cluster = loadClusterConfig(join(tmp, 'c2', 'cluster.json'));
    expect(cluster.replicas.map((m) => m.mesh.host)).toEqual([
      'a.example',
      'b.example',
      'c.example',
      'd.example',
    ]);
  });

  it('refuses to overwrite an existing cluster (exit 1, nothing changed)', async () => {
    const before = readFileSync(join(tmp, 'c1', 'cluster.json'), 'utf8');
    const r = await run(['init', '--replicas', '7', '--dir', 'c1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error INVALID_ARGUMENT: .*refusing to overwrite/);
    expect(readFileSync(join(tmp, 'c1', 'cluster.json'), 'utf8')).toBe(before);
  });
});

describe('omega start', () => {
  it('rejects a missing config file with INVALID_CONFIG (exit 1)', async () => {
    const r = await run(['start', '--config', 'nowhere/config.json']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error INVALID_CONFIG: .*cannot read/);
  });
});

describe('omega dev on an existing cluster', () => {
  it('refuses a --replicas that contradicts the cluster it would resume (exit 2, nothing started)', async () => {
    const r = await run(['dev', '--dir', 'c1', '--replicas', '7']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/error USAGE: .*has 4 replicas, not 7/);
  });
});

describe('cluster discovery and client key', () => {
  it('status with every replica down exits 3 CLUSTER_UNREACHABLE, via --cluster DIR or OMEGA_CLUSTER', async () => {
    // c1's ports 17001.. have no listener.
    const a = await run(['status', '--cluster', 'c1', '--timeout', '500', '--json']);
    expect(a.code).toBe(3);
    const body = JSON.parse(a.out) as { reachable: number; replicas: { reachable: boolean }[] };
    expect(body.reachable).toBe(0);
    expect(body.replicas).toHaveLength(4);
    expect(a.err).toContain('CLUSTER_UNREACHABLE');
    const b = await run(['status', '--timeout', '500'], { OMEGA_CLUSTER: join(tmp, 'c1', 'client.json') });
    expect(b.code).toBe(3);
    expect(b.out).toContain('http://127.0.0.1:17004');
  });

  it('ping with every replica down exits 3 and creates a private client key', async () => {
    const r = await run(['ping', '--cluster', 'c1/client.json', '--timeout', '500', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out)).toMatchObject({ outcome: 'unknown', unreachable: true });
    const key = join(tmp, 'c1', 'cli-key');
    expect(statSync(key).mode & 0o077).toBe(0);
    expect(readFileSync(key, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it('a malformed --key file is rejected with INVALID_CONFIG (exit 1)', async () => {
    writeFileSync(join(tmp, 'bad-key'), 'not hex');
    const r = await run(['ping', '--cluster', 'c1', '--key', 'bad-key']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error INVALID_CONFIG: /);
  });

  it('a malformed client file is rejected with INVALID_CONFIG (exit 1)', async () => {
    writeFileSync(join(tmp, 'bad.json'), '{"version":1,"chainId":"x","f":0,"replicas":[],"extra":1}');
    const r = await run(['status', '--cluster', 'bad.json']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('unknown field extra');
  });
});
