/** The replica process: startReplica glues the cores, storage, mesh and API (docs/replica.md). */
export {
  CONSENSUS_CHANNEL,
  SYNC_CHANNEL,
  decodeStoredBlock,
  encodeCertificate,
  jsonLogger,
  startReplica,
  type ReplicaLogger,
  type RunningReplica,
  type StartReplicaOptions,
} from './replica.js';
export {
  REPLIES_CHANNEL,
  REPLIES_LIMITS,
  REPLIES_NAMESPACE,
  ReplyCertifier,
  type ReplyCertifierOptions,
  type ReplyTestHooks,
} from './replies.js';
export { fixedServiceKey, type ServiceKeySource, type ServiceSigningKey } from './service-key.js';
