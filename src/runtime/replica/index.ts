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
