/**
 * The registry commands of `omega` (docs/registry.md, "CLI"): `ca cert`, `crl`, `admin authorize`,
 * `key register`, `key lookup`, `key revoke`. Keys are read as PEM (SPKI) or JWK; private keys (for proof
 * of possession and self-revocation) as PEM PKCS#8, handled by node:crypto and never sent anywhere.
 *
 * Trust: every answer goes through the SDK (a certified reply under the pinned service key). The CA
 * certificate and the CRL come from one replica's copy and are checked here against the pinned
 * certificate key before they are written out.
 */
import {
  X509Certificate,
  createPrivateKey,
  sign as nodeSign,
  verify as nodeVerify,
  createPublicKey,
} from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { concatBytes, fromHex, toHex } from '../crypto/bytes.js';
import { OmegaError } from '../errors.js';
import type { RegistryKeyType } from '../core/registry/keys.js';
import { KEY_TYPES, canSign } from '../core/registry/keys.js';
import { readPublicKeyFile } from '../core/registry/keyfile.js';
import type { AuditEntry } from '../core/registry/audit.js';
import { auditHash, decodeAuditEntry, verifyAuditChain } from '../core/registry/audit.js';
import { decodeAuditRecord } from '../core/registry/audit-records.js';
import { loadClientFile } from '../runtime/config.js';
import type { AdminSigner, RegistryOutcome } from '../sdk/index.js';
import { OmegaClient, RegistryClient, fromBase64url } from '../sdk/index.js';
import type { CliIo } from './io.js';
import { EXIT, loadOrCreateClientKey, usage } from './io.js';

const ED25519_SPKI_PREFIX = fromHex('302a300506032b6570032100');

export interface RegistryContextOptions {
  readonly clientFile: string;
  readonly keyOption: string | undefined;
  readonly timeoutMs: number;
}

function pinnedCluster(clientFile: string) {
  const cluster = loadClientFile(clientFile);
  if (cluster.service === undefined) {
    throw new OmegaError(
      'SERVICE_KEYS_NOT_READY',
      `${clientFile} has no pinned service keys; run omega service-keys --pin first`,
    );
  }
  return { ...cluster, service: cluster.service };
}

export function registryClient(
  o: RegistryContextOptions,
  io: CliIo,
): { registry: RegistryClient; chainId: string } {
  const cluster = pinnedCluster(o.clientFile);
  const secretKey = loadOrCreateClientKey(o.keyOption, o.clientFile, io);
  const client = new OmegaClient({ cluster, secretKey, timeoutMs: o.timeoutMs, hedgeMs: 1_000 });
  return { registry: new RegistryClient(client, cluster.chainId), chainId: cluster.chainId };
}

export function readKeyFile(path: string, io: CliIo) {
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, path), 'utf8');
  } catch (cause) {
    throw new OmegaError('INVALID_CONFIG', `${path}: cannot read the key file`, { cause });
  }
  return readPublicKeyFile(text);
}

/** An administrator key file: 64 hex digits (the Ed25519 seed written by omega init). */
export function readAdminKey(path: string, io: CliIo): AdminSigner {
  const text = readFileSync(resolve(io.cwd, path), 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text))
    throw new OmegaError('INVALID_CONFIG', `${path}: an admin key file holds 64 lower-case hex digits`);
  const seed = fromHex(text);
  return { publicKey: ed25519.getPublicKey(seed), sign: (m) => ed25519.sign(m, seed) };
}

/** Signs with a PEM private key (PKCS#8): Ed25519, ECDSA (DER signature, SHA-256), RSA-PSS (SHA-256, salt 32). */
export function signWithPrivateKey(
  path: string,
  type: RegistryKeyType,
  message: Uint8Array,
  io: CliIo,
): Uint8Array {
  if (!canSign(type)) throw new OmegaError('INVALID_ARGUMENT', `${type} keys cannot sign`);
  const key = createPrivateKey(readFileSync(resolve(io.cwd, path), 'utf8'));
  if (type === 'ed25519') return new Uint8Array(nodeSign(null, message, key));
  if (type === 'rsa') {
    return new Uint8Array(
      nodeSign('sha256', message, { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }),
    );
  }
  return new Uint8Array(nodeSign('sha256', message, key));
}

export function keyTypeOption(v: string | undefined): RegistryKeyType {
  const t = v ?? 'ed25519';
  if (!(KEY_TYPES as readonly string[]).includes(t))
    throw usage(`--type must be one of ${KEY_TYPES.join(', ')}`);
  return t as RegistryKeyType;
}

