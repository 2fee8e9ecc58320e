/**
 * Public keys the registry accepts: parsing, validation, canonical encoding, digests and the messages a
 * key signs to prove possession or to revoke itself (Omega §4.1, §6; docs/registry.md "Keys").
 *
 * | type      | SubjectPublicKeyInfo algorithm (parameters)              | raw form                          | signs with (PoP, revocation)                         |
 * |-----------|----------------------------------------------------------|-----------------------------------|------------------------------------------------------|
 * | ed25519   | 1.3.101.112, absent (RFC 8410 §3)                        | 32-byte point (RFC 8032 §5.1.2)    | PureEdDSA (RFC 8032 §5.1.6)                           |
 * | x25519    | 1.3.101.110, absent (RFC 8410 §3)                        | 32-byte u-coordinate (RFC 7748 §5) | cannot sign: no PoP (docs/registry.md)                |
 * | p256      | id-ecPublicKey, namedCurve prime256v1 (RFC 5480 §2.1.1)   | SEC1 point, 65 or 33 bytes         | ECDSA-SHA-256, DER Ecdsa-Sig-Value (RFC 3279 §2.2.3)  |
 * | secp256k1 | id-ecPublicKey, namedCurve secp256k1 (SEC 2 §2.4.1)       | SEC1 point, 65 or 33 bytes         | ECDSA-SHA-256, DER Ecdsa-Sig-Value                    |
 * | rsa       | rsaEncryption, NULL (RFC 3279 §2.3.1)                    | DER RSAPublicKey (RFC 8017 A.1.1)  | RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 (RFC 8017 §8.1) |
 *
 * **Canonical form.** Every accepted key has exactly one canonical SPKI DER: the input must itself be
 * DER (re-encoding gives the same bytes), EC points are stored uncompressed (RFC 5480 §2.2: the form
 * every implementation must support), and the key's **digest** is SHA-256 of that canonical SPKI — the
 * standard SPKI fingerprint (as in RFC 7469 §2.4), so an administrator can compute it with
 * `openssl pkey -pubin -outform DER | sha256sum` for every type but compressed EC input.
 *
 * **Validation** (group.ts decoders and rsa.ts): canonical coordinates, on the curve, in the prime-order
 * subgroup, not the identity. Ed25519 keys of small or mixed order are rejected (WRONG_SUBGROUP); an
 * X25519 u must be reduced with bit 255 clear, on the curve (not the twist) and the u of a point of the
 * prime-order subgroup — every honest X25519 key (a multiple of 8 times the base point) is.
 *
 * **Signature verification is injected** ({@link KeySignatureVerify}): this module is pure and runs in
 * browsers, and RSA-PSS has no audited pure implementation here; replicas pass
 * `src/runtime/registry/verify.ts` (`node:crypto`, OpenSSL). All replicas must use the same verifier.
 */
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { ECParameters, id_ecPublicKey } from '@peculiar/asn1-ecc';
import { RSAPublicKey, id_rsaEncryption } from '@peculiar/asn1-rsa';
import { OmegaError } from '../../errors.js';
import { bytesToBigintBE, bytesToBigintLE, equalBytes, lengthPrefixed, utf8 } from '../../crypto/bytes.js';
import { ED25519 } from '../../crypto/group.js';
import { edwardsPointFromMontgomery, montgomeryFromEdwards } from '../../crypto/escrow/keys.js';
import type { EscrowKeyType } from '../../crypto/escrow/keys.js';
import { ED25519_PUBLIC_KEY_BYTES, KEY_DIGEST_BYTES, REGISTRY_LIMITS } from './limits.js';
import { bitLength, checkRsaPublicKey } from './rsa.js';

/** The key types of the registry: the escrow types (src/crypto/escrow/keys.ts) and RSA. */
export type RegistryKeyType = EscrowKeyType | 'rsa';

