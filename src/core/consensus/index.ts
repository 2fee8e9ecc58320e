/**
 * Omega's consensus core: Tendermint (arXiv 1807.04938, Algorithm 1) as a pure state machine, its
 * messages and canonical bytes, committees, commit certificates and block sync. See docs/consensus.md for
 * the protocol, the effect-ordering contract the runtime must follow, and the pitfalls and their tests.
 */
export * from './limits.js';
export * from './committee.js';
export * from './messages.js';
export * from './validity.js';
export * from './wal.js';
export * from './machine.js';
