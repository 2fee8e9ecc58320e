/**
 * Identity-based encryption, tlock-compatible (ARCHITECTURE.md D10; docs/crypto.md, "Identity-based
 * encryption (tlock-compatible)"). Public surface:
 *
 * - {@link ibeEncrypt} / {@link ibeDecrypt}: Boneh–Franklin + FO, byte-compatible with drand tlock
 *   (`encryptOnG2RFC9380` / `decryptOnG2`), messages of 16..32 bytes (decryption: 1..32);
 * - {@link verifyIdentityKey}, {@link partialIdentityKey}, {@link verifyPartialIdentityKey},
 *   {@link extractIdentityKey}: identity keys as (threshold) min-sig BLS signatures on the identity;
 * - {@link encryptEnvelope} / {@link decryptEnvelope}: the versioned KEM/DEM envelope for any payload;
 * - {@link identityFor}: Scribe identity strings `<ns>|<id>|<period>`;
 * - {@link makeIbe} with an {@link IbeCurve}: the same scheme on another pairing backend;
 *   {@link loadIbe} picks one (mcl-wasm when it loads, else noble), `loadMclIbeCurve` forces mcl.
 */
import type { RandomSource } from '../rand.js';
import { ibe } from './default.js';
import type { ExtractRequest, ExtractResult, IbeCiphertext, PartialIdentityKey } from './scheme.js';

export { ibe } from './default.js';
export { G1_BYTES, G2_BYTES, GT_BYTES, IBE_G1_DST, nobleIbeCurve } from './curve.js';
export type { IbeCurve } from './curve.js';
export { loadMclIbeCurve } from './curve-mcl.js';
export { loadIbe } from './load.js';
export { IBE_MAX_IDENTITY_BYTES, IBE_MAX_MESSAGE_BYTES, IBE_MIN_MESSAGE_BYTES, makeIbe } from './scheme.js';
export type { ExtractRequest, ExtractResult, Ibe, IbeCiphertext, PartialIdentityKey } from './scheme.js';
export {
  ENVELOPE_MAGIC,
  ENVELOPE_MAX_PLAINTEXT_BYTES,
  ENVELOPE_VERSION,
  decryptEnvelope,
  encryptEnvelope,
  parseEnvelope,
} from './envelope.js';
export type { DecryptEnvelopeOptions, ParsedEnvelope } from './envelope.js';
export {
  IDENTITY_ID_MAX_BYTES,
  IDENTITY_NAMESPACE_MAX_BYTES,
  IDENTITY_PERIOD_MAX_BYTES,
  drandRoundIdentity,
  identityFor,
  parseIdentity,
} from './identity.js';
export type { IdentityFields } from './identity.js';

/** {@link Ibe.encrypt} on the default (noble) backend. */
export function ibeEncrypt(
  masterPublicKey: Uint8Array,
  identity: Uint8Array,
  message: Uint8Array,
  rng: RandomSource,
): IbeCiphertext {
  return ibe.encrypt(masterPublicKey, identity, message, rng);
}

/** {@link Ibe.decrypt} on the default (noble) backend. */
export function ibeDecrypt(identityKey: Uint8Array, ciphertext: IbeCiphertext): Uint8Array {
  return ibe.decrypt(identityKey, ciphertext);
}

/** {@link Ibe.verifyIdentityKey} on the default (noble) backend. */
export function verifyIdentityKey(
  masterPublicKey: Uint8Array,
  identity: Uint8Array,
  identityKey: Uint8Array,
): boolean {
  return ibe.verifyIdentityKey(masterPublicKey, identity, identityKey);
}

/** {@link Ibe.partialIdentityKey} on the default (noble) backend. */
export function partialIdentityKey(
  share: Parameters<typeof ibe.partialIdentityKey>[0],
  identity: Uint8Array,
): PartialIdentityKey {
  return ibe.partialIdentityKey(share, identity);
}

/** {@link Ibe.verifyPartialIdentityKey} on the default (noble) backend. */
export function verifyPartialIdentityKey(
  publicShare: Uint8Array,
  identity: Uint8Array,
  partial: PartialIdentityKey,
): boolean {
  return ibe.verifyPartialIdentityKey(publicShare, identity, partial);
}

/** {@link Ibe.extractIdentityKey} on the default (noble) backend. */
export function extractIdentityKey(request: ExtractRequest): ExtractResult {
  return ibe.extractIdentityKey(request);
}