/** Wire codes (one byte); 1–4 are the escrow codes (`ESCROW_KEY_TYPE_CODES`), so the two never disagree. */
export const KEY_TYPE_CODES: Readonly<Record<RegistryKeyType, number>> = Object.freeze({
  ed25519: 1,
  x25519: 2,
  secp256k1: 3,
  p256: 4,
  rsa: 5,
});

export const KEY_TYPES: readonly RegistryKeyType[] = ['ed25519', 'x25519', 'secp256k1', 'p256', 'rsa'];

/** The key type of a wire code; INVALID_ENCODING for an unknown code. */
export function keyTypeFromCode(code: number): RegistryKeyType {
  const t = KEY_TYPES.find((k) => KEY_TYPE_CODES[k] === code);
  if (t === undefined) throw new OmegaError('INVALID_ENCODING', `unknown key type code ${code}`);
  return t;
}

/** A validated public key. */
export interface PublicKeyInfo {
  readonly type: RegistryKeyType;
  /** Canonical SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  /** SHA-256(spki): the key's identity in authorizations, revocations and certificates. */
  readonly digest: Uint8Array;
  /** Raw key (table above); EC points uncompressed. */
  readonly raw: Uint8Array;
  /** Modulus size in bits (RSA only). */
  readonly rsaBits?: number;
}

/** True for the key types that can sign (and so must prove possession). */
export function canSign(type: RegistryKeyType): boolean {
  return type !== 'x25519';
}

const OID_ED25519 = '1.3.101.112';
const OID_X25519 = '1.3.101.110';
const OID_P256 = '1.2.840.10045.3.1.7';
const OID_SECP256K1 = '1.3.132.0.10';

/** SHA-256 of a canonical SPKI. */
export function keyDigest(spki: Uint8Array): Uint8Array {
  return sha256(spki);
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.slice().buffer;
}

function encodeSpki(algorithm: AlgorithmIdentifier, raw: Uint8Array): Uint8Array {
  return new Uint8Array(
    AsnConvert.serialize(new SubjectPublicKeyInfo({ algorithm, subjectPublicKey: toArrayBuffer(raw) })),
  );
}

function ecAlgorithm(curveOid: string): AlgorithmIdentifier {
  return new AlgorithmIdentifier({
    algorithm: id_ecPublicKey,
    parameters: AsnConvert.serialize(new ECParameters({ namedCurve: curveOid })),
  });
}

/** Checks an Ed25519 key (strict decoder: canonical, on curve, prime-order subgroup, not the identity). */
function checkEd25519(raw: Uint8Array): void {
  ED25519.decode(raw);
}

const P25519 = 2n ** 255n - 19n;

/**
 * Checks an X25519 public value: bit 255 clear and u < p (canonical: RFC 7748 §5 would silently mask the
 * bit, so two encodings would name one key), on curve25519 rather than its twist, and the u of a point of
 * the prime-order subgroup (small order: WRONG_SUBGROUP, as RFC 7748 §6.1's all-zero output check; mixed
 * order: WRONG_SUBGROUP too, since no honest key has a torsion component).
 */
function checkX25519(raw: Uint8Array): void {
  if (raw.length !== 32) throw new OmegaError('INVALID_LENGTH', 'an X25519 public key is 32 bytes');
  if ((raw[31]! & 0x80) !== 0 || bytesToBigintLE(raw) >= P25519) {
    throw new OmegaError('NON_CANONICAL', 'X25519 u-coordinate is not reduced (or bit 255 is set)');
  }
  const projected = edwardsPointFromMontgomery(raw);
  if (!equalBytes(montgomeryFromEdwards(projected), raw)) {
    throw new OmegaError('WRONG_SUBGROUP', 'X25519 key has a small-order component (mixed order)');
  }
}

