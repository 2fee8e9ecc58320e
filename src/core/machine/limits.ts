/**
 * Every limit of the replicated state machine in one place (ARCHITECTURE.md D14, TigerBeetle: "put a
 * limit on everything"). The HTTP API derives its body limits from these, and the SDK refuses to build
 * an envelope that would break one, so a limit is enforced identically at every boundary.
 *
 * Changing a value here changes which requests are valid: every replica of a cluster must run the same
 * values (they are part of the deterministic state transition function).
 */
export const MACHINE_LIMITS = {
  /** Envelope format version understood by this code (first byte of every envelope). */
  envelopeVersion: 1,
  /** Largest encoded envelope accepted anywhere (API body, block entry). */
  envelopeBytesMax: 70_000,
  /** Largest operation body inside an envelope; each operation may set a smaller limit. */
  bodyBytesMax: 65_536,
  /** Largest chain id, in UTF-8 bytes. */
  chainIdBytesMax: 64,
  /** Longest validity window, notAfter − notBefore: bounds how long a request id must be remembered. */
  validityWindowMsMax: 10 * 60 * 1000,
  /** Largest output of one operation inside a result. */
  outputBytesMax: 65_536,
  /**
   * Largest number of remembered (principal, request id) pairs. Entries leave when their window has
   * closed (at most `validityWindowMsMax` after acceptance), so this bounds the sustained request rate at
   * 1,000,000 / 600 s ≈ 1,666 requests/s; beyond it requests get CAPACITY_EXHAUSTED (deterministically).
   */
  seenRequestsMax: 1_000_000,
  /** Largest `ping` payload. */
  pingBytesMax: 1024,
  /** Largest body of a DKG transaction (a deal for n = 64 is about 12 KB). */
  dkgBodyBytesMax: 32_768,
  /** Most module sections in a snapshot. */
  modulesMax: 64,
  /** Largest encoded section of one machine module inside a snapshot. */
  moduleSnapshotBytesMax: 256 * 1024 * 1024,
} as const;

/** Byte lengths fixed by the envelope format. */
export const PRINCIPAL_BYTES = 32;
export const REQUEST_ID_BYTES = 16;
export const SIGNATURE_BYTES = 64;
export const HASH_BYTES = 32;
