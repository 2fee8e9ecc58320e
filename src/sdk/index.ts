/**
 * The Omega SDK for Node and browsers: signs requests, talks to several replicas and never trusts one
 * (docs/api.md, "SDK"). Import only from here; it pulls in no `node:` module.
 */
export { OmegaClient, blsBackendVerify, nobleServiceVerify } from './client.js';
export { verifyCertifiedReply, decodeCertificate } from '../core/replies/certificate.js';
export type {
  AcceptedResult,
  BuiltEnvelope,
  ClientOptions,
  ClusterConfig,
  Outcome,
  ReplicaEndpoint,
  RequestOptions,
} from './client.js';
export { fromBase64url, toBase64url } from './base64url.js';
export { OP_TAGS } from '../core/machine/operations.js';
export type { OperationName } from '../core/machine/operations.js';
export { RegistryClient } from './registry.js';
export type { AdminSigner, RegistryOutcome } from './registry.js';
