/**
 * Threshold BLS12-381 (min-sig) and its backends. See docs/crypto.md "Threshold BLS" and "BLS backends".
 */
export type { BlsBackend, BlsBackendName, PairingInput } from './backend.js';
export {
  BLS12_381_P,
  BLS12_381_R,
  BLS_SIG_CIPHERSUITE,
  BLS_SIG_DST,
  G1_BYTES,
  G2_BYTES,
  MAX_MESSAGE_BYTES,
} from './encoding.js';
export type { BlsBackendPreference } from './load.js';
export { loadBlsBackend, parseBlsBackendPreference } from './load.js';
export { nobleBackend } from './noble.js';
export type { CombineResult, PartialSignature, ThresholdPublicKey } from './threshold.js';
export {
  BLS_FR,
  PARTIAL_BYTES,
  combine,
  decodePartial,
  encodePartial,
  findBadPartials,
  partialSign,
  thresholdKeyFromCommitments,
  verify,
  verifyPartial,
} from './threshold.js';
export type { ThresholdBlsService } from './service.js';
export { inThreadBls } from './service.js';
