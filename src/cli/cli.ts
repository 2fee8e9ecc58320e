/**
 * The `omega` command: argument parsing, help, dispatch, exit codes and error printing
 * (docs/operations.md, "The omega command").
 *
 * Parsing uses `node:util` parseArgs in strict mode: no dependency, and every unknown option, missing
 * value or stray positional argument is a usage error (exit 2) rather than silently ignored.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isOmegaError } from '../errors.js';
import { createCluster, loadClientFile } from '../runtime/config.js';
import type { CliIo } from './io.js';
import { DEFAULT_DEV_DIR, EXIT, findClientFile, intOption, loadOrCreateClientKey, usage } from './io.js';
import { clusterStatus, ping, statusTable } from './query.js';
import type { RegistryContextOptions } from './registry.js';
import {
  fetchCaCertificate,
  fetchCrl,
  keyTypeOption,
  pemOf,
  readAdminKey,
  readKeyFile,
  registryClient,
  report,
  signWithPrivateKey,
  verifiedAudit,
  watchAudit,
  writeOut,
} from './registry.js';
import { KEY_TYPES, canSign } from '../core/registry/keys.js';
import type { AgreedServiceKeys, ServiceKeysRow } from './service-keys.js';
import { agreedServiceKeys, pin, serviceKeysRows, serviceKeysText } from './service-keys.js';
import type { PinnedServiceKeys } from '../runtime/config.js';
import { fromHex, toHex } from '../crypto/bytes.js';
import type { AdminAction } from '../core/registry/admin.js';

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

interface Command {
  readonly summary: string;
  readonly usage: string;
  /** Option name → [spec, help line]. */
  readonly options: Record<string, [OptionSpec, string]>;
  /** Names of the positional arguments, all required (none by default). */
  readonly positionals?: readonly string[];
  readonly run: (
    values: Record<string, string | boolean | (string | boolean)[] | undefined>,
    io: CliIo,
    positionals: readonly string[],
  ) => Promise<number>;
}

const JSON_OPTION: [OptionSpec, string] = [{ type: 'boolean' }, 'print one JSON object instead of text'];
const CLUSTER_OPTION: [OptionSpec, string] = [
  { type: 'string' },
  'the cluster: a client.json or its directory (default $OMEGA_CLUSTER, then ./.omega/dev)',
];
const TIMEOUT_OPTION = (ms: number): [OptionSpec, string] => [
  { type: 'string' },
  `timeout in ms (default ${ms})`,
];

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const required = (v: unknown, name: string): string => {
  const s = str(v);
  if (s === undefined) throw usage(`${name} is required`);
  return s;
};
const OUT_OPTION: [OptionSpec, string] = [{ type: 'string' }, 'write to this file instead of stdout'];
const CLIENT_KEY_OPTION: [OptionSpec, string] = [
  { type: 'string' },
  'client Ed25519 key file, 64 hex digits (default cli-key beside the client file)',
];
const ADMIN_ACTION_OPTIONS: Record<string, [OptionSpec, string]> = {
  'admin-key': [
    { type: 'string', multiple: true },
    'an administrator key file (64 hex digits); repeat k times',
  ],
  cluster: CLUSTER_OPTION,
  'client-key': CLIENT_KEY_OPTION,
  timeout: TIMEOUT_OPTION(20_000),
  json: JSON_OPTION,
};

function adminPublicKey(hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw usage('an administrator public key is 64 lower-case hex digits');
  return fromHex(hex);
}

/** Signs `action` with every --admin-key and submits it (k of m). */
async function adminAction(
  v: Record<string, string | boolean | (string | boolean)[] | undefined>,
  io: CliIo,
  action: AdminAction,
): Promise<number> {
  const files = strings(v['admin-key']);
  if (files.length === 0) throw usage('give at least one --admin-key');
  const { registry } = registryClient(registryOptions(v, io), io);
  const signed = registry.signAdminAction(
    action,
    files.map((f) => readAdminKey(f, io)),
  );
  return report(
    await registry.admin(signed),
    io,
    v.json === true,
    (r) => `${action.kind} done (audit #${r.auditSeq})`,
    (r) => ({ kind: action.kind, auditSeq: r.auditSeq }),
  );
}

