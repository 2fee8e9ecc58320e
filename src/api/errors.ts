/**
 * Error → HTTP status, and the JSON error body `{ error: { code, message } }` (docs/api.md,
 * "Errors"). Every code the API can return is a stable code from src/errors.ts.
 */
import type { ErrorCode } from '../errors.js';

/** HTTP status for each code the API returns; anything else is 400 if it is a rejection of input. */
export const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_REQUEST: 400,
  INVALID_ENCODING: 400,
  INVALID_LENGTH: 400,
  OUT_OF_RANGE: 400,
  UNSUPPORTED_VERSION: 400,
  WRONG_CHAIN: 400,
  INVALID_PRINCIPAL: 400,
  INVALID_WINDOW: 400,
  UNKNOWN_OPERATION: 400,
  BAD_SIGNATURE: 400,
  NOT_FOUND: 404,
  LIMIT_EXCEEDED: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  NOT_READY: 503,
  OVERLOADED: 503,
  DECISION_TIMEOUT: 504,
};

export function httpStatusFor(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 400;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}
