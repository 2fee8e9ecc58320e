/**
 * Typed views of audit entries (docs/registry.md "Audit log"): what `omega audit` lists and what a
 * revocation stream sends. The bodies are written by registry.ts; this is their one strict decoder, so a
 * body that does not decode exactly (wrong fields, trailing bytes) is INVALID_ENCODING.
 */
import { Reader } from '../../codec.js';
import { OmegaError } from '../../errors.js';
import type { AdminActionEnvelope } from './admin.js';
import { decodeAdminAction } from './admin.js';
import type { AuditEntry } from './audit.js';
import type { RegistryKeyType } from './keys.js';
import { keyTypeFromCode } from './keys.js';
import { ED25519_PUBLIC_KEY_BYTES, KEY_DIGEST_BYTES, REGISTRY_LIMITS } from './limits.js';
import { SERIAL_BYTES } from './x509.js';

/** How a key was revoked (revoke entries). */
export const REVOCATION_BY = { 1: 'key', 2: 'principal-key', 3: 'administrators' } as const;

export type AuditRecord =
  | { kind: 'register'; principal: string; keyType: RegistryKeyType; keyDigest: Uint8Array; spki: Uint8Array }
  | {
      kind: 'revoke';
      principal: string;
      keyDigest: Uint8Array;
      reason: number;
      by: (typeof REVOCATION_BY)[keyof typeof REVOCATION_BY];
    }
  | {
      kind: 'issue';
      principal: string;
      keyDigest: Uint8Array;
      serial: Uint8Array;
      notBeforeMs: number;
      notAfterMs: number;
    }
  | { kind: 'admin'; action: AdminActionEnvelope; signers: Uint8Array[] }
  | { kind: 'ca'; publicKey: Uint8Array; notBeforeMs: number; notAfterMs: number }
  | { kind: 'crl'; crlNumber: number; thisUpdateMs: number; entries: number };

/** Decodes the body of an audit entry according to its kind. */
export function decodeAuditRecord(entry: AuditEntry): AuditRecord {
  const r = new Reader(entry.body);
  const principal = (): string => r.string(REGISTRY_LIMITS.principalNameBytesMax);
  let record: AuditRecord;
  switch (entry.kind) {
    case 'register':
      record = {
        kind: 'register',
        principal: principal(),
        keyType: keyTypeFromCode(r.u8()),
        keyDigest: r.fixed(KEY_DIGEST_BYTES),
        spki: r.bytes(REGISTRY_LIMITS.spkiBytesMax),
      };
      break;
    case 'revoke': {
      const p = principal();
      const keyDigest = r.fixed(KEY_DIGEST_BYTES);
      const reason = r.u8();
      const how = r.u8();
      if (how !== 1 && how !== 2 && how !== 3)
        throw new OmegaError('INVALID_ENCODING', `revocation by ${how}`);
      record = { kind: 'revoke', principal: p, keyDigest, reason, by: REVOCATION_BY[how] };
      break;
    }
    case 'issue':
      record = {
        kind: 'issue',
        principal: principal(),
        keyDigest: r.fixed(KEY_DIGEST_BYTES),
        serial: r.fixed(SERIAL_BYTES),
        notBeforeMs: r.u64Number(),
        notAfterMs: r.u64Number(),
      };
      break;
    case 'admin':
      record = {
        kind: 'admin',
        action: decodeAdminAction(r.bytes(REGISTRY_LIMITS.adminActionBytesMax)),
        signers: r.array(REGISTRY_LIMITS.adminsMax, (rr) => rr.fixed(ED25519_PUBLIC_KEY_BYTES)),
      };
      break;
    case 'ca':
      record = { kind: 'ca', publicKey: r.fixed(32), notBeforeMs: r.u64Number(), notAfterMs: r.u64Number() };
      break;
    case 'crl':
      record = { kind: 'crl', crlNumber: r.u64Number(), thisUpdateMs: r.u64Number(), entries: r.u32() };
      break;
    default:
      throw new OmegaError('INVALID_ENCODING', 'unknown audit entry kind');
  }
  r.end();
  return record;
}
