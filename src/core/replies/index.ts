/**
 * Threshold-signed replies: the block-results tree, the signed statement, certified-reply encoding and
 * verification, and the replicas' partial-signature messages. Pure. See docs/replies.md.
 */
export * from './certificate.js';
export * from './messages.js';
