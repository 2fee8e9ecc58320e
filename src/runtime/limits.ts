/**
 * Every limit of the storage and transport layers, in one place (ARCHITECTURE.md D14, STYLE.md
 * "TigerBeetle: a limit on everything"). Units go last in the names. Components take these as defaults and
 * accept overrides (tests shrink them); an override is validated against the hard bounds here.
 */

/** Storage limits (docs/storage.md "Limits"). */
export const STORAGE_LIMITS = {
  /** Largest consensus-state record (the core's persisted LastSigned / lock state). */
  consensusStateBytesMax: 1 << 20,
  /** Largest consensus WAL entry, and the most entries kept between two truncations. */
  walEntryBytesMax: 4 << 20,
  walEntriesMax: 100_000,
  /** Largest decided block and largest certificate. */
  blockBytesMax: 64 << 20,
  certificateBytesMax: 1 << 20,
  /**
   * Largest snapshot of the public replicated state (below SQLite's default SQLITE_MAX_LENGTH of 10^9
   * bytes per value), and how many snapshots are kept.
   */
  snapshotBytesMax: 512 << 20,
  snapshotsRetainedDefault: 2,
  /** Index namespaces and keys: short, printable-ASCII names; binary keys up to 1 KiB. */
  namespaceBytesMax: 64,
  keyBytesMax: 1024,
  valueBytesMax: 16 << 20,
  /** Operations in one atomic batch. */
  batchOpsMax: 100_000,
  /** Sealed secrets: name length and plaintext size. */
  secretNameBytesMax: 256,
  secretBytesMax: 1 << 20,
  /** Block range reads (block sync): most blocks and bytes per call. */
  blockRangeCountMax: 10_000,
} as const;

/**
 * scrypt cost for passphrase-derived sealing keys (RFC 7914 §2). The default N = 2^17, r = 8, p = 1 is the
 * OWASP password-storage recommendation (128 MiB, ≈0.3 s here); tests may lower N down to the floor, which
 * is recorded in the store header so the same cost is used at every reopen.
 */
export const SCRYPT_LIMITS = {
  logNDefault: 17,
  logNMin: 10,
  logNMax: 20,
  r: 8,
  p: 1,
} as const;

/** Transport limits (docs/transport.md "Limits"). */
export const TRANSPORT_LIMITS = {
  /** Default and hard ceiling of the frame size (u32 length prefix excluded). */
  frameBytesMaxDefault: 16 << 20,
  frameBytesMaxCeiling: 256 << 20,
  /** Per-peer send queue bounds (frames and bytes) before the overflow policy applies. */
  sendQueueFramesMaxDefault: 1024,
  sendQueueBytesMaxDefault: 64 << 20,
  /** A connection must complete TLS and exchange hellos within this time. */
  helloTimeoutMsDefault: 5_000,
  /** Keepalive: a ping after this much send silence; a peer silent for idleTimeoutMs is dropped. */
  pingIntervalMsDefault: 2_000,
  idleTimeoutMsDefault: 10_000,
  /** Reconnect backoff: base, cap (exponential with jitter, docs/transport.md "Reconnect"). */
  reconnectBaseMsDefault: 100,
  reconnectMaxMsDefault: 10_000,
  /** Chain ids are short printable strings. */
  chainIdBytesMax: 128,
  /** Largest committee the transport accepts (replica indices are 1..committeeSizeMax). */
  committeeSizeMax: 1024,
} as const;
