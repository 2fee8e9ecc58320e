/**
 * The request envelope: what a client signs and what the log orders (docs/machine.md, "Envelope").
 *
 * ```
 * version      u8            = 1
 * chainId      u32 len ‖ UTF-8   (≤ 64 bytes)
 * principal    32 bytes      the client's Ed25519 public key (RFC 8032 encoding)
 * requestId    16 bytes      random, chosen by the client; (principal, requestId) is deduplicated
 * notBeforeMs  u64           validity window, checked against the block time, inclusive at both ends
 * notAfterMs   u64
 * operation    u16           tag from the operation registry
 * body         u32 len ‖ bytes (≤ the operation's limit)
 * signature    64 bytes      Ed25519 over lengthPrefixed("omega/request/v1", every byte above)
 * ```
 *
 * All integers are big-endian (src/codec.ts). Decoding is strict: one encoding per envelope, so the
 * SHA-256 of the bytes identifies a request, and a result binds to it by that hash.
 *
 * Signature verification is injected ({@link Ed25519Verify}) because this module is pure and runs in
 * browsers too: replicas pass `node:crypto` (native), the SDK signs with @noble/curves. All replicas of a
 * cluster must verify with the same rule (RFC 8032 §5.1.7 with canonical S and A, as OpenSSL does):
 * a verifier that accepts more signatures than another would make replicas diverge.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Reader, Writer } from '../../codec.js';
import type { ErrorCode } from '../../errors.js';
import { OmegaError } from '../../errors.js';
import { equalBytes, lengthPrefixed, toHex, utf8 } from '../../crypto/bytes.js';
import { findOperation } from './operations.js';
import { MACHINE_LIMITS, PRINCIPAL_BYTES, REQUEST_ID_BYTES, SIGNATURE_BYTES } from './limits.js';

/** Domain-separation tag of request signatures. */
export const REQUEST_SIGN_TAG = 'omega/request/v1';

/** `(publicKey, message, signature) → valid?` — must never throw on malformed input (return false). */
export type Ed25519Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/** The signed part of an envelope. */
export interface UnsignedEnvelope {
  readonly version: number;
  readonly chainId: string;
  readonly principal: Uint8Array;
  readonly requestId: Uint8Array;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly operation: number;
  readonly body: Uint8Array;
}

/** A decoded envelope with its signature, the exact bytes it came from and their SHA-256. */
export interface Envelope extends UnsignedEnvelope {
  readonly signature: Uint8Array;
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
}

/** Encodes the signed part (everything before the signature). */
export function encodeUnsignedEnvelope(e: UnsignedEnvelope): Uint8Array {
  const w = new Writer(128 + e.body.length);
  writeUnsigned(w, e);
  return w.finish();
}

/** The bytes a client signs: lengthPrefixed("omega/request/v1", unsigned envelope bytes). */
export function requestSignBytes(unsignedBytes: Uint8Array): Uint8Array {
  return lengthPrefixed(utf8(REQUEST_SIGN_TAG), unsignedBytes);
}

/** Appends a 64-byte signature to unsigned envelope bytes. */
export function attachSignature(unsignedBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_BYTES) {
    throw new OmegaError('INVALID_LENGTH', `signature must be ${SIGNATURE_BYTES} bytes`);
  }
  const out = new Uint8Array(unsignedBytes.length + SIGNATURE_BYTES);
  out.set(unsignedBytes);
  out.set(signature, unsignedBytes.length);
  return out;
}

/** SHA-256 of envelope bytes: the identity a result binds to. */
export function envelopeHash(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}

/**
 * Strict structural decoding, without checking the signature, the chain or the operation.
 * Throws LIMIT_EXCEEDED, INVALID_ENCODING, UNSUPPORTED_VERSION or OUT_OF_RANGE.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'envelope must be bytes');
  if (bytes.length > MACHINE_LIMITS.envelopeBytesMax) {
    throw new OmegaError(
      'LIMIT_EXCEEDED',
      `envelope of ${bytes.length} bytes exceeds ${MACHINE_LIMITS.envelopeBytesMax}`,
    );
  }
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== MACHINE_LIMITS.envelopeVersion) {
    throw new OmegaError('UNSUPPORTED_VERSION', `envelope version ${version}`);
  }
  const chainId = r.string(MACHINE_LIMITS.chainIdBytesMax);
  const principal = r.fixed(PRINCIPAL_BYTES);
  const requestId = r.fixed(REQUEST_ID_BYTES);
  const notBeforeMs = r.u64Number();
  const notAfterMs = r.u64Number();
  const operation = r.u16();
  const body = r.bytes(MACHINE_LIMITS.bodyBytesMax);
  const signature = r.fixed(SIGNATURE_BYTES);
  r.end();
  return {
    version,
    chainId,
    principal,
    requestId,
    notBeforeMs,
    notAfterMs,
    operation,
    body,
    signature,
    bytes,
    hash: envelopeHash(bytes),
  };
}

/**
 * Every code {@link checkEnvelope} can throw. Each is a pure function of the envelope bytes and the chain
 * id, so all correct replicas agree on it: the SDK may report `fail` when f+1 replicas reject a request
 * with the same one of these codes (docs/api.md, "SDK outcomes").
 */
