/**
 * Results and replies (docs/machine.md, "Results").
 *
 * A result is bound to its request: it carries the SHA-256 of the exact envelope bytes that were
 * ordered, the request id and the principal, plus where it was applied (height, index in the block).
 * Two replicas that applied the same block produce byte-identical results, which is what the SDK
 * compares (Schneider–Zhou §6 output voting; ARCHITECTURE.md D7).
 *
 * ```
 * version       u8       = 1
 * envelopeHash  32 bytes SHA-256 of the request bytes as they appear in the block
 * requestId     16 bytes (zero for bytes that did not decode)
 * principal     32 bytes (zero for bytes that did not decode)
 * height        u64
 * index         u32      position of the request in the block
 * status        u8       0 = ok, 1 = error
 * if ok:        output   u32 len ‖ bytes (≤ outputBytesMax)
 * if error:     code     u32 len ‖ ASCII error code from src/errors.ts
 * ```
 *
 * A reply is a result signed by one replica's Ed25519 identity key over
 * lengthPrefixed("omega/reply/v1", chainId, resultBytes); until the service key exists (DKG issue) the
 * SDK accepts a result when f+1 distinct replicas signed the same result bytes.
 */
import { Reader, Writer } from '../../codec.js';
import { lengthPrefixed, utf8 } from '../../crypto/bytes.js';
import type { ErrorCode } from '../../errors.js';
import { ERROR_CODES, OmegaError } from '../../errors.js';
import { HASH_BYTES, MACHINE_LIMITS, PRINCIPAL_BYTES, REQUEST_ID_BYTES } from './limits.js';

export const RESULT_VERSION = 1;
/** Domain-separation tag of replica reply signatures. */
export const REPLY_SIGN_TAG = 'omega/reply/v1';
const ERROR_CODE_BYTES_MAX = 64;

export type ResultStatus =
  { readonly ok: true; readonly output: Uint8Array } | { readonly ok: false; readonly code: ErrorCode };

/** The outcome of applying one request of a block. */
export interface RequestResult {
  readonly envelopeHash: Uint8Array;
  readonly requestId: Uint8Array;
  readonly principal: Uint8Array;
  readonly height: number;
  readonly index: number;
  readonly status: ResultStatus;
}

export function encodeResult(r: RequestResult): Uint8Array {
  const w = new Writer(128 + (r.status.ok ? r.status.output.length : 0));
  w.u8(RESULT_VERSION);
  w.fixed(r.envelopeHash, HASH_BYTES);
  w.fixed(r.requestId, REQUEST_ID_BYTES);
  w.fixed(r.principal, PRINCIPAL_BYTES);
  w.u64(r.height);
  w.u32(r.index);
  if (r.status.ok) {
    if (r.status.output.length > MACHINE_LIMITS.outputBytesMax) {
      throw new OmegaError('LIMIT_EXCEEDED', `output exceeds ${MACHINE_LIMITS.outputBytesMax} bytes`);
    }
    w.u8(0).bytes(r.status.output);
  } else {
    w.u8(1).string(r.status.code);
  }
  return w.finish();
}

/** Strict decoding; an unknown error code is INVALID_ENCODING (results come from untrusted replicas). */
export function decodeResult(bytes: Uint8Array): RequestResult {
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== RESULT_VERSION) throw new OmegaError('UNSUPPORTED_VERSION', `result version ${version}`);
  const envelopeHash = r.fixed(HASH_BYTES);
  const requestId = r.fixed(REQUEST_ID_BYTES);
  const principal = r.fixed(PRINCIPAL_BYTES);
  const height = r.u64Number();
  const index = r.u32();
  const tag = r.u8();
  let status: ResultStatus;
  if (tag === 0) {
    status = { ok: true, output: r.bytes(MACHINE_LIMITS.outputBytesMax) };
  } else if (tag === 1) {
    const code = r.string(ERROR_CODE_BYTES_MAX);
    if (!Object.hasOwn(ERROR_CODES, code))
      throw new OmegaError('INVALID_ENCODING', 'unknown error code in result');
    status = { ok: false, code: code as ErrorCode };
  } else {
    throw new OmegaError('INVALID_ENCODING', 'result status must be 0 or 1');
  }
  r.end();
  return { envelopeHash, requestId, principal, height, index, status };
}

/** The bytes a replica signs for a reply: lengthPrefixed("omega/reply/v1", chainId, resultBytes). */
export function replySignBytes(chainId: string, resultBytes: Uint8Array): Uint8Array {
  return lengthPrefixed(utf8(REPLY_SIGN_TAG), utf8(chainId), resultBytes);
}
