/**
 * IBE identity strings (ARCHITECTURE.md D10; Scribe §4.3–4.4): `<namespace>|<id>|<period>` in UTF-8.
 * The namespace keeps applications apart, the period is the validity period a key is issued for
 * (revocation by expiry: a key for "2026-01" decrypts nothing encrypted to "2026-02").
 *
 * Each identity has exactly one encoding: fields may not contain '|' (so the split is unique), must be
 * NFC-normalised well-formed Unicode without control characters (so two spellings of one name are not
 * two identities), and are length-limited.
 */
import { OmegaError, invariant } from '../../errors.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, u64be, utf8 } from '../bytes.js';

/** Limits on each field, in UTF-8 bytes. */
export const IDENTITY_NAMESPACE_MAX_BYTES = 64;
export const IDENTITY_ID_MAX_BYTES = 512;
export const IDENTITY_PERIOD_MAX_BYTES = 64;

/** The three fields of an identity. */
export interface IdentityFields {
  readonly namespace: string;
  readonly id: string;
  readonly period: string;
}

const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const PERIOD_RE = /^[A-Za-z0-9][A-Za-z0-9._:+-]*$/;
// C0 and C1 control characters, DEL, and the separator.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_ID = /[\u0000-\u001f\u007f-\u009f|]/;
// ignoreBOM: a leading U+FEFF stays in the text (and is then rejected or round-trips), never dropped.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function checkField(value: unknown, name: string, maxBytes: number, pattern?: RegExp): Uint8Array {
  if (typeof value !== 'string')
    throw new OmegaError('INVALID_ARGUMENT', `identity ${name} must be a string`);
  if (value.length === 0) throw new OmegaError('INVALID_ARGUMENT', `identity ${name} must not be empty`);
  const bytes = utf8(value);
  if (bytes.length > maxBytes) {
    throw new OmegaError('LIMIT_EXCEEDED', `identity ${name} exceeds ${maxBytes} UTF-8 bytes`);
  }
  // A lone surrogate would be replaced by U+FFFD on encoding: two strings, one identity.
  if (decoder.decode(bytes) !== value) {
    throw new OmegaError('INVALID_ARGUMENT', `identity ${name} is not well-formed Unicode`);
  }
  if (value.normalize('NFC') !== value) {
    throw new OmegaError('INVALID_ARGUMENT', `identity ${name} is not NFC-normalised`);
  }
  if (FORBIDDEN_IN_ID.test(value)) {
    throw new OmegaError('INVALID_ARGUMENT', `identity ${name} contains '|' or a control character`);
  }
  if (pattern !== undefined && !pattern.test(value)) {
    throw new OmegaError('INVALID_ARGUMENT', `identity ${name} has characters outside ${pattern.source}`);
  }
  return bytes;
}

/**
 * The identity bytes `<namespace>|<id>|<period>` for IBE encryption and extraction.
 * namespace: `[A-Za-z0-9][A-Za-z0-9._:-]*` (≤ 64 B); id: any NFC text without '|' or control characters
 * (≤ 512 B); period: `[A-Za-z0-9][A-Za-z0-9._:+-]*` (≤ 64 B), e.g. an ISO date or an epoch number.
 * Throws INVALID_ARGUMENT or LIMIT_EXCEEDED.
 *
 * @example
 * identityFor('mail', 'alice@example.org', '2026-01'); // utf8('mail|alice@example.org|2026-01')
 */
export function identityFor(namespace: string, id: string, period: string): Uint8Array {
  const ns = checkField(namespace, 'namespace', IDENTITY_NAMESPACE_MAX_BYTES, NAMESPACE_RE);
  const idBytes = checkField(id, 'id', IDENTITY_ID_MAX_BYTES);
  const p = checkField(period, 'period', IDENTITY_PERIOD_MAX_BYTES, PERIOD_RE);
  const out = new Uint8Array(ns.length + idBytes.length + p.length + 2);
  out.set(ns, 0);
  out[ns.length] = 0x7c;
  out.set(idBytes, ns.length + 1);
  out[ns.length + 1 + idBytes.length] = 0x7c;
  out.set(p, ns.length + idBytes.length + 2);
  return out;
}

/**
 * Parses identity bytes back into fields, with the same validation as {@link identityFor} (so
 * `identityFor(...parseIdentity(b))` equals `b` for every accepted `b`). Throws INVALID_ENCODING if the
 * bytes are not UTF-8 or do not have exactly three fields.
 */
export function parseIdentity(bytes: Uint8Array): IdentityFields {
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'identity: expected bytes');
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (cause) {
    throw new OmegaError('INVALID_ENCODING', 'identity is not valid UTF-8', { cause });
  }
  const parts = text.split('|');
  if (parts.length !== 3) {
    throw new OmegaError(
      'INVALID_ENCODING',
      `identity must have 3 '|'-separated fields, got ${parts.length}`,
    );
  }
  const [namespace, id, period] = parts as [string, string, string];
  const again = identityFor(namespace, id, period);
  invariant(equalBytes(again, bytes), 'identity encoding round-trips');
  return { namespace, id, period };
}

/**
 * The identity drand uses for a round (time-lock): SHA-256(uint64_be(round)) (drand `DigestBeacon`,
 * tlock-js `hashedRoundNumber`). Its identity key under a drand chain key is that round's beacon
 * signature. Throws OUT_OF_RANGE unless 0 <= round < 2^64.
 *
 * @example
 * ibeDecrypt(beaconSignature, ibeEncrypt(quicknetPublicKey, drandRoundIdentity(1000n), key, rng));
 */
export function drandRoundIdentity(round: bigint | number): Uint8Array {
  if (typeof round === 'number' && !Number.isSafeInteger(round)) {
    throw new OmegaError('OUT_OF_RANGE', 'round must be a safe integer');
  }
  return sha256(u64be(round));
}