export const STATELESS_CHECK_CODES: readonly ErrorCode[] = [
  'INVALID_ENCODING',
  'INVALID_LENGTH',
  'OUT_OF_RANGE',
  'LIMIT_EXCEEDED',
  'UNSUPPORTED_VERSION',
  'WRONG_CHAIN',
  'INVALID_WINDOW',
  'UNKNOWN_OPERATION',
  'INVALID_PRINCIPAL',
  'BAD_SIGNATURE',
];

/** What `checkEnvelope` checks against. */
export interface EnvelopeCheckContext {
  readonly chainId: string;
  readonly verify: Ed25519Verify;
}

/**
 * The stateless validity check: a pure function of the bytes and the cluster's chain id, so every
 * correct replica reaches the same verdict. The API runs it before admitting a request; `apply` runs it
 * again on every request of a block (a Byzantine proposer may include anything).
 *
 * Order (cheapest first, signature last): size and structure, version, chain id, window shape,
 * operation and body size, principal encoding, signature.
 *
 * @returns the decoded envelope. @throws OmegaError with a stable code.
 */
export function checkEnvelope(bytes: Uint8Array, ctx: EnvelopeCheckContext): Envelope {
  const e = decodeEnvelope(bytes);
  if (e.chainId !== ctx.chainId) {
    throw new OmegaError('WRONG_CHAIN', `request is for chain ${JSON.stringify(e.chainId)}`);
  }
  if (e.notBeforeMs > e.notAfterMs) throw new OmegaError('INVALID_WINDOW', 'notBefore is after notAfter');
  if (e.notAfterMs - e.notBeforeMs > MACHINE_LIMITS.validityWindowMsMax) {
    throw new OmegaError(
      'INVALID_WINDOW',
      `validity window longer than ${MACHINE_LIMITS.validityWindowMsMax} ms`,
    );
  }
  const op = findOperation(e.operation);
  if (op === undefined) {
    throw new OmegaError('UNKNOWN_OPERATION', `operation tag 0x${e.operation.toString(16).padStart(4, '0')}`);
  }
  if (e.body.length > op.bodyBytesMax) {
    throw new OmegaError('LIMIT_EXCEEDED', `${op.name} body exceeds ${op.bodyBytesMax} bytes`);
  }
  checkPrincipal(e.principal);
  const unsigned = bytes.subarray(0, bytes.length - SIGNATURE_BYTES);
  let valid = false;
  try {
    valid = ctx.verify(e.principal, requestSignBytes(unsigned), e.signature);
  } catch {
    // The contract says a verifier returns false; treat a throwing one the same way, deterministically.
    valid = false;
  }
  if (!valid) throw new OmegaError('BAD_SIGNATURE', 'request signature does not verify');
  return e;
}

/**
 * A principal must be the canonical encoding of an Ed25519 point that is not of small order: with a
 * small-order key (for example the identity) a signature "verifies" for any message under cofactorless
 * verification, so such a principal would belong to everyone (RFC 8032 §5.1.3; research/protocol-design.md
 * §2.3 on torsion). Mixed-order keys need no rejection: forging for one still needs the prime-order
 * part's discrete logarithm.
 */
export function checkPrincipal(principal: Uint8Array): void {
  if (principal.length !== 32) throw new OmegaError('INVALID_PRINCIPAL', 'principal must be 32 bytes');
  const id = toHex(principal);
  let ok = validPrincipals.get(id);
  if (ok === undefined) {
    try {
      const p = ed25519.Point.fromBytes(principal, false);
      ok = equalBytes(p.toBytes(), principal) && !p.isSmallOrder();
    } catch {
      ok = false;
    }
    if (validPrincipals.size >= PRINCIPAL_MEMO_ENTRIES_MAX)
      validPrincipals.delete(validPrincipals.keys().next().value!);
    validPrincipals.set(id, ok);
  }
  if (!ok) throw new OmegaError('INVALID_PRINCIPAL', 'principal is not a canonical large-order Ed25519 key');
}

/**
 * Memo of {@link checkPrincipal}'s verdicts: decoding a point (a square root in the field) costs about
 * as much as a native signature check, and clients send many requests under one key. The verdict is a
 * pure function of the bytes, so the memo cannot change any outcome. Bounded, oldest evicted first.
 */
const PRINCIPAL_MEMO_ENTRIES_MAX = 4096;
const validPrincipals = new Map<string, boolean>();

function writeUnsigned(w: Writer, e: UnsignedEnvelope): void {
  w.u8(e.version);
  const chain = utf8(e.chainId);
  if (chain.length > MACHINE_LIMITS.chainIdBytesMax) {
    throw new OmegaError('LIMIT_EXCEEDED', `chain id exceeds ${MACHINE_LIMITS.chainIdBytesMax} bytes`);
  }
  w.bytes(chain);
  w.fixed(e.principal, PRINCIPAL_BYTES);
  w.fixed(e.requestId, REQUEST_ID_BYTES);
  w.u64(e.notBeforeMs);
  w.u64(e.notAfterMs);
  w.u16(e.operation);
  if (e.body.length > MACHINE_LIMITS.bodyBytesMax) {
    throw new OmegaError('LIMIT_EXCEEDED', `body exceeds ${MACHINE_LIMITS.bodyBytesMax} bytes`);
  }
  w.bytes(e.body);
}
