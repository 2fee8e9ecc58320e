/**
 * Cluster and replica configuration files, and the creation of a new cluster (what `omega init` and the
 * first run of `omega dev` do).
 *
 * Layout of a cluster directory (docs/operations.md):
 *
 * ```
 * DIR/cluster.json            public: chain id, f, every replica's Ed25519 key and addresses
 * DIR/client.json             for the SDK and CLI: chain id, f, API URLs and replica keys
 * DIR/replica-<i>/config.json this replica's index, listen addresses, paths (relative to this file)
 * DIR/replica-<i>/operator.key 32 random bytes that unlock the replica's sealed store (mode 0600)
 * DIR/replica-<i>/tls-cert.pem the replica's self-signed TLS certificate (public; a function of its key)
 * DIR/replica-<i>/data/omega.db the replica's SQLite store; its identity seed is sealed inside
 * ```
 *
 * Every loader validates strictly (unknown fields rejected, types and ranges checked) and throws
 * OmegaError INVALID_CONFIG naming the file and the field.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { OmegaError } from '../errors.js';
import { fromHex, toHex } from '../crypto/bytes.js';
import { createStoredIdentity } from './identity.js';
import { SqliteStorage } from './storage/sqlite.js';

export const CONFIG_VERSION = 1;

/** One replica as every other party sees it. */
export interface ClusterMember {
  readonly index: number;
  /** 32-byte Ed25519 identity key (hex in the file). */
  readonly publicKey: Uint8Array;
  /** host:port of the replica mesh (TLS 1.3). */
  readonly mesh: { readonly host: string; readonly port: number };
  /** Base URL of the replica's HTTP API. */
  readonly apiUrl: string;
}

/** cluster.json: the public description of the cluster, identical at every replica. */
export interface ClusterConfig {
  readonly version: 1;
  readonly chainId: string;
  /** Byzantine replicas tolerated; n >= 3f + 1. */
  readonly f: number;
  /** Block time of height 0 (ms since the epoch), fixed at init. */
  readonly genesisTimeMs: number;
  readonly replicas: readonly ClusterMember[];
}

/** replica-<i>/config.json: one replica's private settings. Paths are resolved against the file. */
export interface ReplicaConfig {
  readonly version: 1;
  readonly index: number;
  /** Path of cluster.json. */
  readonly cluster: string;
  /** Directory of the SQLite store. */
  readonly dataDir: string;
  /** Path of the 32-byte operator key file that unlocks the sealed store. */
  readonly operatorKeyFile: string;
  /** Where the mesh and the API listen (may differ from the advertised addresses, e.g. 0.0.0.0). */
  readonly listen: {
    readonly mesh: { readonly host: string; readonly port: number };
    readonly api: { readonly host: string; readonly port: number };
  };
}

/** A replica config with its paths resolved and its cluster loaded. */
export interface LoadedReplicaConfig {
  readonly configPath: string;
  readonly replica: ReplicaConfig;
  readonly cluster: ClusterConfig;
  readonly dataDir: string;
  readonly storePath: string;
  readonly operatorKey: Uint8Array;
}

/** client.json: what the SDK and the CLI need (matches the SDK's ClusterConfig, keys in hex). */
export interface ClientFile {
  readonly version: 1;
  readonly chainId: string;
  readonly f: number;
  readonly replicas: readonly { readonly index: number; readonly url: string; readonly publicKey: string }[];
  /**
   * The pinned service public keys (docs/service-keys.md), recorded once the bootstrap DKG is done
   * (`omega service-keys --pin`, `omega dev`). From then on the SDK accepts only replies signed by
   * `signing`.
   */
  readonly service?: PinnedServiceKeysHex;
}

/** Service public keys as pinned in client.json (lower-case hex). */
export interface PinnedServiceKeysHex {
  readonly epoch: number;
  /** BLS12-381 G2, 96 bytes: threshold-signed replies. */
  readonly signing: string;
  /** BLS12-381 G2, 96 bytes: IBE master public key. */
  readonly ibe: string;
  /** Ed25519, 32 bytes: the certificate (CA) key. */
  readonly certificate: string;
}

/** Pinned service public keys, decoded. */
export interface PinnedServiceKeys {
  readonly epoch: number;
  readonly signing: Uint8Array;
  readonly ibe: Uint8Array;
  readonly certificate: Uint8Array;
}

