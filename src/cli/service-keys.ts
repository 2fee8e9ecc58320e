/**
 * `omega service-keys`: the bootstrap DKG's progress on every replica and the service public keys the
 * replicas agree on (docs/service-keys.md, "Trust anchor").
 *
 * One replica's answer proves nothing (it may be Byzantine). Keys are reported — and pinned into
 * client.json — only when at least f+1 replicas report the very same keys: among f+1 at least one is
 * correct, and a correct replica reports the keys the log determines. The operator should still compare
 * the printed fingerprints with those the other operators see (out of band), as with any trust anchor.
 */
import { fromBase64url } from '../sdk/base64url.js';
import { loadClientFile, pinServiceKeys, type PinnedServiceKeys } from '../runtime/config.js';
import { toHex } from '../crypto/bytes.js';
import { keyFingerprint } from '../core/service-keys/module.js';

/** One replica's view of the DKG (null fields when unreachable). */
export interface ServiceKeysRow {
  readonly index: number;
  readonly reachable: boolean;
  readonly phase: string | null;
  readonly attempt: number | null;
  readonly epochKeys: number | null;
  readonly holdsShares: boolean | null;
  readonly disqualified: readonly { dealer: number; reason: string }[];
  readonly keys: PinnedServiceKeys | null;
  readonly error?: string;
}

/** Keys reported by at least f+1 replicas, with their fingerprints. */
export interface AgreedServiceKeys {
  readonly keys: PinnedServiceKeys;
  readonly reportedBy: readonly number[];
  readonly fingerprints: { readonly signing: string; readonly ibe: string; readonly certificate: string };
}

const BODY_BYTES_MAX = 64 * 1024;

async function fetchRow(index: number, url: string, timeoutMs: number): Promise<ServiceKeysRow> {
  const base = url.replace(/\/+$/, '');
  try {
    const res = await fetch(`${base}/v1/service-keys`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    if (res.status !== 200 || text.length > BODY_BYTES_MAX) throw new Error(`HTTP ${res.status}`);
    const b = JSON.parse(text) as Record<string, unknown>;
    const k = b.keys as Record<string, { publicKey?: unknown }> | null;
    const bytes = (v: unknown, n: number): Uint8Array => {
      const out = typeof v === 'string' ? fromBase64url(v) : new Uint8Array(0);
      if (out.length !== n) throw new Error('malformed key');
      return out;
    };
    return {
      index,
      reachable: true,
      phase: typeof b.phase === 'string' ? b.phase : null,
      attempt: typeof b.attempt === 'number' ? b.attempt : null,
      epochKeys: typeof b.epochKeys === 'number' ? b.epochKeys : null,
      holdsShares: typeof b.holdsShares === 'boolean' ? b.holdsShares : null,
      disqualified: Array.isArray(b.disqualified)
        ? (b.disqualified as { dealer: number; reason: string }[])
        : [],
      keys:
        k === null || typeof k !== 'object'
          ? null
          : {
              epoch: typeof b.epoch === 'number' ? b.epoch : 0,
              signing: bytes(k.signing?.publicKey, 96),
              ibe: bytes(k.ibe?.publicKey, 96),
              certificate: bytes(k.certificate?.publicKey, 32),
            },
    };
  } catch (e) {
    return {
      index,
      reachable: false,
      phase: null,
      attempt: null,
      epochKeys: null,
      holdsShares: null,
      disqualified: [],
      keys: null,
      error: e instanceof Error ? e.message : String(e),
    };
  }
}

/** Asks every replica of the client file for its DKG view, in parallel. */
export async function serviceKeysRows(clientFile: string, timeoutMs: number): Promise<ServiceKeysRow[]> {
  const cluster = loadClientFile(clientFile);
  return Promise.all(cluster.replicas.map((r) => fetchRow(r.index, r.url, timeoutMs)));
}

/** The keys at least f+1 replicas report identically, or undefined. */
export function agreedServiceKeys(rows: readonly ServiceKeysRow[], f: number): AgreedServiceKeys | undefined {
  const groups = new Map<string, { keys: PinnedServiceKeys; by: number[] }>();
  for (const row of rows) {
    if (row.keys === null) continue;
    const id = [
      row.keys.epoch,
      toHex(row.keys.signing),
      toHex(row.keys.ibe),
      toHex(row.keys.certificate),
    ].join('/');
    const g = groups.get(id) ?? { keys: row.keys, by: [] };
    g.by.push(row.index);
    groups.set(id, g);
  }
  for (const g of groups.values()) {
    if (g.by.length >= f + 1) {
      return {
        keys: g.keys,
        reportedBy: g.by,
        fingerprints: {
          signing: keyFingerprint('signing', g.keys.signing),
          ibe: keyFingerprint('ibe', g.keys.ibe),
          certificate: keyFingerprint('certificate', g.keys.certificate),
        },
      };
    }
  }
  return undefined;
}

/** Text lines describing the DKG and the agreed keys (for `omega status` and `omega service-keys`). */
export function serviceKeysText(
  rows: readonly ServiceKeysRow[],
  agreed: AgreedServiceKeys | undefined,
  n: number,
): string {
  const lines = rows.map((r) =>
    r.reachable
      ? `  replica ${r.index}: ${r.phase ?? '?'} (attempt ${r.attempt ?? '?'}, epoch keys ${r.epochKeys ?? '?'}/${n}${r.holdsShares === true ? ', holds its shares' : ''})` +
        (r.disqualified.length > 0
          ? `; disqualified ${r.disqualified.map((d) => `${d.dealer} (${d.reason})`).join(', ')}`
          : '')
      : `  replica ${r.index}: unreachable`,
  );
  const out = ['DKG:', ...lines];
  if (agreed === undefined) out.push('Service keys: not yet agreed by f+1 replicas');
  else {
    out.push(
      `Service keys (epoch ${agreed.keys.epoch}, reported by replicas ${agreed.reportedBy.join(', ')}):`,
    );
    out.push(`  signing      ${agreed.fingerprints.signing}`);
    out.push(`  ibe          ${agreed.fingerprints.ibe}`);
    out.push(`  certificate  ${agreed.fingerprints.certificate}`);
  }
  return out.join('\n');
}

/** Pins agreed keys into the client file. */
export function pin(clientFile: string, agreed: AgreedServiceKeys): void {
  pinServiceKeys(clientFile, agreed.keys);
}