/** Parses and checks a SEC1 point (33 or 65 bytes); returns it uncompressed. */
function checkSec1(curve: 'p256' | 'secp256k1', raw: Uint8Array): Uint8Array {
  if (raw.length !== 33 && raw.length !== 65) {
    throw new OmegaError('INVALID_LENGTH', `a ${curve} point is 33 or 65 bytes`);
  }
  const Point = curve === 'p256' ? p256.Point : secp256k1.Point;
  let point: ReturnType<typeof Point.fromBytes>;
  try {
    point = Point.fromBytes(raw);
    point.assertValidity();
  } catch (cause) {
    throw new OmegaError('NOT_ON_CURVE', `${curve}: not a valid point`, { cause });
  }
  // Both curves have cofactor 1: every point but the identity (not encodable in SEC1 33/65) has prime order.
  if (point.is0()) throw new OmegaError('IDENTITY_POINT', `${curve}: identity`);
  if (!equalBytes(point.toBytes(raw.length === 33), raw)) {
    throw new OmegaError('NON_CANONICAL', `${curve}: non-canonical point encoding`);
  }
  return point.toBytes(false);
}

/** Minimal, positive DER INTEGER contents → bigint; NON_CANONICAL otherwise. */
function derPositiveInteger(bytes: Uint8Array, what: string): bigint {
  if (bytes.length === 0) throw new OmegaError('INVALID_ENCODING', `${what}: empty INTEGER`);
  if ((bytes[0]! & 0x80) !== 0) throw new OmegaError('OUT_OF_RANGE', `${what} is negative`);
  if (bytes.length > 1 && bytes[0] === 0 && (bytes[1]! & 0x80) === 0) {
    throw new OmegaError('NON_CANONICAL', `${what}: INTEGER is not minimally encoded`);
  }
  return bytesToBigintBE(bytes);
}

/** Parses a DER RSAPublicKey (RFC 8017 A.1.1) and runs rsa.ts's checks; returns the modulus size. */
function checkRsa(raw: Uint8Array): number {
  let key: RSAPublicKey;
  try {
    key = AsnConvert.parse(raw, RSAPublicKey);
  } catch (cause) {
    throw new OmegaError('INVALID_ENCODING', 'RSA: not a DER RSAPublicKey', { cause });
  }
  if (!equalBytes(new Uint8Array(AsnConvert.serialize(key)), raw)) {
    throw new OmegaError('NON_CANONICAL', 'RSA: RSAPublicKey is not DER');
  }
  const n = derPositiveInteger(new Uint8Array(key.modulus), 'RSA modulus');
  const e = derPositiveInteger(new Uint8Array(key.publicExponent), 'RSA public exponent');
  checkRsaPublicKey(n, e);
  return bitLength(n);
}