function invalid(file: string, message: string): never {
  throw new OmegaError('INVALID_CONFIG', `${file}: ${message}`);
}

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new OmegaError('INVALID_CONFIG', `${file}: cannot read (${(cause as Error).message})`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new OmegaError('INVALID_CONFIG', `${file}: not valid JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(file, 'expected an object');
  return value as Record<string, unknown>;
}

function onlyKeys(file: string, where: string, obj: Record<string, unknown>, keys: readonly string[]): void {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) invalid(file, `unknown field ${where}${k}`);
}

function str(file: string, obj: Record<string, unknown>, key: string, maxLength = 1024): string {
  const v = obj[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLength)
    invalid(file, `${key} must be a non-empty string`);
  return v;
}

function int(file: string, obj: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    invalid(file, `${key} must be an integer in ${min}..${max}`);
  }
  return v;
}

function obj(file: string, parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = parent[key];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid(file, `${key} must be an object`);
  return v as Record<string, unknown>;
}

function hostPort(file: string, o: Record<string, unknown>, where: string): { host: string; port: number } {
  onlyKeys(file, `${where}.`, o, ['host', 'port']);
  return { host: str(file, o, 'host', 253), port: int(file, o, 'port', 0, 65535) };
}

function publicKeyHex(file: string, v: unknown, where: string): Uint8Array {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v))
    invalid(file, `${where} must be 64 lower-case hex digits`);
  return fromHex(v);
}

/** Parses and validates cluster.json. */
export function loadClusterConfig(file: string): ClusterConfig {
  const o = readJson(file);
  onlyKeys(file, '', o, ['version', 'chainId', 'f', 'genesisTimeMs', 'replicas']);
  if (o.version !== CONFIG_VERSION) invalid(file, `unsupported version ${String(o.version)}`);
  const chainId = str(file, o, 'chainId', 64);
  const f = int(file, o, 'f', 0, 84);
  const genesisTimeMs = int(file, o, 'genesisTimeMs', 0, Number.MAX_SAFE_INTEGER);
  if (!Array.isArray(o.replicas)) invalid(file, 'replicas must be an array');
  const replicas = (o.replicas as unknown[]).map((r, k): ClusterMember => {
    if (typeof r !== 'object' || r === null) invalid(file, `replicas[${k}] must be an object`);
    const m = r as Record<string, unknown>;
    onlyKeys(file, `replicas[${k}].`, m, ['index', 'publicKey', 'mesh', 'apiUrl']);
    const index = int(file, m, 'index', 1, 255);
    if (index !== k + 1)
      invalid(file, `replicas must be listed by index 1..n in order (replicas[${k}].index = ${index})`);
    return {
      index,
      publicKey: publicKeyHex(file, m.publicKey, `replicas[${k}].publicKey`),
      mesh: hostPort(file, obj(file, m, 'mesh'), `replicas[${k}].mesh`),
      apiUrl: str(file, m, 'apiUrl', 2048),
    };
  });
  if (replicas.length < 3 * f + 1)
    invalid(file, `n = ${replicas.length} replicas cannot tolerate f = ${f} (n >= 3f+1)`);
  const keys = new Set(replicas.map((r) => toHex(r.publicKey)));
  if (keys.size !== replicas.length) invalid(file, 'two replicas share a public key');
  return { version: CONFIG_VERSION, chainId, f, genesisTimeMs, replicas };
}

/** Parses a replica config, resolves its paths, loads its cluster and operator key. */
export function loadReplicaConfig(file: string): LoadedReplicaConfig {
  const configPath = resolve(file);
  const o = readJson(configPath);
  onlyKeys(configPath, '', o, ['version', 'index', 'cluster', 'dataDir', 'operatorKeyFile', 'listen']);
  if (o.version !== CONFIG_VERSION) invalid(configPath, `unsupported version ${String(o.version)}`);
  const listen = obj(configPath, o, 'listen');
  onlyKeys(configPath, 'listen.', listen, ['mesh', 'api']);
  const replica: ReplicaConfig = {
    version: CONFIG_VERSION,
    index: int(configPath, o, 'index', 1, 255),
    cluster: str(configPath, o, 'cluster'),
    dataDir: str(configPath, o, 'dataDir'),
    operatorKeyFile: str(configPath, o, 'operatorKeyFile'),
    listen: {
      mesh: hostPort(configPath, obj(configPath, listen, 'mesh'), 'listen.mesh'),
      api: hostPort(configPath, obj(configPath, listen, 'api'), 'listen.api'),
    },
  };
  const base = dirname(configPath);
  const cluster = loadClusterConfig(resolve(base, replica.cluster));
  if (replica.index > cluster.replicas.length)
    invalid(configPath, `index ${replica.index} is not in the cluster`);
  const keyPath = resolve(base, replica.operatorKeyFile);
  let operatorKey: Uint8Array;
  try {
    operatorKey = new Uint8Array(readFileSync(keyPath));
  } catch (cause) {
    throw new OmegaError('INVALID_CONFIG', `${keyPath}: cannot read the operator key file`, { cause });
  }
  if (operatorKey.length !== 32) invalid(keyPath, 'the operator key file must hold exactly 32 bytes');
  const dataDir = resolve(base, replica.dataDir);
  return { configPath, replica, cluster, dataDir, storePath: join(dataDir, 'omega.db'), operatorKey };
}

function hexBytes(file: string, v: unknown, where: string, bytes: number): Uint8Array {
  if (typeof v !== 'string' || v.length !== 2 * bytes || !/^[0-9a-f]*$/.test(v))
    invalid(file, `${where} must be ${2 * bytes} lower-case hex digits`);
  return fromHex(v);
}

/** Parses client.json into the SDK's cluster configuration. */
export function loadClientFile(file: string): {
  chainId: string;
  f: number;
  replicas: { index: number; url: string; publicKey: Uint8Array }[];
  /** The pinned signing key (the SDK's ClusterConfig.servicePublicKey), if the DKG is done and pinned. */
  servicePublicKey?: Uint8Array;
  service?: PinnedServiceKeys;
} {
  const o = readJson(file);
  onlyKeys(file, '', o, ['version', 'chainId', 'f', 'replicas', 'service']);
  if (o.version !== CONFIG_VERSION) invalid(file, `unsupported version ${String(o.version)}`);
  if (!Array.isArray(o.replicas)) invalid(file, 'replicas must be an array');
  const replicas = (o.replicas as unknown[]).map((r, k) => {
    if (typeof r !== 'object' || r === null) invalid(file, `replicas[${k}] must be an object`);
    const m = r as Record<string, unknown>;
    onlyKeys(file, `replicas[${k}].`, m, ['index', 'url', 'publicKey']);
    return {
      index: int(file, m, 'index', 1, 255),
      url: str(file, m, 'url', 2048),
      publicKey: publicKeyHex(file, m.publicKey, `replicas[${k}].publicKey`),
    };
  });
  const base = { chainId: str(file, o, 'chainId', 64), f: int(file, o, 'f', 0, 84), replicas };
  if (o.service === undefined) return base;
  const sv = obj(file, o, 'service');
  onlyKeys(file, 'service.', sv, ['epoch', 'signing', 'ibe', 'certificate']);
  const service: PinnedServiceKeys = {
    epoch: int(file, sv, 'epoch', 0, Number.MAX_SAFE_INTEGER),
    signing: hexBytes(file, sv.signing, 'service.signing', 96),
    ibe: hexBytes(file, sv.ibe, 'service.ibe', 96),
    certificate: hexBytes(file, sv.certificate, 'service.certificate', 32),
  };
  return { ...base, servicePublicKey: service.signing, service };
}

/**
 * Records the service public keys in client.json (keeping everything else). Refuses to replace a
 * different pinned key of the same or a later epoch: a changed key is an incident, not an update.
 */
export function pinServiceKeys(file: string, keys: PinnedServiceKeys): void {
  const current = loadClientFile(file);
  const o = readJson(file);
  const old = current.service;
  if (
    old !== undefined &&
    old.epoch >= keys.epoch &&
    (toHex(old.signing) !== toHex(keys.signing) ||
      toHex(old.ibe) !== toHex(keys.ibe) ||
      toHex(old.certificate) !== toHex(keys.certificate))
  ) {
    invalid(file, 'a different service key is already pinned; remove it by hand only after checking why');
  }
  const service: PinnedServiceKeysHex = {
    epoch: keys.epoch,
    signing: toHex(keys.signing),
    ibe: toHex(keys.ibe),
    certificate: toHex(keys.certificate),
  };
  writeFileSync(file, `${JSON.stringify({ ...o, service }, null, 2)}\n`);
}

/** Options of {@link createCluster}. */
export interface CreateClusterOptions {
  readonly dir: string;
  readonly replicas: number;
  /** One host per replica, or one for all (default 127.0.0.1). */
  readonly hosts?: readonly string[];
  /** API port of replica i is apiBasePort + i − 1; mesh port is meshBasePort + i − 1. */
  readonly apiBasePort?: number;
  readonly meshBasePort?: number;
  readonly chainId?: string;
  /** Defaults to the current time; injectable for tests. */
  readonly genesisTimeMs?: number;
}

/**
 * Creates a new cluster directory: identities (sealed in each replica's new store), operator keys,
 * cluster.json, client.json and one config per replica. Refuses to overwrite an existing cluster.
 */
export async function createCluster(
  options: CreateClusterOptions,
): Promise<{ clusterFile: string; clientFile: string; replicaConfigs: string[] }> {
  const n = options.replicas;
  if (!Number.isInteger(n) || n < 1 || n > 255)
    throw new OmegaError('INVALID_ARGUMENT', 'replicas must be in 1..255');
  const f = Math.floor((n - 1) / 3);
  const dir = resolve(options.dir);
  const clusterFile = join(dir, 'cluster.json');
  if (existsSync(clusterFile))
    throw new OmegaError(
      'INVALID_ARGUMENT',
      `${clusterFile} already exists; refusing to overwrite a cluster`,
    );
  const hosts = options.hosts ?? ['127.0.0.1'];
  if (hosts.length !== 1 && hosts.length !== n)
    throw new OmegaError('INVALID_ARGUMENT', 'give one host, or one per replica');
  const apiBase = options.apiBasePort ?? 7001;
  const meshBase = options.meshBasePort ?? 7101;
  const chainId = options.chainId ?? `omega-${toHex(randomBytes(4))}`;
  const random = (len: number) => new Uint8Array(randomBytes(len));
  mkdirSync(dir, { recursive: true });
  const members: ClusterMember[] = [];
  const replicaConfigs: string[] = [];
  for (let i = 1; i <= n; i++) {
    const host = hosts.length === 1 ? hosts[0]! : hosts[i - 1]!;
    const rdir = join(dir, `replica-${i}`);
    mkdirSync(join(rdir, 'data'), { recursive: true, mode: 0o700 });
    const operatorKey = random(32);
    const keyFile = join(rdir, 'operator.key');
    writeFileSync(keyFile, operatorKey, { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    const store = await SqliteStorage.open({
      path: join(rdir, 'data', 'omega.db'),
      operatorSecret: { kind: 'keyFile', key: operatorKey },
      create: true,
      random,
    });
    let identity;
    try {
      identity = createStoredIdentity(store, random);
    } finally {
      store.close();
    }
    writeFileSync(join(rdir, 'tls-cert.pem'), identity.certificatePem);
    const apiPort = apiBase + i - 1;
    const meshPort = meshBase + i - 1;
    members.push({
      index: i,
      publicKey: identity.publicKey,
      mesh: { host, port: meshPort },
      apiUrl: `http://${host}:${apiPort}`,
    });
    const config: ReplicaConfig = {
      version: CONFIG_VERSION,
      index: i,
      cluster: '../cluster.json',
      dataDir: './data',
      operatorKeyFile: './operator.key',
      listen: { mesh: { host, port: meshPort }, api: { host, port: apiPort } },
    };
    const configFile = join(rdir, 'config.json');
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    replicaConfigs.push(configFile);
  }
  const cluster = {
    version: CONFIG_VERSION,
    chainId,
    f,
    genesisTimeMs: options.genesisTimeMs ?? Date.now(),
    replicas: members.map((m) => ({
      index: m.index,
      publicKey: toHex(m.publicKey),
      mesh: m.mesh,
      apiUrl: m.apiUrl,
    })),
  };
  writeFileSync(clusterFile, `${JSON.stringify(cluster, null, 2)}\n`);
  const client: ClientFile = {
    version: CONFIG_VERSION,
    chainId,
    f,
    replicas: members.map((m) => ({ index: m.index, url: m.apiUrl, publicKey: toHex(m.publicKey) })),
  };
  const clientFile = join(dir, 'client.json');
  writeFileSync(clientFile, `${JSON.stringify(client, null, 2)}\n`);
  return { clusterFile, clientFile, replicaConfigs };
}
