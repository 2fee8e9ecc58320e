/**
 * A cluster of real replica processes for the chaos harness (docs/reliability.md): `createCluster` on
 * loopback, one `src/runtime/replica/main.ts` process per replica, and every mesh link routed through a
 * {@link LinkProxy} the harness controls.
 *
 * Link routing: the mesh's lower index dials the higher (docs/transport.md), so replica i gets its own
 * cluster.json (`replica-i/cluster.json`) in which each higher replica j's mesh address is the port of
 * the proxy of link (i, j). Everything else in the file — chain id, keys, f — is the shared cluster's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeEd25519Verify } from '../src/api/ed25519.js';
import { blockHash } from '../src/core/consensus/index.js';
import { ReplicatedMachine, encodeResult } from '../src/core/machine/index.js';
import { fromHex, toHex } from '../src/crypto/bytes.js';
import { createCluster, loadReplicaConfig, type LoadedReplicaConfig } from '../src/runtime/config.js';
import { decodeStoredBlock } from '../src/runtime/replica/replica.js';
import { SqliteStorage } from '../src/runtime/storage/sqlite.js';
import { OmegaClient, fromBase64url, type AdminSigner, type ClientOptions } from '../src/sdk/index.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { envelopeHash } from '../src/core/machine/envelope.js';
import { decodeAuditEntry } from '../src/core/registry/audit.js';
import { decodeAuditRecord } from '../src/core/registry/audit-records.js';
import { REGISTRY_MODULE, type RegistryModule } from '../src/core/registry/module.js';
import { ServiceKeysModule } from '../src/core/service-keys/module.js';
import { loadBlsBackend } from '../src/crypto/bls/load.js';
import { registryModuleFor } from '../src/runtime/replica/replica.js';
import type { AuditSummary, DecidedBlockSummary, DecidedLog } from './checkers.js';
import { LinkProxy } from './proxy.js';
import { freePortBase } from '../test/runtime/replica-helpers.js';

const MAIN = fileURLToPath(new URL('../src/runtime/replica/main.ts', import.meta.url));

export interface ChaosClusterOptions {
  readonly dir: string;
  readonly n: number;
  /** Consensus tick of every replica (ms). */
  readonly tickMs?: number;
  /** Route mesh links through proxies (default true). */
  readonly proxies?: boolean;
  /** Extra node flags for replica processes (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  /** Seeded randomness for proxy jitter. */
  readonly random: () => number;
  /**
   * End-entity certificate lifetime of the registry policy (default 24 h). A short one (≥ 60 s) makes
   * validity windows (half a lifetime) roll over during a run, so keys are certified again and again.
   */
  readonly certLifetimeMs?: number;
}

/** The service keys a registry client pins, and the registry's CA (docs/service-keys.md, docs/registry.md). */
export interface PinnedServiceKeys {
  /** BLS service signing key (96 bytes): reply certificates verify under it. */
  readonly signing: Uint8Array;
  /** Ed25519 certificate key (the FROST group key): the CA key of issued certificates. */
  readonly certificate: Uint8Array;
  /** The CA certificate (DER) one replica served, self-signed by `certificate`. */
  readonly caCertificate: Uint8Array;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  readonly stderr: string[];
  paused: boolean;
}

export class ChaosCluster {
  readonly configs: LoadedReplicaConfig[];
  readonly proxies = new Map<string, LinkProxy>();
  private readonly running = new Map<number, Running>();

  private constructor(
    readonly options: ChaosClusterOptions,
    readonly configFiles: readonly string[],
  ) {
    this.configs = configFiles.map((f) => loadReplicaConfig(f));
  }

  get n(): number {
    return this.options.n;
  }
  get f(): number {
    return this.configs[0]!.cluster.f;
  }
  get chainId(): string {
    return this.configs[0]!.cluster.chainId;
  }