function registryOptions(
  v: Record<string, string | boolean | (string | boolean)[] | undefined>,
  io: CliIo,
): RegistryContextOptions {
  return {
    clientFile: findClientFile(str(v.cluster), io),
    keyOption: str(v['client-key']),
    timeoutMs: intOption('timeout', str(v.timeout), 20_000, 1, 600_000),
  };
}

const COMMANDS: Record<string, Command> = {
  init: {
    summary: 'write a new cluster: per-replica configs, identity keys, TLS material, client.json',
    usage:
      'omega init --replicas N --dir DIR [--hosts H1,H2,...] [--api-base-port P] [--mesh-base-port P] [--admins M] [--admin-threshold K] [--json]',
    options: {
      replicas: [{ type: 'string' }, 'number of replicas n (1..255); tolerates f = floor((n-1)/3)'],
      dir: [{ type: 'string' }, 'directory to create the cluster in (must not hold a cluster)'],
      hosts: [
        { type: 'string' },
        'comma-separated host of each replica, or one host for all (default 127.0.0.1)',
      ],
      'api-base-port': [
        { type: 'string' },
        'API port of replica 1; replica i uses base + i - 1 (default 7001)',
      ],
      'mesh-base-port': [
        { type: 'string' },
        'mesh port of replica 1; replica i uses base + i - 1 (default 7101)',
      ],
      'chain-id': [{ type: 'string' }, 'chain id (default omega-<random>)'],
      admins: [{ type: 'string' }, 'registry administrators m; keys written to DIR/admins (default 3)'],
      'admin-threshold': [{ type: 'string' }, 'administrator signatures k an action needs (default 2)'],
      json: JSON_OPTION,
    },
    run: async (v, io) => {
      const admins = intOption('admins', str(v.admins), 3, 1, 64);
      const adminThreshold = intOption(
        'admin-threshold',
        str(v['admin-threshold']),
        Math.min(2, admins),
        1,
        admins,
      );
      const replicasText = str(v.replicas);
      const dirText = str(v.dir);
      if (replicasText === undefined) throw usage('--replicas is required');
      if (dirText === undefined) throw usage('--dir is required');
      const replicas = intOption('replicas', replicasText, 4, 1, 255);
      const hosts = str(v.hosts)
        ?.split(',')
        .map((h) => h.trim());
      if (
        hosts !== undefined &&
        (hosts.some((h) => h === '') || (hosts.length !== 1 && hosts.length !== replicas))
      )
        throw usage(`--hosts must name one host, or one per replica (${replicas})`);
      const created = await createCluster({
        dir: resolve(io.cwd, dirText),
        replicas,
        ...(hosts !== undefined ? { hosts } : {}),
        apiBasePort: intOption('api-base-port', str(v['api-base-port']), 7001, 1, 65535 - replicas + 1),
        meshBasePort: intOption('mesh-base-port', str(v['mesh-base-port']), 7101, 1, 65535 - replicas + 1),
        ...(str(v['chain-id']) !== undefined ? { chainId: str(v['chain-id'])! } : {}),
        admins,
        adminThreshold,
      });
      const client = loadClientFile(created.clientFile);
      if (v.json === true)
        io.out(`${JSON.stringify({ ...created, chainId: client.chainId, f: client.f })}\n`);
      else {
        io.out(`Created cluster ${client.chainId}: n = ${replicas}, f = ${client.f}\n`);
        io.out(`  cluster file: ${created.clusterFile}\n  client file:  ${created.clientFile}\n`);
        for (const c of created.replicaConfigs) io.out(`  replica config: ${c}\n`);
        io.out(
          `  registry administrators: ${admins} key files in ${resolve(io.cwd, dirText, 'admins')} (any ${adminThreshold} sign an action); give each to one administrator\n`,
        );
        io.out(
          'Copy each replica-<i> directory to its host and run: omega start --config replica-<i>/config.json\n',
        );
        io.out(
          'Once every replica runs, record the service keys in the client file: omega service-keys --pin --wait 60000\n',
        );
      }
      return EXIT.OK;
    },
  },
  start: {
    summary: 'run one replica in the foreground until SIGINT/SIGTERM',
    usage: 'omega start --config FILE [--json]',
    options: {
      config: [{ type: 'string' }, "the replica's config.json (written by omega init)"],
      json: [{ type: 'boolean' }, 'print one JSON object when the replica is listening'],
    },
    run: async (v, io) => {
      const config = str(v.config);
      if (config === undefined) throw usage('--config is required');
      // Loaded lazily so that `omega --help` and the other commands do not load the replica runtime.
      const { runStart } = await import('./start.js');
      return runStart(resolve(io.cwd, config), v.json === true, io);
    },
  },
  dev: {
    summary: 'run a whole local cluster on loopback in the foreground (resumes an existing one)',
    usage: 'omega dev [--replicas 4] [--dir DIR] [--api-base-port P] [--mesh-base-port P] [--json]',
    options: {
      replicas: [{ type: 'string' }, 'number of replicas of a new cluster (default 4)'],
      dir: [
        { type: 'string' },
        `cluster directory (default ${DEFAULT_DEV_DIR}); resumed if it holds a cluster`,
      ],
      'api-base-port': [{ type: 'string' }, 'API port of replica 1 of a new cluster (default 7001)'],
      'mesh-base-port': [{ type: 'string' }, 'mesh port of replica 1 of a new cluster (default 7101)'],
      'ready-timeout': TIMEOUT_OPTION(120_000),
      json: [{ type: 'boolean' }, 'print one JSON object when the cluster is ready'],
    },
    run: async (v, io) => {
      const { runDev } = await import('./dev.js');
      const replicas = intOption('replicas', str(v.replicas), 4, 1, 64);
      return runDev(
        {
          dir: str(v.dir) ?? DEFAULT_DEV_DIR,
          replicas,
          replicasGiven: v.replicas !== undefined,
          apiBasePort: intOption('api-base-port', str(v['api-base-port']), 7001, 1, 65535 - replicas + 1),
          meshBasePort: intOption('mesh-base-port', str(v['mesh-base-port']), 7101, 1, 65535 - replicas + 1),
          readyTimeoutMs: intOption('ready-timeout', str(v['ready-timeout']), 120_000, 1, 3_600_000),
          graceMs: 10_000,
          json: v.json === true,
        },
        io,
      );
    },
  },
  status: {
    summary:
      'per replica: reachable, ready, height, round, peers, lag; DKG phase and service key fingerprints',
    usage: 'omega status [--cluster FILE] [--timeout MS] [--json]',
    options: { cluster: CLUSTER_OPTION, timeout: TIMEOUT_OPTION(3_000), json: JSON_OPTION },
    run: async (v, io) => {
      const clientFile = findClientFile(str(v.cluster), io);
      const timeoutMs = intOption('timeout', str(v.timeout), 3_000, 1, 600_000);
      const [rows, dkgRows] = await Promise.all([
        clusterStatus(clientFile, timeoutMs),
        serviceKeysRows(clientFile, timeoutMs),
      ]);
      const reachable = rows.filter((r) => r.reachable).length;
      const code = reachable === 0 ? EXIT.UNREACHABLE : reachable < rows.length ? EXIT.FAILED : EXIT.OK;
      const agreed = agreedServiceKeys(dkgRows, loadClientFile(clientFile).f);
      if (v.json === true)
        io.out(
          `${JSON.stringify({ clientFile, reachable, n: rows.length, replicas: rows, dkg: dkgRows.map(dkgJson), serviceKeys: agreedJson(agreed) })}\n`,
        );
      else io.out(`${statusTable(rows, rows.length)}\n${serviceKeysText(dkgRows, agreed, rows.length)}\n`);
      if (code === EXIT.UNREACHABLE) io.err('error CLUSTER_UNREACHABLE: no replica answered\n');
      return code;
    },
  },
  'service-keys': {
    summary:
      'DKG progress and the service public keys f+1 replicas agree on; --pin records them in client.json',
    usage: 'omega service-keys [--cluster FILE] [--wait MS] [--pin] [--timeout MS] [--json]',
    options: {
      cluster: CLUSTER_OPTION,
      wait: [{ type: 'string' }, 'wait up to MS for the DKG to finish (default 0: ask once)'],
      pin: [{ type: 'boolean' }, 'record the agreed keys in the client file (the SDK then trusts only them)'],
      timeout: TIMEOUT_OPTION(3_000),
      json: JSON_OPTION,
    },
    run: async (v, io) => {
      const clientFile = findClientFile(str(v.cluster), io);
      const timeoutMs = intOption('timeout', str(v.timeout), 3_000, 1, 600_000);
      const waitMs = intOption('wait', str(v.wait), 0, 0, 3_600_000);
      const f = loadClientFile(clientFile).f;
      const deadline = Date.now() + waitMs;
      let rows = await serviceKeysRows(clientFile, timeoutMs);
      let agreed = agreedServiceKeys(rows, f);
      while (agreed === undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        rows = await serviceKeysRows(clientFile, timeoutMs);
        agreed = agreedServiceKeys(rows, f);
      }
      if (agreed !== undefined && v.pin === true) pin(clientFile, agreed);
      if (v.json === true)
        io.out(
          `${JSON.stringify({ clientFile, dkg: rows.map(dkgJson), serviceKeys: agreedJson(agreed), pinned: agreed !== undefined && v.pin === true })}\n`,
        );
      else {
        io.out(`${serviceKeysText(rows, agreed, rows.length)}\n`);
        if (agreed !== undefined && v.pin === true) io.out(`Pinned in ${clientFile}\n`);
      }
      if (rows.every((r) => !r.reachable)) {
        io.err('error CLUSTER_UNREACHABLE: no replica answered\n');
        return EXIT.UNREACHABLE;
      }
      return agreed === undefined ? EXIT.FAILED : EXIT.OK;
    },
  },
  'ca cert': {
    summary: 'the service CA certificate (checked against the pinned certificate key), as PEM',
    usage: 'omega ca cert [--cluster FILE] [--out FILE] [--timeout MS]',
    options: { cluster: CLUSTER_OPTION, out: OUT_OPTION, timeout: TIMEOUT_OPTION(5_000) },
    run: async (v, io) => {
      const clientFile = findClientFile(str(v.cluster), io);
      const ca = await fetchCaCertificate(
        clientFile,
        intOption('timeout', str(v.timeout), 5_000, 1, 600_000),
      );
      writeOut(str(v.out), ca.toString(), io);
      return EXIT.OK;
    },
  },
  crl: {
    summary: 'the newest CRL signed by the pinned certificate key, as PEM',
    usage: 'omega crl [--cluster FILE] [--out FILE] [--timeout MS]',
    options: { cluster: CLUSTER_OPTION, out: OUT_OPTION, timeout: TIMEOUT_OPTION(5_000) },
    run: async (v, io) => {
      const clientFile = findClientFile(str(v.cluster), io);
      const crl = await fetchCrl(clientFile, intOption('timeout', str(v.timeout), 5_000, 1, 600_000));
      writeOut(str(v.out), pemOf('X509 CRL', crl.der), io);
      return EXIT.OK;
    },
  },
  audit: {
    summary: "the registry's audit log, verified against its threshold-signed chain head",
    usage: 'omega audit [--cluster FILE] [--json]',
    options: {
      cluster: CLUSTER_OPTION,
      'client-key': CLIENT_KEY_OPTION,
      timeout: TIMEOUT_OPTION(20_000),
      json: JSON_OPTION,
    },
    run: async (v, io) => {
      const { head, entries } = await verifiedAudit(registryOptions(v, io), io);
      if (v.json === true) {
        io.out(
          `${JSON.stringify({
            verified: true,
            head: toHex(head),
            entries: entries.map((e) => ({ ...e, actor: toHex(e.actor), body: toHex(e.body) })),
          })}\n`,
        );
      } else {
        for (const e of entries) {
          io.out(
            `#${e.seq}  height ${e.height}  ${new Date(e.timeMs).toISOString()}  ${e.kind.padEnd(8)}  actor ${toHex(e.actor).slice(0, 16)}…\n`,
          );
        }
        io.out(`verified: ${entries.length} entries chain to the signed head ${toHex(head)}\n`);
      }
      return EXIT.OK;
    },
  },
  'key watch': {
    summary:
      'follow revocations (--all: every audit entry) as they are decided, each verified against a signed head',
    usage: 'omega key watch [--all] [--history] [--max-events N] [--cluster FILE] [--json]',
    options: {
      all: [{ type: 'boolean' }, 'print every audit entry, not only revocations'],
      history: [{ type: 'boolean' }, 'print the verified past entries first'],
      'max-events': [{ type: 'string' }, 'exit after printing N events (default: run until interrupted)'],
      cluster: CLUSTER_OPTION,
      'client-key': CLIENT_KEY_OPTION,
      timeout: TIMEOUT_OPTION(20_000),
      json: JSON_OPTION,
    },
    run: async (v, io) => {
      const max = str(v['max-events']);
      return watchAudit(registryOptions(v, io), io, {
        all: v.all === true,
        history: v.history === true,
        json: v.json === true,
        ...(max === undefined ? {} : { maxEvents: intOption('max-events', max, 1, 1, 1_000_000) }),
      });
    },
  },
  'admin add': {
    summary: 'k of m administrators add an administrator (its Ed25519 public key, 64 hex digits)',
    usage:
      'omega admin add <admin public key hex> --admin-key FILE [--admin-key FILE ...] [--cluster FILE] [--json]',
    positionals: ['publicKey'],
    options: ADMIN_ACTION_OPTIONS,
    run: async (v, io, [publicKey]) =>
      adminAction(v, io, { kind: 'add-admin', publicKey: adminPublicKey(publicKey!) }),
  },
  'admin remove': {
    summary: 'k of m administrators remove an administrator',
    usage:
      'omega admin remove <admin public key hex> --admin-key FILE [--admin-key FILE ...] [--cluster FILE] [--json]',
    positionals: ['publicKey'],
    options: ADMIN_ACTION_OPTIONS,
    run: async (v, io, [publicKey]) =>
      adminAction(v, io, { kind: 'remove-admin', publicKey: adminPublicKey(publicKey!) }),
  },
  'admin set-policy': {
    summary: 'k of m administrators change the policy: threshold k, certificate and CRL lifetimes',
    usage:
      'omega admin set-policy --threshold K --cert-lifetime-ms MS --crl-lifetime-ms MS --admin-key FILE [--admin-key FILE ...] [--cluster FILE] [--json]',
    options: {
      threshold: [{ type: 'string' }, 'administrator signatures an action needs (k)'],
      'cert-lifetime-ms': [{ type: 'string' }, 'lifetime of end-entity certificates (multiple of 2000)'],
      'crl-lifetime-ms': [{ type: 'string' }, 'lifetime of a CRL (multiple of 1000)'],
      ...ADMIN_ACTION_OPTIONS,
    },
    run: async (v, io) =>
      adminAction(v, io, {
        kind: 'set-policy',
        policy: {
          adminThreshold: intOption('threshold', required(v.threshold, '--threshold'), 1, 1, 64),
          certLifetimeMs: intOption(
            'cert-lifetime-ms',
            required(v['cert-lifetime-ms'], '--cert-lifetime-ms'),
            0,
            1,
            Number.MAX_SAFE_INTEGER,
          ),
          crlLifetimeMs: intOption(
            'crl-lifetime-ms',
            required(v['crl-lifetime-ms'], '--crl-lifetime-ms'),
            0,
            1,
            Number.MAX_SAFE_INTEGER,
          ),
        },
      }),
  },
  'admin authorize': {
    summary: 'k of m administrators authorize <principal> to register the key in --key',
    usage:
      'omega admin authorize <principal> --key PUBLIC_KEY_FILE --admin-key FILE [--admin-key FILE ...] [--cluster FILE] [--json]',
    positionals: ['principal'],
    options: {
      key: [{ type: 'string' }, 'the public key to authorize (PEM SPKI or JWK)'],
      'admin-key': [
        { type: 'string', multiple: true },
        'an administrator key file (64 hex digits); repeat k times',
      ],
      cluster: CLUSTER_OPTION,
      'client-key': CLIENT_KEY_OPTION,
      timeout: TIMEOUT_OPTION(20_000),
      json: JSON_OPTION,
    },
    run: async (v, io, [principal]) => {
      const key = readKeyFile(required(v.key, '--key'), io);
      const adminFiles = strings(v['admin-key']);
      if (adminFiles.length === 0) throw usage('give at least one --admin-key');
      const { registry } = registryClient(registryOptions(v, io), io);
      const signed = registry.signAdminAction(
        { kind: 'authorize', principal: principal!, keyType: key.type, keyDigest: key.digest },
        adminFiles.map((f) => readAdminKey(f, io)),
      );
      return report(
        await registry.admin(signed),
        io,
        v.json === true,
        (r) => `authorized ${principal!} ${key.type} ${toHex(key.digest)} (audit #${r.auditSeq})`,
        (r) => ({ principal, keyType: key.type, keyDigest: toHex(key.digest), auditSeq: r.auditSeq }),
      );
    },
  },
  'key register': {
    summary: 'register the public key in --key for <principal> (proof of possession with --private-key)',
    usage:
      'omega key register <principal> --key PUBLIC_KEY_FILE [--private-key PEM] [--cluster FILE] [--json]',
    positionals: ['principal'],
    options: {
      key: [{ type: 'string' }, 'the public key (PEM SPKI or JWK)'],
      'private-key': [{ type: 'string' }, 'its private key (PEM PKCS#8), required for key types that sign'],
      cluster: CLUSTER_OPTION,
      'client-key': CLIENT_KEY_OPTION,
      timeout: TIMEOUT_OPTION(20_000),
      json: JSON_OPTION,
    },
    run: async (v, io, [principal]) => {
      const key = readKeyFile(required(v.key, '--key'), io);
      const { registry } = registryClient(registryOptions(v, io), io);
      const pop = canSign(key.type)
        ? signWithPrivateKey(
            required(v['private-key'], '--private-key'),
            key.type,
            registry.popMessage(principal!, key.digest),
            io,
          )
        : new Uint8Array(0);
      return report(
        await registry.register(principal!, key.spki, pop),
        io,
        v.json === true,
        (r) => `registered ${principal!} ${r.keyType} ${toHex(r.keyDigest)} (audit #${r.auditSeq})`,
        (r) => ({ principal, keyType: r.keyType, keyDigest: toHex(r.keyDigest), auditSeq: r.auditSeq }),
      );
    },
  },
  'key lookup': {
    summary: "<principal>'s current key and its X.509 certificate (waits while it is being signed)",
    usage: 'omega key lookup <principal> [--type T] [--out cert.pem] [--cluster FILE] [--json]',
    positionals: ['principal'],
    options: {
      type: [{ type: 'string' }, `key type: ${KEY_TYPES.join(', ')} (default ed25519)`],
      out: [{ type: 'string' }, 'write the certificate (PEM) to this file'],
      cluster: CLUSTER_OPTION,
      'client-key': CLIENT_KEY_OPTION,
      timeout: TIMEOUT_OPTION(30_000),
      json: JSON_OPTION,
    },
    run: async (v, io, [principal]) => {
      const o = registryOptions(v, io);
      const { registry } = registryClient(o, io);
      const r = await registry.lookupCertificate(principal!, keyTypeOption(str(v.type)), {
        timeoutMs: o.timeoutMs,
      });
      if (r.outcome === 'ok' && r.value.status === 'certificate' && str(v.out) !== undefined) {
        writeOut(str(v.out), pemOf('CERTIFICATE', r.value.certificate), io);
      }
      const code = report(
        r,
        io,
        v.json === true,
        (a) =>
          a.status === 'certificate'
            ? `${a.principal} ${a.keyType} ${toHex(a.keyDigest)} certified ${new Date(a.notBeforeMs).toISOString()} .. ${new Date(a.notAfterMs).toISOString()}${str(v.out) === undefined ? `\n${pemOf('CERTIFICATE', a.certificate)}` : ''}`
            : `${a.principal} ${a.keyType}: ${a.status}`,
        (a) => ({
          ...a,
          ...('keyDigest' in a ? { keyDigest: toHex(a.keyDigest) } : {}),
          ...('spki' in a ? { spki: toHex(a.spki), certificate: pemOf('CERTIFICATE', a.certificate) } : {}),
          ...('signingId' in a ? { signingId: toHex(a.signingId) } : {}),
        }),
      );
      return r.outcome === 'ok' && r.value.status !== 'certificate' ? EXIT.FAILED : code;
    },
  },
  'key revoke': {
    summary: "revoke <principal>'s key: signed by the key itself (--private-key) or by k administrators",
    usage:
      'omega key revoke <principal> --key PUBLIC_KEY_FILE (--private-key PEM | --admin-key FILE ...) [--reason N] [--cluster FILE] [--json]',
    positionals: ['principal'],
    options: {
      key: [{ type: 'string' }, 'the public key to revoke (PEM SPKI or JWK)'],
      'private-key': [{ type: 'string' }, 'its private key (PEM PKCS#8): the owner revokes'],
      'admin-key': [{ type: 'string', multiple: true }, 'administrator key files: k administrators revoke'],
      reason: [{ type: 'string' }, 'RFC 5280 reason code (default 0 unspecified; 1 keyCompromise, ...)'],
      cluster: CLUSTER_OPTION,
      'client-key': CLIENT_KEY_OPTION,
      timeout: TIMEOUT_OPTION(20_000),
      json: JSON_OPTION,
    },
    run: async (v, io, [principal]) => {
      const key = readKeyFile(required(v.key, '--key'), io);
      const reason = intOption('reason', str(v.reason), 0, 0, 10);
      const { registry } = registryClient(registryOptions(v, io), io);
      const admins = strings(v['admin-key']);
      const text = (r: { auditSeq: number }) =>
        `revoked ${principal!} ${toHex(key.digest)} (audit #${r.auditSeq})`;
      const json = (r: { auditSeq: number }) => ({
        principal,
        keyDigest: toHex(key.digest),
        auditSeq: r.auditSeq,
      });
      if (admins.length > 0) {
        const signed = registry.signAdminAction(
          { kind: 'revoke', principal: principal!, keyDigest: key.digest, reason },
          admins.map((f) => readAdminKey(f, io)),
        );
        return report(await registry.admin(signed), io, v.json === true, text, json);
      }
      const signature = signWithPrivateKey(
        required(v['private-key'], '--private-key or --admin-key'),
        key.type,
        registry.revocationMessage(principal!, key.digest, reason),
        io,
      );
      return report(
        await registry.revoke({
          principal: principal!,
          keyDigest: key.digest,
          reason,
          signerDigest: key.digest,
          signature,
        }),
        io,
        v.json === true,
        text,
        json,
      );
    },
  },
  ping: {
    summary: 'order a null request through the log; accepted on f+1 matching replica signatures',
    usage: 'omega ping [--cluster FILE] [--key FILE] [--timeout MS] [--json]',
    options: {
      cluster: CLUSTER_OPTION,
      key: [
        { type: 'string' },
        'client Ed25519 key file, 64 hex digits (default cli-key beside the client file)',
      ],
      timeout: TIMEOUT_OPTION(10_000),
      json: JSON_OPTION,
    },
    run: async (v, io) => {
      const clientFile = findClientFile(str(v.cluster), io);
      const timeoutMs = intOption('timeout', str(v.timeout), 10_000, 1, 600_000);
      const key = loadOrCreateClientKey(str(v.key), clientFile, io);
      const r = await ping(clientFile, key, timeoutMs);
      let code: number = r.outcome === 'ok' ? EXIT.OK : EXIT.FAILED;
      let unreachable = false;
      if (r.outcome === 'unknown') {
        const rows = await clusterStatus(clientFile, Math.min(timeoutMs, 3_000));
        unreachable = rows.every((row) => !row.reachable);
        if (unreachable) code = EXIT.UNREACHABLE;
      }
      if (v.json === true) io.out(`${JSON.stringify({ ...r, ...(unreachable ? { unreachable } : {}) })}\n`);
      else if (r.outcome === 'ok')
        io.out(
          r.certified
            ? `ok  ${r.latencyMs} ms  height ${r.height}  certified by the service key (reply from replica ${r.signers.join(', ')})\n`
            : `ok  ${r.latencyMs} ms  height ${r.height}  signed by replicas ${r.signers.join(', ')}\n`,
        );
      else if (r.outcome === 'fail') io.out(`fail  ${r.latencyMs} ms  ${r.code}: ${r.message}\n`);
      else io.out(`unknown  ${r.latencyMs} ms  ${r.reason}\n`);
      if (unreachable) io.err('error CLUSTER_UNREACHABLE: no replica answered\n');
      if (r.culprits.length > 0) io.err(`misbehaving replicas: ${r.culprits.join(', ')}\n`);
      return code;
    },
  },
};

