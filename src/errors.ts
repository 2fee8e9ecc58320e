/**
 * The one registry of Omega's stable error codes (STYLE.md, "fastify / undici").
 *
 * Every rejection anywhere in Omega — a malformed encoding, a bad proof, an API request that fails
 * validation — is an {@link OmegaError} carrying one of these codes. Codes are part of the public
 * contract: they are documented in `docs/errors.md` (a test keeps the two in step), never renamed, and
 * never reused for a different meaning.
 *
 * This module is the lowest leaf of the source tree: it imports nothing, so `src/crypto` and `src/core`
 * may depend on it without breaking their layering.
 */

/** Code → one-line meaning. Group by area; add new codes at the end of their area. */
export const ERROR_CODES = {
  // ── encodings and inputs (any layer) ────────────────────────────────────────────────────────────
  INVALID_LENGTH: 'An input has the wrong byte length for its type.',
  INVALID_ENCODING: 'An input is not a valid encoding of its type (bad tag, bad structure, trailing bytes).',
  NON_CANONICAL: 'An input is a valid value but not in its unique canonical encoding.',
  OUT_OF_RANGE: 'A number (scalar, index, count, size) is outside its allowed range.',
  LIMIT_EXCEEDED: 'An input exceeds a configured limit (size, count, depth).',
  INVALID_ARGUMENT: 'An argument is inconsistent with the others (duplicate index, wrong threshold, ...).',

  // ── crypto ──────────────────────────────────────────────────────────────────────────────────────
  IDENTITY_POINT: 'A group element is the identity (point at infinity) where a non-identity one is required.',
  NOT_ON_CURVE: 'A group element does not lie on the curve.',
  WRONG_SUBGROUP: 'A group element is not in the prime-order subgroup (small-order or mixed-order point).',
  ZERO_SCALAR: 'A scalar is zero where a non-zero one is required.',
  BAD_SHARE: 'A secret share does not match the public commitments of its dealer.',
  BAD_COMMITMENTS: 'A commitment vector is malformed (wrong length, identity or invalid points).',
  BAD_PROOF: 'A zero-knowledge proof (Schnorr, DLEQ, ...) does not verify in its context.',
  BAD_PARTIAL: 'A partial signature or decryption share does not verify against its public share.',
  BAD_SIGNATURE: 'A signature does not verify.',
  NOT_ENOUGH_SHARES: 'Fewer than t+1 valid shares or partials are available.',
  DECRYPTION_FAILED: 'A ciphertext does not decrypt (wrong key, tampered ciphertext, or wrong context).',
  NONCE_REUSED: 'A one-time signing nonce was requested a second time.',
  BACKEND_UNAVAILABLE: 'A requested crypto backend could not be loaded.',
  UNSUPPORTED_VERSION: 'An encoding carries a format version this implementation does not read.',
  ESCROW_KEY_MISMATCH:
    'An escrow does not match the registered public key (C_0 or the recovered key differs).',

  // ── consensus ───────────────────────────────────────────────────────────────────────────────────
  INVALID_CERTIFICATE: 'A commit certificate does not prove 2f+1 precommits of its committee for its block.',
  INVALID_BLOCK: 'A block is invalid for the decided prefix (height, previous hash, time, batch limits).',
  NOT_PROPOSER: 'A proposal is signed by a member who is not the proposer of its height and round.',
  UNKNOWN_VALIDATOR: 'A message names a validator outside the committee of its height.',
  CONFLICTING_SIGNATURE: 'A replica was asked to sign a message that conflicts with one it already signed.',
  // ── distributed key generation (src/core/sessions/dkg) ────────────────────────────────────────
  DKG_WRONG_SESSION:
    'A DKG transaction carries another session id (another epoch, attempt or committee: a replay).',
  DKG_NOT_MEMBER:
    'A DKG transaction or call names a sender or participant outside the committee of the session.',
  DKG_WRONG_PHASE:
    'A DKG transaction or call comes in a phase that does not accept it (deal before all epoch keys or after the candidate set is full, ...).',
  DKG_WINDOW_CLOSED: 'A DKG deal or complaint arrives at or after the block time that closes its window.',
  DKG_DUPLICATE:
    'A member posted a second epoch key, a second deal (equivocation: only the first counts) or a second complaint about one dealer.',
  DKG_NOT_CANDIDATE: 'A DKG complaint names a dealer that is not in the candidate set.',
  // ── storage (src/runtime/storage) ──────────────────────────────────────────────────────────────
  STORAGE_CLOSED: 'A storage operation was attempted after close() or a simulated crash.',
  STORAGE_CORRUPT:
    'A storage file or record is not what Omega wrote (foreign database, bad header, undecodable record).',
  SCHEMA_TOO_NEW: 'The database was written by a newer Omega schema version than this binary knows.',
  BLOCK_HEIGHT_GAP: 'A decided block was appended at a height other than the last stored height + 1.',
  STORAGE_LOCKED:
    'The store is already open (one replica process per store, so no two processes sign from it).',
  STORAGE_FULL:
    'The store has no space left (disk full or its configured size cap); the write was not applied.',
  STORAGE_IO: 'The storage device failed a read or write; the replica should stop rather than continue.',
  WRONG_OPERATOR_SECRET:
    'The operator secret (passphrase or key file) does not open the sealed store of this replica.',

  // ── transport (src/runtime/transport) ──────────────────────────────────────────────────────────
  FRAME_TOO_LARGE:
    'A peer announced a frame larger than the maximum frame size; it is disconnected before the body is read.',
  MALFORMED_FRAME:
    'A peer sent a frame that does not decode (empty, unknown type, bad fields) or breaks the frame protocol.',
  PEER_AUTH_FAILED:
    'A TLS peer failed mutual authentication (no TLS 1.3, no certificate, or a key not pinned for that replica).',
  PEER_HELLO_INVALID:
    'The hello of a peer names the wrong chain, protocol version or replica index, or breaks the dial rule.',
  PEER_TIMEOUT: 'A peer did not complete its hello, or sent nothing, within the configured time.',
  PEER_DISCONNECTED:
    'The connection to a peer failed or was closed by the peer (refused, reset, end of stream).',
  SEND_QUEUE_FULL: 'A frame was refused because the bounded send queue of its peer is full.',
  UNKNOWN_PEER: 'A replica index is not a member of the configured committee.',
  TRANSPORT_CLOSED: 'A transport operation was attempted after close().',
  BAD_INCLUSION_PROOF: 'A Merkle inclusion proof does not verify against its root.',
  BAD_FRAGMENT: 'An erasure-coded fragment does not verify against the committed dispersal root.',
  NOT_A_CODEWORD:
    'The committed fragments are not a valid encoding (re-encoding the decoded data gives another root, or the padding is not zero).',

  // ── replicated state machine (src/core/machine) ─────────────────────────────────────────────────
  WRONG_CHAIN: 'A request names a different chain id than the cluster that received it.',
  INVALID_PRINCIPAL: 'A principal is not a canonical Ed25519 public key of large order.',
  INVALID_WINDOW: 'A request validity window is empty or longer than the allowed maximum.',
  REQUEST_NOT_YET_VALID: 'The block time is before the request validity window opens (notBefore).',
  REQUEST_EXPIRED: 'The block time is after the request validity window closed (notAfter).',
  DUPLICATE_REQUEST: 'A request with this principal and request id was already applied (replay).',
  UNKNOWN_OPERATION: 'A request names an operation tag this state machine does not know.',
  CAPACITY_EXHAUSTED: 'The replicated state has no room for this request now (deterministic; retry later).',
  NOT_COMMITTEE_MEMBER:
    'An operation reserved for the replicas of the committee was sent by another principal.',
  STALE_SHARE:
    'A FROST signature share names a job or attempt that is not being signed (late, early or unknown).',
  NOT_A_SIGNER: 'A FROST signature share comes from a replica that was not chosen for that signing attempt.',
  SERVICE_KEYS_NOT_READY: 'The operation needs the service keys, and the bootstrap DKG has not finished yet.',

  // ── HTTP API and SDK (src/api, src/sdk) ─────────────────────────────────────────────────────────
  INVALID_REQUEST:
    'An HTTP request fails schema validation (malformed JSON, missing, unknown or mistyped fields).',
  UNSUPPORTED_MEDIA_TYPE: 'An HTTP request body has a content type the route does not accept.',
  NOT_FOUND: 'No such HTTP route.',
  NOT_READY:
    'The replica is not ready to serve requests (starting, catching up, or without a quorum of peers).',
  OVERLOADED: 'A bounded queue of the replica is full; retry later or at another replica.',
  DECISION_TIMEOUT: 'A request was admitted but not decided within the deadline; it may still take effect.',
  INTERNAL: 'An unexpected internal error; the request may or may not have taken effect.',
  INVALID_CONFIG:
    'A configuration file is missing, unreadable, malformed, or has an invalid or unknown field.',
  BAD_REPLY: 'A replica reply is malformed, not bound to the request, or signed by the wrong replica.',
  BAD_REPLY_CERTIFICATE:
    'A reply certificate (service threshold signature and Merkle inclusion proof) is malformed or does not prove the result under the service public key.',

  // ── command line (src/cli) ──────────────────────────────────────────────────────────────────────
  USAGE: 'A command was called with an unknown command or option, a missing option, or an invalid value.',
  CLUSTER_UNREACHABLE: 'No replica of the cluster answered within the timeout.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Options attached to an {@link OmegaError}. */
export interface OmegaErrorOptions {
  /**
   * Who misbehaved, when the error is attributable: share indices of replicas or dealers that sent
   * bad data (STYLE.md practice 5: every failure names who misbehaved).
   */
  readonly culprits?: readonly number[];
  readonly cause?: unknown;
}

/**
 * An error with a stable {@link ErrorCode}. Thrown (or returned as a value) for every rejection of
 * bad input; never used for programmer errors, which are assertion failures.
 */
export class OmegaError extends Error {
  readonly code: ErrorCode;
  readonly culprits: readonly number[];

  constructor(code: ErrorCode, message: string, options: OmegaErrorOptions = {}) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OmegaError';
    this.code = code;
    this.culprits = options.culprits ?? [];
  }
}

/** True if `e` is an {@link OmegaError}, optionally with the given code. */
export function isOmegaError(e: unknown, code?: ErrorCode): e is OmegaError {
  return e instanceof OmegaError && (code === undefined || e.code === code);
}

/**
 * An invariant that must hold whatever the input: a failure is a bug in Omega, not bad input.
 * Assertions stay on in production (TigerBeetle: stop rather than continue wrong).
 */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant violated: ${message}`);
}
