/**
 * The replicated state machine: request envelopes, the operation registry, deterministic `apply`,
 * results bound to their requests, and canonical snapshots. Pure (no I/O, clock or randomness).
 * See docs/machine.md.
 */
export * from './limits.js';
export * from './envelope.js';
export * from './operations.js';
export * from './module.js';
export * from './result.js';
export * from './machine.js';