/** Builds the canonical key from a raw form (table above) after validating it. */
export function publicKeyFromRaw(type: RegistryKeyType, raw: Uint8Array): PublicKeyInfo {
  if (!(raw instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'public key must be bytes');
  if (raw.length > REGISTRY_LIMITS.spkiBytesMax) {
    throw new OmegaError('LIMIT_EXCEEDED', `public key of ${raw.length} bytes`);
  }
  let spki: Uint8Array;
  let canonicalRaw: Uint8Array = raw.slice();
  let rsaBits: number | undefined;
  switch (type) {
    case 'ed25519':
      if (raw.length !== ED25519_PUBLIC_KEY_BYTES) {
        throw new OmegaError('INVALID_LENGTH', 'an Ed25519 public key is 32 bytes');
      }
      checkEd25519(raw);
      spki = encodeSpki(new AlgorithmIdentifier({ algorithm: OID_ED25519 }), raw);
      break;
    case 'x25519':
      checkX25519(raw);
      spki = encodeSpki(new AlgorithmIdentifier({ algorithm: OID_X25519 }), raw);
      break;
    case 'p256':
    case 'secp256k1':
      canonicalRaw = checkSec1(type, raw);
      spki = encodeSpki(ecAlgorithm(type === 'p256' ? OID_P256 : OID_SECP256K1), canonicalRaw);
      break;
    case 'rsa':
      rsaBits = checkRsa(raw);
      spki = encodeSpki(new AlgorithmIdentifier({ algorithm: id_rsaEncryption, parameters: null }), raw);
      break;
    default:
      throw new OmegaError('UNSUPPORTED_KEY_TYPE', `unknown key type ${String(type)}`);
  }
  return {
    type,
    spki,
    digest: keyDigest(spki),
    raw: canonicalRaw,
    ...(rsaBits === undefined ? {} : { rsaBits }),
  };
}

const NULL_DER = new Uint8Array([0x05, 0x00]);

/**
 * Parses a SubjectPublicKeyInfo (DER) and validates the key. The result's `spki` is canonical; it equals
 * the input except for EC keys given in compressed form.
 *
 * Throws INVALID_ENCODING / NON_CANONICAL (not DER, trailing bytes, wrong parameters), LIMIT_EXCEEDED,
 * UNSUPPORTED_KEY_TYPE, and the validation codes of the key type (NOT_ON_CURVE, WRONG_SUBGROUP,
 * IDENTITY_POINT, RSA_KEY_SIZE, RSA_BAD_EXPONENT, RSA_BAD_MODULUS).
 */
export function parsePublicKey(spkiDer: Uint8Array): PublicKeyInfo {
  if (!(spkiDer instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'SPKI must be bytes');
  if (spkiDer.length > REGISTRY_LIMITS.spkiBytesMax) {
    throw new OmegaError('LIMIT_EXCEEDED', `SPKI of ${spkiDer.length} bytes`);
  }
  let info: SubjectPublicKeyInfo;
  try {
    info = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  } catch (cause) {
    throw new OmegaError('INVALID_ENCODING', 'not a DER SubjectPublicKeyInfo', { cause });
  }
  // One encoding per key: BER variants, trailing bytes and non-zero unused bits all fail this.
  if (!equalBytes(new Uint8Array(AsnConvert.serialize(info)), spkiDer)) {
    throw new OmegaError('NON_CANONICAL', 'SubjectPublicKeyInfo is not canonical DER');
  }
  const { algorithm, parameters } = info.algorithm;
  const raw = new Uint8Array(info.subjectPublicKey);
  const params =
    parameters === undefined ? undefined : parameters === null ? NULL_DER : new Uint8Array(parameters);
  const noParams = (): void => {
    // RFC 8410 §3: "the parameters MUST be absent".
    if (params !== undefined)
      throw new OmegaError('INVALID_ENCODING', `${algorithm}: parameters must be absent`);
  };
  switch (algorithm) {
    case OID_ED25519:
      noParams();
      return publicKeyFromRaw('ed25519', raw);
    case OID_X25519:
      noParams();
      return publicKeyFromRaw('x25519', raw);
    case id_ecPublicKey: {
      if (params === undefined) throw new OmegaError('INVALID_ENCODING', 'EC key without a named curve');
      let curve: string | undefined;
      try {
        curve = AsnConvert.parse(params, ECParameters).namedCurve;
      } catch (cause) {
        throw new OmegaError('INVALID_ENCODING', 'EC parameters are not a named curve', { cause });
      }
      // RFC 5480 §2.1.1: only namedCurve is allowed (implicitCurve and specifiedCurve MUST NOT be used).
      if (curve === OID_P256) return publicKeyFromRaw('p256', raw);
      if (curve === OID_SECP256K1) return publicKeyFromRaw('secp256k1', raw);
      throw new OmegaError('UNSUPPORTED_KEY_TYPE', `EC curve ${curve ?? '(not named)'} is not supported`);
    }
    case id_rsaEncryption:
      // RFC 3279 §2.3.1: "the parameters field MUST have ASN.1 type NULL".
      if (params === undefined || !equalBytes(params, NULL_DER)) {
        throw new OmegaError('INVALID_ENCODING', 'rsaEncryption parameters must be NULL');
      }
      return publicKeyFromRaw('rsa', raw);
    default:
      throw new OmegaError('UNSUPPORTED_KEY_TYPE', `key algorithm ${algorithm} is not supported`);
  }
}

/**
 * `(key, message, signature) → valid?` with the scheme of the key's type (module table). Must return
 * false, never throw, on malformed input, and must be the same function on every replica.
 */
export type KeySignatureVerify = (key: PublicKeyInfo, message: Uint8Array, signature: Uint8Array) => boolean;

/** Domain-separation tags of the messages registered keys sign. */
export const POP_TAG = 'omega/registry/pop/v1';
export const REVOKE_TAG = 'omega/registry/revoke/v1';

/**
 * What a key signs to prove possession at registration: the tag, the chain id (no replay on another
 * cluster), the principal name and the key digest (no replay for another principal or key).
 */
export function popMessage(chainId: string, principal: string, digest: Uint8Array): Uint8Array {
  if (digest.length !== KEY_DIGEST_BYTES) throw new OmegaError('INVALID_LENGTH', 'key digest is 32 bytes');
  return lengthPrefixed(utf8(POP_TAG), utf8(chainId), utf8(principal), digest);
}

/**
 * What a key signs to revoke a key: the tag, the chain id, the principal, the digest of the key being
 * revoked, and the reason code (RFC 5280 §5.3.1 CRLReason). When the signer is the revoked key itself
 * (Omega §6), `digest` is its own digest; when it is another signing key of the same principal (for X25519
 * keys, which cannot sign), `digest` names the revoked key and the signature is by the other key.
 */
export function revocationMessage(
  chainId: string,
  principal: string,
  digest: Uint8Array,
  reason: number,
): Uint8Array {
  if (digest.length !== KEY_DIGEST_BYTES) throw new OmegaError('INVALID_LENGTH', 'key digest is 32 bytes');
  return lengthPrefixed(utf8(REVOKE_TAG), utf8(chainId), utf8(principal), digest, new Uint8Array([reason]));
}

/** Calls an injected verifier, turning an exception into `false` deterministically. */
export function safeVerify(
  verify: KeySignatureVerify,
  key: PublicKeyInfo,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!canSign(key.type) || signature.length === 0 || signature.length > REGISTRY_LIMITS.signatureBytesMax) {
    return false;
  }
  try {
    return verify(key, message, signature) === true;
  } catch {
    return false;
  }
}

/** Checks a proof of possession; throws BAD_PROOF_OF_POSSESSION. Keys that cannot sign need none. */
export function checkProofOfPossession(
  key: PublicKeyInfo,
  chainId: string,
  principal: string,
  signature: Uint8Array | undefined,
  verify: KeySignatureVerify,
): void {
  if (!canSign(key.type)) return;
  if (
    signature === undefined ||
    !safeVerify(verify, key, popMessage(chainId, principal, key.digest), signature)
  ) {
    throw new OmegaError(
      'BAD_PROOF_OF_POSSESSION',
      `missing or invalid proof of possession for the ${key.type} key of ${JSON.stringify(principal)}`,
    );
  }
}

/**
 * Principal names: 1..128 bytes of `[A-Za-z0-9._@+:-]` starting with a letter or digit — DNS names,
 * e-mail addresses, URNs. ASCII only, so no two names look alike after Unicode normalization, and the
 * name is also a valid certificate commonName.
 */
const PRINCIPAL_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+:-]*$/;

/** Throws INVALID_PRINCIPAL_NAME unless `name` is a valid principal name. */
export function checkPrincipalName(name: string): void {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > REGISTRY_LIMITS.principalNameBytesMax ||
    !PRINCIPAL_NAME.test(name)
  ) {
    throw new OmegaError(
      'INVALID_PRINCIPAL_NAME',
      `principal names are 1..${REGISTRY_LIMITS.principalNameBytesMax} characters of [A-Za-z0-9._@+:-]`,
    );
  }
}
