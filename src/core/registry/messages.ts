/**
 * Request bodies and answers of the registry operations (docs/registry.md "Operations"): canonical
 * binary (src/codec.ts), decoded strictly, so every replica reads a body the same way and every answer
 * has exactly one encoding (answers are what the service signs).
 */
import { Reader, Writer } from '../../codec.js';
import { OmegaError } from '../../errors.js';
import type { RegistryKeyType } from './keys.js';
import { checkPrincipalName, KEY_TYPE_CODES, keyTypeFromCode } from './keys.js';
import { KEY_DIGEST_BYTES, REGISTRY_LIMITS } from './limits.js';
import { isCrlReason } from './x509.js';

const L = REGISTRY_LIMITS;

function readPrincipal(r: Reader): string {
  const p = r.string(L.principalNameBytesMax);
  checkPrincipalName(p);
  return p;
}

/** `register`: principal ‖ SPKI (DER) ‖ proof of possession (empty for X25519). */
export interface RegisterRequest {
  readonly principal: string;
  readonly spki: Uint8Array;
  readonly proofOfPossession: Uint8Array;
}

export function encodeRegisterRequest(q: RegisterRequest): Uint8Array {
  return new Writer().string(q.principal).bytes(q.spki).bytes(q.proofOfPossession).finish();
}

export function decodeRegisterRequest(bytes: Uint8Array): RegisterRequest {
  const r = new Reader(bytes);
  const q = {
    principal: readPrincipal(r),
    spki: r.bytes(L.spkiBytesMax),
    proofOfPossession: r.bytes(L.signatureBytesMax),
  };
  r.end();
  return q;
}

/** `lookup`: principal ‖ key type. */
export interface LookupRequest {
  readonly principal: string;
  readonly keyType: RegistryKeyType;
}

export function encodeLookupRequest(q: LookupRequest): Uint8Array {
  return new Writer().string(q.principal).u8(KEY_TYPE_CODES[q.keyType]).finish();
}

export function decodeLookupRequest(bytes: Uint8Array): LookupRequest {
  const r = new Reader(bytes);
  const q = { principal: readPrincipal(r), keyType: keyTypeFromCode(r.u8()) };
  r.end();
  return q;
}

/**
 * `revoke`: principal ‖ digest of the key to revoke ‖ reason ‖ digest of the signing key ‖ signature.
 * The signing key is the revoked key itself (Omega §6) or another current signing key of the principal
 * (the only way a key that cannot sign, X25519, is revoked without administrators).
 */
export interface RevokeRequest {
  readonly principal: string;
  readonly keyDigest: Uint8Array;
  readonly reason: number;
  readonly signerDigest: Uint8Array;
  readonly signature: Uint8Array;
}

export function encodeRevokeRequest(q: RevokeRequest): Uint8Array {
  return new Writer()
    .string(q.principal)
    .fixed(q.keyDigest, KEY_DIGEST_BYTES)
    .u8(q.reason)
    .fixed(q.signerDigest, KEY_DIGEST_BYTES)
    .bytes(q.signature)
    .finish();
}

export function decodeRevokeRequest(bytes: Uint8Array): RevokeRequest {
  const r = new Reader(bytes);
  const principal = readPrincipal(r);
  const keyDigest = r.fixed(KEY_DIGEST_BYTES);
  const reason = r.u8();
  if (!isCrlReason(reason)) throw new OmegaError('OUT_OF_RANGE', `CRL reason ${reason}`);
  const q = {
    principal,
    keyDigest,
    reason,
    signerDigest: r.fixed(KEY_DIGEST_BYTES),
    signature: r.bytes(L.signatureBytesMax),
  };
  r.end();
  return q;
}

/** The answer to a lookup. Every variant names the principal and key type asked for (Omega §3). */
export type LookupAnswer =
  | { readonly status: 'unknown'; readonly principal: string; readonly keyType: RegistryKeyType }
  | {
      readonly status: 'revoked';
      readonly principal: string;
      readonly keyType: RegistryKeyType;
      readonly keyDigest: Uint8Array;
      readonly revokedAtMs: number;
    }
  | {
      readonly status: 'pending';
      readonly principal: string;
      readonly keyType: RegistryKeyType;
      readonly keyDigest: Uint8Array;
      /** Identifier of the signing request (SHA-256 of the TBS); the certificate follows when it is signed. */
      readonly signingId: Uint8Array;
    }
  | {
      readonly status: 'certificate';
      readonly principal: string;
      readonly keyType: RegistryKeyType;
      readonly keyDigest: Uint8Array;
      readonly spki: Uint8Array;
      readonly certificate: Uint8Array;
      readonly notBeforeMs: number;
      readonly notAfterMs: number;
    };

const LOOKUP_STATUS = { unknown: 0, revoked: 1, pending: 2, certificate: 3 } as const;
const CERTIFICATE_BYTES_MAX = 8192;

export function encodeLookupAnswer(a: LookupAnswer): Uint8Array {
  const w = new Writer(256).u8(LOOKUP_STATUS[a.status]).string(a.principal).u8(KEY_TYPE_CODES[a.keyType]);
  switch (a.status) {
    case 'unknown':
      break;
    case 'revoked':
      w.fixed(a.keyDigest, KEY_DIGEST_BYTES).u64(a.revokedAtMs);
      break;
    case 'pending':
      w.fixed(a.keyDigest, KEY_DIGEST_BYTES).fixed(a.signingId, 32);
      break;
    case 'certificate':
      w.fixed(a.keyDigest, KEY_DIGEST_BYTES)
        .bytes(a.spki)
        .bytes(a.certificate)
        .u64(a.notBeforeMs)
        .u64(a.notAfterMs);
      break;
    default:
      throw new OmegaError('INVALID_ARGUMENT', 'unknown lookup status');
  }
  return w.finish();
}

export function decodeLookupAnswer(bytes: Uint8Array): LookupAnswer {
  const r = new Reader(bytes);
  const status = r.u8();
  const principal = readPrincipal(r);
  const keyType = keyTypeFromCode(r.u8());
  let a: LookupAnswer;
  switch (status) {
    case LOOKUP_STATUS.unknown:
      a = { status: 'unknown', principal, keyType };
      break;
    case LOOKUP_STATUS.revoked:
      a = {
        status: 'revoked',
        principal,
        keyType,
        keyDigest: r.fixed(KEY_DIGEST_BYTES),
        revokedAtMs: r.u64Number(),
      };
      break;
    case LOOKUP_STATUS.pending:
      a = {
        status: 'pending',
        principal,
        keyType,
        keyDigest: r.fixed(KEY_DIGEST_BYTES),
        signingId: r.fixed(32),
      };
      break;
    case LOOKUP_STATUS.certificate:
      a = {
        status: 'certificate',
        principal,
        keyType,
        keyDigest: r.fixed(KEY_DIGEST_BYTES),
        spki: r.bytes(L.spkiBytesMax),
        certificate: r.bytes(CERTIFICATE_BYTES_MAX),
        notBeforeMs: r.u64Number(),
        notAfterMs: r.u64Number(),
      };
      break;
    default:
      throw new OmegaError('INVALID_ENCODING', `unknown lookup status ${status}`);
  }
  r.end();
  return a;
}
