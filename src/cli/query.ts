/**
 * `omega status` and `omega ping`: read-only views of a running cluster.
 *
 * status asks every replica's `GET /v1/status` in parallel (one replica's view each, not a quorum
 * answer: it is for operators). ping goes through the SDK, so its answer is accepted only on f+1
 * matching replica signatures (docs/api.md, "SDK").
 */
import { OmegaClient } from '../sdk/index.js';
import { loadClientFile } from '../runtime/config.js';
import { OmegaError } from '../errors.js';

/** One row of `omega status`. */
export interface ReplicaStatusRow {
  readonly index: number;
  readonly url: string;
  readonly reachable: boolean;
  readonly ready: boolean | null;
  readonly height: number | null;
  readonly round: number | null;
  /** Peers this replica is connected to, of n − 1. */
  readonly peers: number | null;
  readonly lag: number | null;
  readonly error?: string;
}

const STATUS_BYTES_MAX = 64 * 1024;

function nat(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
}

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (text.length > STATUS_BYTES_MAX) throw new OmegaError('BAD_REPLY', `${url}: reply too large`);
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    throw new OmegaError('BAD_REPLY', `${url}: reply is not JSON`);
  }
}

/** Queries one replica's status and readiness; never throws (an error becomes `reachable: false`). */
export async function replicaStatus(
  index: number,
  url: string,
  timeoutMs: number,
): Promise<ReplicaStatusRow> {
  const base = url.replace(/\/+$/, '');
  try {
    const [status, ready] = await Promise.all([
      getJson(`${base}/v1/status`, timeoutMs),
      getJson(`${base}/readyz`, timeoutMs).catch(() => null),
    ]);
    if (status.status !== 200 || typeof status.body !== 'object' || status.body === null)
      throw new OmegaError('BAD_REPLY', `GET /v1/status answered HTTP ${status.status}`);
    const b = status.body as Record<string, unknown>;
    const peers = Array.isArray(b.peers)
      ? b.peers.filter(
          (p) => typeof p === 'object' && p !== null && (p as { connected?: unknown }).connected === true,
        ).length
      : null;
    return {
      index,
      url,
      reachable: true,
      ready: ready === null ? null : ready.status === 200,
      height: nat(b.height),
      round: nat(b.round),
      peers,
      lag: nat(b.lagHeights),
    };
  } catch (e) {
    const error = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    return {
      index,
      url,
      reachable: false,
      ready: null,
      height: null,
      round: null,
      peers: null,
      lag: null,
      error,
    };
  }
}

export async function clusterStatus(clientFile: string, timeoutMs: number): Promise<ReplicaStatusRow[]> {
  const cluster = loadClientFile(clientFile);
  return Promise.all(cluster.replicas.map((r) => replicaStatus(r.index, r.url, timeoutMs)));
}

/** Renders rows as an aligned text table. */
export function statusTable(rows: readonly ReplicaStatusRow[], n: number): string {
  const show = (v: number | boolean | null) => (v === null ? '-' : String(v));
  const table = [
    ['replica', 'url', 'reachable', 'ready', 'height', 'round', 'peers', 'lag'],
    ...rows.map((r) => [
      String(r.index),
      r.url,
      r.reachable ? 'yes' : `no (${r.error ?? 'error'})`,
      show(r.ready),
      show(r.height),
      show(r.round),
      r.peers === null ? '-' : `${r.peers}/${n - 1}`,
      show(r.lag),
    ]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Result of one `omega ping`. */
export type PingResult =
  | {
      outcome: 'ok';
      latencyMs: number;
      height: number;
      index: number;
      signers: number[];
      /** True when the service's threshold signature proved the reply (pinned key, docs/replies.md). */
      certified: boolean;
      culprits: number[];
    }
  | { outcome: 'fail'; latencyMs: number; code: string; message: string; culprits: number[] }
  | { outcome: 'unknown'; latencyMs: number; reason: string; culprits: number[] };

export async function ping(
  clientFile: string,
  secretKey: Uint8Array,
  timeoutMs: number,
  payload: Uint8Array = new Uint8Array(0),
): Promise<PingResult> {
  const cluster = loadClientFile(clientFile);
  const client = new OmegaClient({ cluster, secretKey, timeoutMs, hedgeMs: Math.min(2_000, timeoutMs) });
  const t0 = performance.now();
  const r = await client.ping(payload);
  const latencyMs = Math.round((performance.now() - t0) * 100) / 100;
  const culprits = [...r.culprits];
  if (r.outcome === 'ok') {
    if (r.result.output.length !== payload.length || !r.result.output.every((b, i) => b === payload[i]))
      return {
        outcome: 'unknown',
        latencyMs,
        reason: 'the accepted ping output differs from its payload',
        culprits,
      };
    return {
      outcome: 'ok',
      latencyMs,
      height: r.result.height,
      index: r.result.index,
      signers: r.result.signatures.map((s) => s.replicaIndex),
      certified: r.result.certificate !== undefined,
      culprits,
    };
  }
  if (r.outcome === 'fail') return { outcome: 'fail', latencyMs, code: r.code, message: r.message, culprits };
  return { outcome: 'unknown', latencyMs, reason: r.reason, culprits };
}