/** Prints an outcome; returns the exit code. */
export function report<T>(
  r: RegistryOutcome<T>,
  io: CliIo,
  json: boolean,
  text: (v: T) => string,
  jsonOf: (v: T) => unknown,
): number {
  if (r.outcome === 'ok') {
    io.out(
      json
        ? `${JSON.stringify({ outcome: 'ok', height: r.height, ...(jsonOf(r.value) as object) })}\n`
        : `${text(r.value)}\n`,
    );
    return EXIT.OK;
  }
  if (json) io.out(`${JSON.stringify(r)}\n`);
  if (r.outcome === 'fail') io.err(`error ${r.code}: ${r.message}\n`);
  else io.err(`unknown: ${r.reason} (the request may or may not have taken effect)\n`);
  return EXIT.FAILED;
}

function pemOf(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function fetchPki(
  clientFile: string,
  timeoutMs: number,
): Promise<{ ca: Uint8Array | null; crl: Uint8Array | null }[]> {
  const cluster = loadClientFile(clientFile);
  return Promise.all(
    cluster.replicas.map(async (r) => {
      try {
        const res = await fetch(`${r.url.replace(/\/+$/, '')}/v1/registry/pki`, {
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = (await res.json()) as { caCertificate: string | null; crl: string | null };
        return {
          ca: body.caCertificate === null ? null : fromBase64url(body.caCertificate),
          crl: body.crl === null ? null : fromBase64url(body.crl),
        };
      } catch {
        return { ca: null, crl: null };
      }
    }),
  );
}

/** The CA certificate: self-signed by, and certifying, the pinned certificate key. */
export async function fetchCaCertificate(clientFile: string, timeoutMs: number): Promise<X509Certificate> {
  const { service } = pinnedCluster(clientFile);
  for (const { ca } of await fetchPki(clientFile, timeoutMs)) {
    if (ca === null) continue;
    try {
      const cert = new X509Certificate(Buffer.from(ca));
      const raw = new Uint8Array(cert.publicKey.export({ type: 'spki', format: 'der' })).subarray(12);
      if (toHex(raw) === toHex(service.certificate) && cert.verify(cert.publicKey)) return cert;
    } catch {
      // A replica served garbage: try the next one.
    }
  }
  throw new OmegaError(
    'CA_NOT_READY',
    'no replica served a CA certificate for the pinned certificate key yet',
  );
}

/** The newest CRL any replica serves whose signature verifies under the pinned certificate key. */
export async function fetchCrl(
  clientFile: string,
  timeoutMs: number,
): Promise<{ der: Uint8Array; crlNumber: bigint }> {
  const { service } = pinnedCluster(clientFile);
  const key = createPublicKey({
    key: Buffer.from(concatBytes(ED25519_SPKI_PREFIX, service.certificate)),
    format: 'der',
    type: 'spki',
  });
  let best: { der: Uint8Array; crlNumber: bigint } | undefined;
  for (const { crl } of await fetchPki(clientFile, timeoutMs)) {
    if (crl === null) continue;
    try {
      const list = AsnConvert.parse(crl, CertificateList);
      const tbs = new Uint8Array(AsnConvert.serialize(list.tbsCertList));
      if (!nodeVerify(null, tbs, key, new Uint8Array(list.signature))) continue;
      const ext = list.tbsCertList.crlExtensions?.find((e) => e.extnID === '2.5.29.20');
      const n =
        ext === undefined ? 0n : BigInt(`0x${toHex(new Uint8Array(ext.extnValue.buffer)).slice(4) || '0'}`);
      if (best === undefined || n > best.crlNumber) best = { der: crl, crlNumber: n };
    } catch {
      // Malformed or mis-signed: ignore this replica's copy.
    }
  }
  if (best === undefined)
    throw new OmegaError('CA_NOT_READY', 'no replica served a CRL signed by the pinned certificate key yet');
  return best;
}

export function writeOut(path: string | undefined, text: string, io: CliIo): void {
  if (path === undefined) io.out(text);
  else writeFileSync(resolve(io.cwd, path), text);
}

export { pemOf };

/**
 * The audit log, verified: the length and chain head come threshold-signed (registry.audit-head), the
 * entries from any replica that serves them; the chain from genesis must end exactly at that head.
 */
export async function verifiedAudit(
  o: RegistryContextOptions,
  io: CliIo,
): Promise<{ head: Uint8Array; entries: AuditEntry[] }> {
  const { registry, chainId } = registryClient(o, io);
  const anchor = await registry.auditHead();
  if (anchor.outcome !== 'ok') {
    throw new OmegaError(
      anchor.outcome === 'fail' ? anchor.code : 'CLUSTER_UNREACHABLE',
      anchor.outcome === 'fail' ? anchor.message : anchor.reason,
    );
  }
  const { length, head } = anchor.value;
  const cluster = loadClientFile(o.clientFile);
  for (const replica of cluster.replicas) {
    try {
      const entries: Uint8Array[] = [];
      while (entries.length < length) {
        const res = await fetch(
          `${replica.url.replace(/\/+$/, '')}/v1/registry/audit/${entries.length + 1}`,
          {
            signal: AbortSignal.timeout(o.timeoutMs),
          },
        );
        const page = ((await res.json()) as { entries: string[] }).entries.map(fromBase64url);
        if (page.length === 0) break;
        entries.push(...page);
      }
      const first = entries.slice(0, length);
      verifyAuditChain(chainId, first, head);
      return { head, entries: first.map(decodeAuditEntry) };
    } catch {
      // This replica's copy is missing, behind or altered: try the next one.
    }
  }
  throw new OmegaError('AUDIT_CHAIN_BROKEN', 'no replica served audit entries that match the signed head');
}

/** One audit entry as `omega key watch` prints it. */
function describeEntry(e: AuditEntry): Record<string, unknown> {
  let record: Record<string, unknown> = {};
  try {
    const r = decodeAuditRecord(e);
    record = Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, v instanceof Uint8Array ? toHex(v) : v] as const),
    );
  } catch {
    // An entry kind this CLI does not know: print the envelope only.
  }
  return { seq: e.seq, height: e.height, timeMs: e.timeMs, kind: e.kind, ...record };
}

