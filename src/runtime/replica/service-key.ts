/**
 * Where a replica gets the service signing key it signs reply roots with (docs/replies.md, "Key
 * source"): the bootstrap DKG (service-keys.ts) in production, a dealt key in some tests.
 *
 * The key is produced by the distributed key generation over the log (ARCHITECTURE.md D5); the replica
 * only asks a {@link ServiceKeySource} for the current one after applying each block. Injecting it keeps
 * the reply-signing code independent of how the key came to be: the DKG provides the production
 * source; tests deal a key with `deal()` + `thresholdKeyFromCommitments` (a trusted dealer, test only).
 */
import type { ThresholdPublicKey } from '../../crypto/bls/threshold.js';
import type { SecretShare } from '../../crypto/vss.js';

/** The service signing key (threshold BLS, min-sig) of one key epoch, as this replica sees it. */
export interface ServiceSigningKey {
  /** Key epoch; bound into every signed block statement (a refresh changes the shares, not the key). */
  readonly epoch: number;
  /** Public key and every replica's public share (replica i holds share index i). */
  readonly key: ThresholdPublicKey;
  /**
   * This replica's share, or undefined if it holds none (e.g. it lost its epoch key); it still combines
   * and serves signatures. Secret: never logged or persisted in the clear.
   */
  readonly share: SecretShare | undefined;
}

/**
 * The current service signing key, or undefined before the DKG has produced one (then replies are
 * signed by each replica's Ed25519 identity only, and clients count f+1 of them).
 *
 * Contract: `current()` is called on the replica's event loop right after each block is applied, and
 * must be a function of the applied log prefix (the DKG completes at a height every replica agrees on),
 * so that every correct replica signs block h under the same epoch. A source that switches epochs at
 * different heights on different replicas costs liveness of certification around the switch (partials
 * for different statements do not combine), never safety.
 */
export interface ServiceKeySource {
  current(): ServiceSigningKey | undefined;
}

/** A source that always returns the same key (tests, and replicas restored with a known key). */
export function fixedServiceKey(key: ServiceSigningKey | undefined): ServiceKeySource {
  return { current: () => key };
}
