/**
 * Every limit of the public key registry in one place (ARCHITECTURE.md D14: a limit on everything, every
 * queue bounded). Like `MACHINE_LIMITS`, these values are part of the deterministic transition function:
 * every replica of a cluster must run the same ones.
 */
export const REGISTRY_LIMITS = {
  /** Longest principal name (ASCII): it is the certificate subject commonName, ub-common-name = 64 (RFC 5280 Appendix A). */
  principalNameBytesMax: 64,
  /** Longest SubjectPublicKeyInfo accepted (a 4096-bit RSA SPKI is 550 bytes). */
  spkiBytesMax: 1024,
  /** Smallest RSA modulus, in bits (NIST SP 800-131A r2: 2048 bits until 2030). */
  rsaModulusBitsMin: 2048,
  /**
   * Largest RSA modulus, in bits. Bounds the cost of the Omega §4.1 prime-power test, which is a modular
   * exponentiation with a 2·bits exponent (≈ 50 ms at 2048 bits in pure BigInt, docs/performance.md; about 8× that at 4096 bits):
   * it runs inside `apply`, so it must stay bounded.
   */
  rsaModulusBitsMax: 4096,
  /** Largest proof-of-possession or revocation signature (a 4096-bit RSA-PSS signature is 512 bytes). */
  signatureBytesMax: 1024,
  /** Keys per principal, current and historical together (registrations beyond this are refused). */
  keysPerPrincipalMax: 64,
  /** Principals in the registry. */
  principalsMax: 1_000_000,
  /** Pending authorizations (authorized but not yet registered). */
  authorizationsMax: 100_000,
  /** Certificate issuances waiting for their FROST signature. */
  pendingSignaturesMax: 1024,
  /** Administrators. */
  adminsMax: 64,
  /** Signatures carried by one administrative action (duplicates and non-admins are rejected anyway). */
  adminSignaturesMax: 64,
  /** Largest encoded administrative action (without its signatures). */
  adminActionBytesMax: 4096,
  /**
   * Longest validity of an administrative action (notAfter − block time): a replayed action id must be
   * remembered until its action expires, so this bounds the replay set.
   */
  adminActionLifetimeMsMax: 30 * 24 * 3600 * 1000,
  /** Remembered administrative action ids (replay protection); beyond it admin actions get CAPACITY_EXHAUSTED. */
  adminActionIdsMax: 100_000,
  /** Shortest and longest certificate lifetime a policy may set. */
  certLifetimeMsMin: 60 * 1000,
  certLifetimeMsMax: 397 * 24 * 3600 * 1000,
  /** Shortest and longest CRL lifetime (nextUpdate − thisUpdate). */
  crlLifetimeMsMin: 60 * 1000,
  crlLifetimeMsMax: 31 * 24 * 3600 * 1000,
  /** Audit entries kept in the replicated state (older ones stay in the log; the chain head covers them). */
  auditEntriesMax: 10_000_000,
} as const;

/** Byte lengths fixed by the formats. */
export const KEY_DIGEST_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const ADMIN_ACTION_ID_BYTES = 16;
