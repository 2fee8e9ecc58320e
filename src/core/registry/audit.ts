/**
 * The hash-chained audit log of the registry (issue 7 "Audit log"; Omega §7.1 keeps a log of every
 * state-changing operation): every registry and administrative action is one entry, and each entry's hash
 * covers the previous one, so the head hash — part of the replicated state, hence of the threshold-signed
 * state root — commits to the whole history. Removing, altering, inserting or reordering an entry changes
 * every later hash and the head (verifyAuditChain finds the first bad entry).
 *
 * Entry encoding (src/codec.ts):
 *
 * ```
 * seq     u64      1, 2, 3, ... (no gaps)
 * height  u64      block of the action
 * timeMs  u64      block time
 * kind    u8       AUDIT_KINDS
 * actor   32 bytes the request principal (Ed25519), or zeros for k-of-m admin actions and system events
 * body    u32 len ‖ bytes   the kind's canonical record (docs/registry.md "Audit log")
 * ```
 *
 * `hash_0 = SHA-256(lengthPrefixed("omega/registry/audit-genesis/v1", chainId))`,
 * `hash_i = SHA-256(lengthPrefixed("omega/registry/audit/v1", hash_{i−1}, entryBytes_i))`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { Reader, Writer } from '../../codec.js';
import { OmegaError, invariant } from '../../errors.js';
import { equalBytes, lengthPrefixed, utf8 } from '../../crypto/bytes.js';

export const AUDIT_KINDS = {
  /** A key was registered (body: principal, key type, digest, SPKI). */
  register: 1,
  /** A key was revoked (body: principal, digest, reason, how). */
  revoke: 2,
  /** A certificate was decided (TBS built; body: principal, digest, serial, validity). */
  issue: 3,
  /** A k-of-m administrative action (body: the action bytes and the signers). */
  admin: 4,
  /** The certificate key was installed and the CA certificate decided (body: key, validity). */
  ca: 5,
  /** A CRL was decided (body: CRL number, thisUpdate, revoked count). */
  crl: 6,
} as const;

export type AuditKind = keyof typeof AUDIT_KINDS;

export interface AuditEntry {
  readonly seq: number;
  readonly height: number;
  readonly timeMs: number;
  readonly kind: AuditKind;
  readonly actor: Uint8Array;
  readonly body: Uint8Array;
}

const ACTOR_BYTES = 32;
const AUDIT_BODY_BYTES_MAX = 16_384;

export function encodeAuditEntry(e: AuditEntry): Uint8Array {
  return new Writer(96 + e.body.length)
    .u64(e.seq)
    .u64(e.height)
    .u64(e.timeMs)
    .u8(AUDIT_KINDS[e.kind])
    .fixed(e.actor, ACTOR_BYTES)
    .bytes(e.body)
    .finish();
}

export function decodeAuditEntry(bytes: Uint8Array): AuditEntry {
  const r = new Reader(bytes);
  const seq = r.u64Number();
  const height = r.u64Number();
  const timeMs = r.u64Number();
  const code = r.u8();
  const kind = (Object.keys(AUDIT_KINDS) as AuditKind[]).find((k) => AUDIT_KINDS[k] === code);
  if (kind === undefined) throw new OmegaError('INVALID_ENCODING', `unknown audit kind ${code}`);
  const actor = r.fixed(ACTOR_BYTES);
  const body = r.bytes(AUDIT_BODY_BYTES_MAX);
  r.end();
  return { seq, height, timeMs, kind, actor, body };
}

export function auditGenesis(chainId: string): Uint8Array {
  return sha256(lengthPrefixed(utf8('omega/registry/audit-genesis/v1'), utf8(chainId)));
}

export function auditHash(previous: Uint8Array, entryBytes: Uint8Array): Uint8Array {
  return sha256(lengthPrefixed(utf8('omega/registry/audit/v1'), previous, entryBytes));
}

/** The replicated audit log: encoded entries and the chain head. */
export class AuditLog {
  private readonly entries: Uint8Array[] = [];
  private headValue: Uint8Array;
  private last: { height: number; timeMs: number } = { height: 0, timeMs: 0 };

  constructor(readonly chainId: string) {
    this.headValue = auditGenesis(chainId);
  }

  get head(): Uint8Array {
    return this.headValue;
  }

  get length(): number {
    return this.entries.length;
  }

  /** Appends an entry (seq is assigned here); returns it. */
  append(height: number, timeMs: number, kind: AuditKind, actor: Uint8Array, body: Uint8Array): AuditEntry {
    invariant(height >= this.last.height && timeMs >= this.last.timeMs, 'audit entries follow block order');
    const entry: AuditEntry = { seq: this.entries.length + 1, height, timeMs, kind, actor, body };
    const bytes = encodeAuditEntry(entry);
    this.entries.push(bytes);
    this.headValue = auditHash(this.headValue, bytes);
    this.last = { height, timeMs };
    return entry;
  }

  /** Encoded entries from `fromSeq` (1-based), at most `limit`. */
  list(fromSeq = 1, limit = this.entries.length): Uint8Array[] {
    return this.entries.slice(Math.max(0, fromSeq - 1), Math.max(0, fromSeq - 1) + limit);
  }

  /** Rebuilds a log from encoded entries, verifying the chain against `head` (AUDIT_CHAIN_BROKEN). */
  static fromEntries(chainId: string, entries: readonly Uint8Array[], head: Uint8Array): AuditLog {
    verifyAuditChain(chainId, entries, head);
    const log = new AuditLog(chainId);
    for (const bytes of entries) {
      const e = decodeAuditEntry(bytes);
      log.append(e.height, e.timeMs, e.kind, e.actor, e.body);
    }
    invariant(equalBytes(log.head, head), 'rebuilt audit head matches');
    return log;
  }
}

/**
 * Verifies that `entries` (encoded, in order) form the chain ending at `head`: each decodes, seq is
 * 1, 2, 3, ..., heights and times never decrease, and the hash chain ends at `head`. Throws
 * AUDIT_CHAIN_BROKEN naming the first entry at fault (a removed, altered or reordered entry breaks the
 * seq or order checks at that point, or the final head).
 */
export function verifyAuditChain(chainId: string, entries: readonly Uint8Array[], head: Uint8Array): void {
  let hash = auditGenesis(chainId);
  let height = 0;
  let timeMs = 0;
  for (let i = 0; i < entries.length; i++) {
    let e: AuditEntry;
    try {
      e = decodeAuditEntry(entries[i]!);
    } catch (cause) {
      throw new OmegaError('AUDIT_CHAIN_BROKEN', `audit entry ${i + 1} does not decode`, { cause });
    }
    if (e.seq !== i + 1) {
      throw new OmegaError('AUDIT_CHAIN_BROKEN', `audit entry at position ${i + 1} has seq ${e.seq}`);
    }
    if (e.height < height || e.timeMs < timeMs) {
      throw new OmegaError('AUDIT_CHAIN_BROKEN', `audit entry ${e.seq} goes back in block order`);
    }
    height = e.height;
    timeMs = e.timeMs;
    hash = auditHash(hash, entries[i]!);
  }
  if (!equalBytes(hash, head)) {
    throw new OmegaError('AUDIT_CHAIN_BROKEN', 'audit entries do not hash to the head');
  }
}
