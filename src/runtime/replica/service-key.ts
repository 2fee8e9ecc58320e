/**
 * Where the replica gets the service signing key it signs reply roots with (docs/replies.md): the
 * bootstrap DKG (service-keys.ts) in production, a dealt key in some tests.
 */
import type { ThresholdPublicKey } from '../../crypto/bls/threshold.js';
import type { SecretShare } from '../../crypto/vss.js';

export interface ServiceSigningKey {
  readonly epoch: number;
  readonly key: ThresholdPublicKey;
  /** This replica's share; undefined if it holds none (e.g. it lost its epoch key). Secret. */
  readonly share: SecretShare | undefined;
}

export interface ServiceKeySource {
  current(): ServiceSigningKey | undefined;
}