function dkgJson(r: ServiceKeysRow): Record<string, unknown> {
  return { ...r, keys: r.keys === null ? null : pinnedJson(r.keys) };
}

function pinnedJson(k: PinnedServiceKeys): Record<string, unknown> {
  return { epoch: k.epoch, signing: toHex(k.signing), ibe: toHex(k.ibe), certificate: toHex(k.certificate) };
}

function agreedJson(a: AgreedServiceKeys | undefined): Record<string, unknown> | null {
  return a === undefined
    ? null
    : { ...pinnedJson(a.keys), reportedBy: a.reportedBy, fingerprints: a.fingerprints };
}

function commandHelp(name: string, c: Command): string {
  const rows = Object.entries(c.options).map(([opt, [, help]]) => [`--${opt}`, help] as const);
  rows.push(['--help', 'show this help']);
  const width = Math.max(...rows.map(([o]) => o.length));
  return [
    `omega ${name}: ${c.summary}`,
    '',
    `Usage: ${c.usage}`,
    '',
    'Options:',
    ...rows.map(([o, h]) => `  ${o.padEnd(width)}  ${h}`),
    '',
  ].join('\n');
}

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'omega: the command line of the Omega key management service',
    '',
    'Usage: omega <command> [options]     omega <command> --help',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 ok, 1 operation failed or outcome unknown, 2 usage error, 3 cluster unreachable.',
    'Commands that talk to a cluster find it with --cluster FILE or the OMEGA_CLUSTER environment variable.',
    '',
  ].join('\n');
}

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** Runs one command line; resolves with the exit code and never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // Two-word commands ("key register") first, then one-word ones.
  const two = argv.length >= 2 ? `${argv[0]} ${argv[1]}` : undefined;
  const [name, ...rest] = two !== undefined && Object.hasOwn(COMMANDS, two) ? [two, ...argv.slice(2)] : argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  const json = rest.includes('--json');
  try {
    if (command === undefined) throw usage(`unknown command '${name}' (try omega --help)`);
    const options: Record<string, OptionSpec> = { help: { type: 'boolean', short: 'h' } };
    for (const [opt, [spec]] of Object.entries(command.options)) options[opt] = spec;
    let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
    let positionals: string[];
    const wanted = command.positionals ?? [];
    try {
      ({ values, positionals } = parseArgs({
        args: [...rest],
        options,
        strict: true,
        allowPositionals: wanted.length > 0,
      }));
    } catch (e) {
      throw usage(`${(e as Error).message.split('\n')[0]} (try omega ${name} --help)`);
    }
    if (values.help === true) {
      io.out(commandHelp(name, command));
      return EXIT.OK;
    }
    if (positionals.length !== wanted.length) {
      throw usage(`omega ${name} takes ${wanted.map((w) => `<${w}>`).join(' ')} (try omega ${name} --help)`);
    }
    return await command.run(values, io, positionals);
  } catch (e) {
    const code = isOmegaError(e) ? e.code : 'INTERNAL';
    // OmegaError messages already start with "CODE: "; print the bare message once.
    const raw = e instanceof Error ? e.message : String(e);
    const message = raw.startsWith(`${code}: `) ? raw.slice(code.length + 2) : raw;
    if (json) io.out(`${JSON.stringify({ error: { code, message } })}\n`);
    io.err(`error ${code}: ${message}\n`);
    return code === 'USAGE' ? EXIT.USAGE : EXIT.FAILED;
  }
}