  static async create(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const n = options.n;
    const base = await freePortBase(2 * n);
    const clusterDir = join(options.dir, 'cluster');
    const { replicaConfigs, clusterFile } = await createCluster({
      dir: clusterDir,
      replicas: n,
      apiBasePort: base,
      meshBasePort: base + n,
      chainId: `omega-chaos-${toHex(Uint8Array.from([Math.floor(options.random() * 256), Math.floor(options.random() * 256)]))}`,
      genesisTimeMs: Date.now() - 60_000,
      ...(options.certLifetimeMs !== undefined ? { certLifetimeMs: options.certLifetimeMs } : {}),
    });
    const cluster = new ChaosCluster(options, replicaConfigs);
    if (options.proxies !== false) {
      const shared = JSON.parse(readFileSync(clusterFile, 'utf8')) as {
        replicas: { index: number; mesh: { host: string; port: number } }[];
      };
      for (let i = 1; i <= n; i++) {
        const mine = structuredClone(shared);
        for (const m of mine.replicas) {
          if (m.index <= i) continue;
          const proxy = new LinkProxy(`${i}-${m.index}`, m.mesh, options.random);
          const port = await proxy.listen(0);
          cluster.proxies.set(proxy.name, proxy);
          m.mesh = { host: '127.0.0.1', port };
        }
        const rdir = join(clusterDir, `replica-${i}`);
        writeFileSync(join(rdir, 'cluster.json'), `${JSON.stringify(mine, null, 2)}\n`);
        const cfgFile = join(rdir, 'config.json');
        const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as { cluster: string };
        cfg.cluster = './cluster.json';
        writeFileSync(cfgFile, `${JSON.stringify(cfg, null, 2)}\n`);
      }
    }
    return cluster;
  }

  /** The proxies of every link touching replica i. */
  linksOf(i: number): LinkProxy[] {
    return [...this.proxies.values()].filter((p) => p.name.split('-').map(Number).includes(i));
  }

  isRunning(i: number): boolean {
    return this.running.has(i);
  }

