/**
 * The public key registry (Omega §4, §6; issue 7; docs/registry.md): key validation, X.509 certificates
 * and CRLs signed by the FROST certificate key, k-of-m administration, the hash-chained audit log, and the
 * replicated registry state with its operations.
 */
export * from './admin.js';
export * from './audit.js';
export * from './audit-records.js';
export * from './keys.js';
export * from './limits.js';
export * from './messages.js';
export * from './operations.js';
export * from './registry.js';
export * from './rsa.js';
export * from './x509.js';
export * from './keyfile.js';
