/**
 * Parameters, session id and limits of one Log-DKG session (docs/dkg.md; research/protocol-design.md
 * §2.2). Everything that changes what a session accepts is hashed into its id, so a transaction of one
 * session — another epoch, another attempt after an abort, another committee or threshold — is refused
 * by every other (§2.3 "Domain separation": kyber's `Nonce`).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Reader } from '../../../codec.js';
import { Writer } from '../../../codec.js';
import { toHex, utf8 } from '../../../crypto/bytes.js';
import { MAX_SHARE_INDEX } from '../../../crypto/field.js';
import { OmegaError } from '../../../errors.js';

/** What one DKG session is run for; see the module comment. */
export interface DkgParams {
  /** The cluster's chain id (bound into the session id so two clusters never share transcripts). */
  readonly chainId: string;
  /** 0 for the bootstrap DKG. */
  readonly epoch: number;
  /** 0, 1, 2, ...: a session restarted after an abort gets attempt + 1 (a fresh session id). */
  readonly attempt: number;
  /** The replicas' Ed25519 identity public keys (32 bytes each); share index = position + 1. */
  readonly committee: readonly Uint8Array[];
  /** t: any t+1 shares sign, t learn nothing. */
  readonly threshold: number;
  /** Block-time length of the complaint phase (default {@link DKG_DEFAULTS}.complaintWindowMs). */
  readonly complaintWindowMs: number;
  /** Block-time limit for the candidate set to fill once all epoch keys are in. */
  readonly dealingWindowMs: number;
}

/** Every limit of the DKG in one place (ARCHITECTURE.md D14). */
export const DKG_LIMITS = {
  /** Largest committee (share indices are 1..255). */
  committeeMax: MAX_SHARE_INDEX,
  /** Smallest committee: FROST needs t >= 1 and the candidate set needs 2t+1 <= n. */
  committeeMin: 3,
  /** Largest chain id in UTF-8 bytes (as the state machine's envelope limit). */
  chainIdBytesMax: 64,
  /** Longest complaint or dealing window: one day of block time. */
  windowMsMax: 24 * 60 * 60 * 1000,
  /** Longest disqualification or flag reason kept in the state (they are ASCII, built here). */
  reasonBytesMax: 256,
} as const;

/** Default windows (block time). */
export const DKG_DEFAULTS = {
  complaintWindowMs: 5_000,
  dealingWindowMs: 60_000,
} as const;

/** Bytes of a replica identity key in the committee list. */
export const IDENTITY_KEY_BYTES = 32;
/** Bytes of a session id (SHA-256). */
export const SESSION_ID_BYTES = 32;

/**
 * Validates parameters: 1 <= t, 2t+1 <= n <= 255 (the candidate set must be able to fill), distinct
 * 32-byte identity keys, integer epoch/attempt, positive windows. Throws INVALID_ARGUMENT / OUT_OF_RANGE.
 */
export function checkParams(p: DkgParams): void {
  if (typeof p !== 'object' || p === null)
    throw new OmegaError('INVALID_ARGUMENT', 'params must be an object');
  if (typeof p.chainId !== 'string' || p.chainId.length === 0) {
    throw new OmegaError('INVALID_ARGUMENT', 'chainId must be a non-empty string');
  }
  if (utf8(p.chainId).length > DKG_LIMITS.chainIdBytesMax) {
    throw new OmegaError('LIMIT_EXCEEDED', `chainId exceeds ${DKG_LIMITS.chainIdBytesMax} bytes`);
  }
  for (const [name, v] of [
    ['epoch', p.epoch],
    ['attempt', p.attempt],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new OmegaError('OUT_OF_RANGE', `${name} must be an integer >= 0`);
  }
  for (const [name, v] of [
    ['complaintWindowMs', p.complaintWindowMs],
    ['dealingWindowMs', p.dealingWindowMs],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1 || v > DKG_LIMITS.windowMsMax) {
      throw new OmegaError('OUT_OF_RANGE', `${name} must be an integer in 1..${DKG_LIMITS.windowMsMax}`);
    }
  }
  if (!Array.isArray(p.committee)) throw new OmegaError('INVALID_ARGUMENT', 'committee must be an array');
  const n = p.committee.length;
  if (n < DKG_LIMITS.committeeMin || n > DKG_LIMITS.committeeMax) {
    throw new OmegaError(
      'OUT_OF_RANGE',
      `committee size must be in ${DKG_LIMITS.committeeMin}..${DKG_LIMITS.committeeMax}, got ${n}`,
    );
  }
  const seen = new Set<string>();
  for (const key of p.committee) {
    if (!(key instanceof Uint8Array) || key.length !== IDENTITY_KEY_BYTES) {
      throw new OmegaError('INVALID_LENGTH', `committee keys must be ${IDENTITY_KEY_BYTES} bytes`);
    }
    const hex = toHex(key);
    if (seen.has(hex)) throw new OmegaError('INVALID_ARGUMENT', 'a committee key appears twice');
    seen.add(hex);
  }
  const t = p.threshold;
  if (!Number.isInteger(t) || t < 1 || 2 * t + 1 > n) {
    throw new OmegaError('INVALID_ARGUMENT', `need 1 <= t and 2t+1 <= n, got t=${t}, n=${n}`);
  }
}

/** Writes the parameters in their canonical order (shared by the session id and snapshots). */
export function writeParams(w: Writer, p: DkgParams): void {
  w.string(p.chainId)
    .u64(p.epoch)
    .u64(p.attempt)
    .u16(p.threshold)
    .u64(p.complaintWindowMs)
    .u64(p.dealingWindowMs)
    .array(p.committee, (ww, key) => ww.fixed(key, IDENTITY_KEY_BYTES));
}

/** Reads {@link writeParams}' encoding and validates it. */
export function readParams(r: Reader): DkgParams {
  const chainId = r.string(DKG_LIMITS.chainIdBytesMax);
  const epoch = r.u64Number();
  const attempt = r.u64Number();
  const threshold = r.u16();
  const complaintWindowMs = r.u64Number();
  const dealingWindowMs = r.u64Number();
  const committee = r.array(DKG_LIMITS.committeeMax, (rr) => rr.fixed(IDENTITY_KEY_BYTES));
  const p: DkgParams = { chainId, epoch, attempt, committee, threshold, complaintWindowMs, dealingWindowMs };
  checkParams(p);
  return p;
}

const SESSION_TAG = 'omega/dkg/session/v1';

/**
 * The session id: SHA-256 over a tagged canonical encoding of every parameter. It is bound into every
 * body, proof of knowledge, share ciphertext and complaint disclosure of the session.
 *
 * @example
 * const sid = dkgSessionId({ chainId: 'omega-dev', epoch: 0, attempt: 0, committee, threshold: 1,
 *   complaintWindowMs: 5_000, dealingWindowMs: 60_000 });
 */
export function dkgSessionId(p: DkgParams): Uint8Array {
  checkParams(p);
  const w = new Writer().string(SESSION_TAG);
  writeParams(w, p);
  return sha256(w.finish());
}