/**
 * `omega key watch`: follows a replica's event stream (GET /v1/registry/events) and prints revocations
 * (every entry with `all`) only once they are verified: the entries received extend the verified audit
 * chain to a threshold-signed head (registry.audit-head). A replica that streams an entry the signed head
 * contradicts is dropped and the next one is used. Returns after `maxEvents` printed events (tests), or
 * runs until interrupted.
 */
export async function watchAudit(
  o: RegistryContextOptions,
  io: CliIo,
  opts: { all: boolean; json: boolean; history: boolean; maxEvents?: number },
): Promise<number> {
  const { registry } = registryClient(o, io);
  const verified = await verifiedAudit(o, io);
  let length = verified.entries.length;
  let head = verified.head;
  let printed = 0;
  const emit = (e: AuditEntry): boolean => {
    if (!opts.all && e.kind !== 'revoke') return false;
    const d = describeEntry(e);
    io.out(
      opts.json
        ? `${JSON.stringify(d)}\n`
        : `#${e.seq} ${new Date(e.timeMs).toISOString()} ${e.kind} ${Object.entries(d)
            .filter(([k]) => !['seq', 'height', 'timeMs', 'kind'].includes(k))
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(' ')}\n`,
    );
    printed += 1;
    return opts.maxEvents !== undefined && printed >= opts.maxEvents;
  };
  if (opts.history) for (const e of verified.entries) if (emit(e)) return EXIT.OK;
  const replicas = loadClientFile(o.clientFile).replicas;
  for (let attempt = 0; ; attempt++) {
    const replica = replicas[attempt % replicas.length]!;
    const buffer: Uint8Array[] = [];
    try {
      const res = await fetch(`${replica.url.replace(/\/+$/, '')}/v1/registry/events`, {
        headers: { 'last-event-id': String(length), accept: 'text/event-stream' },
      });
      if (res.status !== 200 || res.body === null) throw new Error(`HTTP ${res.status}`);
      const decoder = new TextDecoder();
      let text = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':') && l.includes(': '))
              .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
          );
          if (fields.event !== 'audit' || Number(fields.id) !== length + buffer.length + 1) continue;
          buffer.push(fromBase64url(fields.data ?? ''));
          const anchor = await registry.auditHead();
          if (anchor.outcome !== 'ok' || anchor.value.length <= length) continue;
          const take = Math.min(anchor.value.length - length, buffer.length);
          if (anchor.value.length - length > buffer.length) continue;
          let h = head;
          for (const entry of buffer.slice(0, take)) h = auditHash(h, entry);
          if (toHex(h) !== toHex(anchor.value.head)) {
            throw new OmegaError(
              'AUDIT_CHAIN_BROKEN',
              `replica ${replica.index} streamed entries the signed head refutes`,
            );
          }
          for (const entry of buffer.splice(0, take)) {
            length += 1;
            if (emit(decodeAuditEntry(entry))) return EXIT.OK;
          }
          head = h;
        }
      }
    } catch (e) {
      io.err(
        `omega key watch: replica ${replica.index}: ${e instanceof Error ? e.message : String(e)}; trying the next\n`,
      );
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
