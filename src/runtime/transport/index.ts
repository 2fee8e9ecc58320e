/** The replica mesh transport (docs/transport.md). */
export { reconnectDelayMs, type BackoffPolicy } from './backoff.js';
export {
  DATA_OVERHEAD_BYTES,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  PROTOCOL_VERSION,
  decodePayload,
  encodeFrame,
  type DataFrame,
  type Frame,
  type HelloFrame,
  type PingFrame,
} from './frame.js';
export {
  MESH_ALPN,
  MeshTransport,
  defaultMeshLimits,
  type CommitteeMember,
  type MeshEvents,
  type MeshLimits,
  type MeshOptions,
  type MisbehaviorReport,
  type OverflowPolicy,
  type PeerAddress,
  type PeerStats,
} from './mesh.js';
