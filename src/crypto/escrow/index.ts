/**
 * Shared escrow of users' existing private keys (Omega §5; ARCHITECTURE.md D8a). Design, byte format
 * and key-type rules: docs/crypto.md, section "Key escrow".
 */
export * from './keys.js';
export * from './escrow.js';
