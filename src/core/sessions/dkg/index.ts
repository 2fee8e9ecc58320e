/**
 * Log-DKG: one session generates the three service keys (threshold BLS signing key, threshold BLS IBE
 * master key, FROST(Ed25519) certificate key) over the BFT log. See docs/dkg.md.
 */
export type { DkgParams } from './params.js';
export { DKG_DEFAULTS, DKG_LIMITS, checkParams, dkgSessionId } from './params.js';
export type { ComplaintMessage, DealKeyPart, DealMessage, DkgKeyName, EpochKeyMessage } from './messages.js';
export {
  DKG_BODY_KIND,
  DKG_KEYS,
  decodeComplaint,
  decodeDeal,
  decodeEpochKey,
  encodeComplaint,
  encodeDeal,
  encodeEpochKey,
} from './messages.js';
export type { CheckedDeal, DealPolynomials, KeyShares } from './deal.js';
export {
  DEAL_PURPOSE,
  commitKey,
  dealEncryptionContext,
  pokContext,
  proveKey,
  randomDealPolynomials,
  sharePlaintext,
  verifyKeyProof,
} from './deal.js';
export type { ComplaintVerdict, DkgBlock, DkgPhase, DkgProgress, DkgResult } from './session.js';
export { DkgSession } from './session.js';
export type { DkgShares } from './participant.js';
export {
  complaintsFor,
  dealBodyFromPolynomials,
  deriveShares,
  makeDealBody,
  makeEpochKeyBody,
} from './participant.js';