  /**
   * Starts replica i's process; resolves when it prints its ready line, rejects with its stderr if it
   * exits first (e.g. a wiped store: "no identity …").
   */
  start(i: number, timeoutMs = 60_000): Promise<void> {
    if (this.running.has(i)) return Promise.resolve();
    const args = [
      ...(this.options.nodeArgs ?? []),
      '--import',
      'tsx',
      MAIN,
      '--config',
      this.configFiles[i - 1]!,
    ];
    args.push('--tick-ms', String(this.options.tickMs ?? 20), '--reconnect-max-ms', '300');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr.push(d);
      if (stderr.length > 300) stderr.shift();
    });
    const exited = new Promise<number | string>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
    );
    const entry: Running = { child, exited, stderr, paused: false };
    this.running.set(i, entry);
    void exited.then(() => {
      if (this.running.get(i) === entry) this.running.delete(i);
    });
    return new Promise((resolve, reject) => {
      let out = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        // Rejected by the exit below, once the process is gone: a caller that restores the store and
        // starts the replica again must not find it still registered as running (it would never run).
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (!out.includes('"ready":true')) return;
        clearTimeout(timer);
        resolve();
      });
      void exited.then((code) => {
        clearTimeout(timer);
        const why = timedOut ? `did not start within ${timeoutMs} ms` : `exited (${code})`;
        reject(new Error(`replica ${i} ${why}: ${stderr.join('').slice(-2000)}`));
      });
    });
  }

  /** Sends `signal` and waits for the exit (SIGCONT first if paused, or the signal would wait). */
  async stop(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const r = this.running.get(i);
    if (r === undefined) return;
    if (r.paused && signal !== 'SIGKILL') this.resume(i);
    r.child.kill(signal);
    await r.exited;
  }

  pause(i: number): void {
    const r = this.running.get(i);
    if (r === undefined || r.paused) return;
    r.child.kill('SIGSTOP');
    r.paused = true;
  }

  resume(i: number): void {
    const r = this.running.get(i);
    if (r === undefined || !r.paused) return;
    r.child.kill('SIGCONT');
    r.paused = false;
  }

  /** Process id of replica i, if running. */
  pid(i: number): number | undefined {
    return this.running.get(i)?.child.pid;
  }

  stderrOf(i: number): string {
    return this.running.get(i)?.stderr.join('') ?? '';
  }

  get dataDirs(): string[] {
    return this.configs.map((c) => c.dataDir);
  }

  /** Moves replica i's data directory aside (the "wiped disk" fault); {@link restoreData} undoes it. */
  wipeData(i: number): void {
    const dir = this.dataDirs[i - 1]!;
    renameSync(dir, `${dir}.saved`);
    mkdirSync(dir, { mode: 0o700 });
  }

  /**
   * Overwrites `count` bytes at seeded positions past the SQLite header in a copy-protected way: the
   * original is kept in `.saved` for {@link restoreData}.
   */
  corruptData(i: number, random: () => number, count = 64): void {
    const dir = this.dataDirs[i - 1]!;
    rmSync(`${dir}.saved`, { recursive: true, force: true });
    mkdirSync(`${dir}.saved`, { mode: 0o700 });
    for (const name of ['omega.db', 'omega.db-wal', 'omega.db-shm']) {
      if (existsSync(join(dir, name))) copyFileSync(join(dir, name), join(`${dir}.saved`, name));
    }
    const file = join(dir, 'omega.db');
    const bytes = readFileSync(file);
    // Past the 100-byte file header: damage pages (tables, indexes, sealed secrets), not the magic string.
    for (let k = 0; k < count; k++) {
      const at = 100 + Math.floor(random() * (bytes.length - 100));
      bytes[at] = bytes[at]! ^ 0xff;
    }
    writeFileSync(file, bytes);
  }

  restoreData(i: number): void {
    const dir = this.dataDirs[i - 1]!;
    rmSync(dir, { recursive: true, force: true });
    renameSync(`${dir}.saved`, dir);
  }

  apiUrl(i: number): string {
    return this.configs[0]!.cluster.replicas[i - 1]!.apiUrl;
  }

  /** Decided height of replica i, or undefined if it does not answer within `timeoutMs`. */
  async height(i: number, timeoutMs = 1_000): Promise<number | undefined> {
    try {
      const res = await fetch(`${this.apiUrl(i)}/v1/status`, { signal: AbortSignal.timeout(timeoutMs) });
      return ((await res.json()) as { height: number }).height;
    } catch {
      return undefined;
    }
  }

  /** Highest height any running, unpaused replica reports. */
  async maxHeight(): Promise<number> {
    const hs = await Promise.all(
      [...this.running.entries()].filter(([, r]) => !r.paused).map(([i]) => this.height(i)),
    );
    return Math.max(0, ...hs.map((h) => h ?? 0));
  }

  client(secretKey: Uint8Array, timeoutMs: number, random?: (length: number) => Uint8Array): OmegaClient {
    return new OmegaClient(this.clientOptions(secretKey, timeoutMs, random));
  }

  /** Options of an SDK client of this cluster; `servicePublicKey` pins the service key. */
  clientOptions(
    secretKey: Uint8Array,
    timeoutMs: number,
    random?: (length: number) => Uint8Array,
    servicePublicKey?: Uint8Array,
  ): ClientOptions {
    const c = this.configs[0]!.cluster;
    return {
      cluster: {
        chainId: c.chainId,
        f: c.f,
        replicas: c.replicas.map((r) => ({ index: r.index, url: r.apiUrl, publicKey: r.publicKey })),
        ...(servicePublicKey !== undefined ? { servicePublicKey } : {}),
      },
      secretKey,
      timeoutMs,
      hedgeMs: 1_000,
      ...(random !== undefined ? { random } : {}),
    };
  }

  /**
   * Waits until f+1 replicas report the same service keys (the bootstrap DKG is done) and a replica
   * serves the registry's CA certificate (installed the block after the DKG), as `omega service-keys
   * --pin` would: f+1 agreeing replicas include a correct one.
   */
  async waitForServiceKeys(timeoutMs = 120_000): Promise<PinnedServiceKeys> {
    const until = performance.now() + timeoutMs;
    const getJson = async (i: number, path: string): Promise<unknown> => {
      try {
        const res = await fetch(`${this.apiUrl(i)}${path}`, { signal: AbortSignal.timeout(2_000) });
        return res.ok ? await res.json() : undefined;
      } catch {
        return undefined;
      }
    };
    for (;;) {
      const votes = new Map<string, number>();
      for (let i = 1; i <= this.n; i++) {
        const j = (await getJson(i, '/v1/service-keys')) as
          { keys: { signing: { publicKey: string }; certificate: { publicKey: string } } | null } | undefined;
        if (j?.keys === undefined || j.keys === null) continue;
        const id = `${j.keys.signing.publicKey}/${j.keys.certificate.publicKey}`;
        votes.set(id, (votes.get(id) ?? 0) + 1);
      }
      const agreed = [...votes].find(([, v]) => v >= this.f + 1)?.[0];
      if (agreed !== undefined) {
        const [signing, certificate] = agreed.split('/') as [string, string];
        for (let i = 1; i <= this.n; i++) {
          const pki = (await getJson(i, '/v1/registry/pki')) as { caCertificate: string | null } | undefined;
          if (typeof pki?.caCertificate === 'string') {
            return {
              signing: fromBase64url(signing),
              certificate: fromBase64url(certificate),
              caCertificate: fromBase64url(pki.caCertificate),
            };
          }
        }
      }
      if (performance.now() > until) throw new Error(`service keys not ready within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Administrator i's signer, from the key file `createCluster` wrote (docs/registry.md "Genesis"). */
  adminSigner(i: number): AdminSigner {
    const file = join(this.options.dir, 'cluster', 'admins', `admin-${i}.key`);
    const seed = fromHex(readFileSync(file, 'utf8').trim());
    return { publicKey: ed25519.getPublicKey(seed), sign: (m) => ed25519.sign(m, seed) };
  }

  publicKeys(): Map<number, string> {
    return new Map(this.configs[0]!.cluster.replicas.map((r) => [r.index, toHex(r.publicKey)]));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((i) => this.stop(i, 'SIGTERM')));
  }

  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((i) => this.stop(i, 'SIGKILL')));
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
  }

  /** Replica i's decided log, replayed (see {@link readDecided}). */
  async readLog(i: number): Promise<DecidedLog> {
    return (await this.readDecided(i, true)).log;
  }

  /**
   * Reads replica i's decided log from its (stopped) store. With `replay`, the log is also replayed
   * through a fresh machine with the replicas' own modules (service keys, registry), so every request
   * carries the result the log implies (the checkers compare it with what clients saw) and the
   * registry's audit chain is returned; without it only block hashes and envelope hashes are read.
   */
  async readDecided(i: number, replay = true): Promise<{ log: DecidedLog; audit: AuditSummary[] }> {
    const cfg = this.configs[i - 1]!;
    const storage = await SqliteStorage.open({
      path: cfg.storePath,
      operatorSecret: { kind: 'keyFile', key: cfg.operatorKey },
    });
    try {
      const machine = replay
        ? ReplicatedMachine.genesis({
            chainId: cfg.cluster.chainId,
            verify: nodeEd25519Verify,
            committee: cfg.cluster.replicas.map((r) => r.publicKey),
            f: cfg.cluster.f,
            modules: [
              ServiceKeysModule.factory({ backend: await loadBlsBackend({ prefer: 'auto' }) }),
              registryModuleFor(cfg.cluster),
            ],
          })
        : undefined;
      const out: DecidedBlockSummary[] = [];
      const last = storage.lastHeight();
      for (let h = 1; h <= last;) {
        const batch = storage.getBlocks(h, 256, 64 << 20);
        if (batch.length === 0) break;
        for (const s of batch) {
          const { block } = decodeStoredBlock(s.block, s.certificate);
          const results = machine?.apply({
            height: block.header.height,
            timeMs: block.header.timeMs,
            requests: block.requests,
          });
          out.push({
            height: block.header.height,
            hash: toHex(blockHash(block)),
            requests:
              results?.map((r) => ({
                envelopeHash: toHex(r.envelopeHash),
                resultBytes: toHex(encodeResult(r)),
                duplicate: !r.status.ok && r.status.code === 'DUPLICATE_REQUEST',
              })) ??
              block.requests.map((bytes) => ({
                envelopeHash: toHex(envelopeHash(bytes)),
                resultBytes: '',
                duplicate: false,
              })),
          });
          h = s.height + 1;
        }
      }
      const registry = machine?.module<RegistryModule>(REGISTRY_MODULE)?.registry;
      const audit: AuditSummary[] = [];
      for (let from = 1; registry !== undefined;) {
        const page = registry.auditEntries(from, 1000);
        if (page.length === 0) break;
        for (const bytes of page) {
          const e = decodeAuditEntry(bytes);
          const rec = decodeAuditRecord(e);
          const digest =
            rec.kind === 'register' || rec.kind === 'revoke' || rec.kind === 'issue'
              ? toHex(rec.keyDigest)
              : undefined;
          audit.push({ seq: e.seq, height: e.height, kind: e.kind, ...(digest ? { digest } : {}) });
        }
        from += page.length;
      }
      return { log: out, audit };
    } finally {
      storage.close();
    }
  }
}
