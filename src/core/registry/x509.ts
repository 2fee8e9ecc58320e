/**
 * X.509 certificates and CRLs of the service CA, built deterministically from replicated data
 * (RFC 5280; ARCHITECTURE.md D11; research/protocol-design.md §5.3 "X.509 signed by FROST").
 *
 * Every replica builds the same **TBSCertificate / TBSCertList bytes** from (chain id, CA key, principal,
 * key, block time): no clock, no randomness, DER (canonical) encoding through the maintained ASN.1 schemas
 * of `@peculiar/asn1-x509`. The signature is a FROST(Ed25519, SHA-512) signature over those bytes (RFC 9591;
 * `src/crypto/frost.ts`): a plain Ed25519 signature (RFC 8410 §6), so OpenSSL and `node:crypto` verify the
 * result with the CA certificate. {@link assembleSigned} adds the signature to the exact TBS bytes.
 *
 * The profile (every field) is in docs/registry.md "Certificate profile" and "CRL profile".
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CertificateList,
  CRLNumber,
  CRLReason,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_clientAuth,
  id_kp_serverAuth,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  RevokedCertificate,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  TBSCertList,
  Time,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { OmegaError, invariant } from '../../errors.js';
import { equalBytes, lengthPrefixed, u64be, utf8 } from '../../crypto/bytes.js';
import { ED25519 } from '../../crypto/group.js';
import type { Ed25519Verify } from '../machine/envelope.js';
import type { PublicKeyInfo, RegistryKeyType } from './keys.js';
import { checkPrincipalName, parsePublicKey, publicKeyFromRaw } from './keys.js';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './limits.js';

/** id-Ed25519 (RFC 8410 §3); the AlgorithmIdentifier has no parameters. */
export const OID_ED25519 = '1.3.101.112';
const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
const OID_ORGANIZATIONAL_UNIT = '2.5.4.11';

/** Serial numbers are 16 octets: positive, ≤ 20 octets (RFC 5280 §4.1.2.2), 127 bits from a hash. */
export const SERIAL_BYTES = 16;

/** Who the CA is: the chain and the 32-byte Ed25519 certificate key (the FROST group key, C_0 of its DKG). */
export interface CaIdentity {
  readonly chainId: string;
  readonly publicKey: Uint8Array;
}

/** Checks a CA identity (chain id as an organizational unit ≤ 64 chars; a valid prime-order Ed25519 key). */
export function checkCaIdentity(ca: CaIdentity): void {
  if (typeof ca.chainId !== 'string' || ca.chainId.length === 0 || utf8(ca.chainId).length > 64) {
    throw new OmegaError(
      'INVALID_ARGUMENT',
      'chain id must be 1..64 bytes (it is the CA organizational unit)',
    );
  }
  if (!(ca.publicKey instanceof Uint8Array) || ca.publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new OmegaError('INVALID_LENGTH', 'the certificate key is a 32-byte Ed25519 key');
  }
  ED25519.decode(ca.publicKey);
}

function ed25519Algorithm(): AlgorithmIdentifier {
  // RFC 8410 §3: "the parameters MUST be absent".
  return new AlgorithmIdentifier({ algorithm: OID_ED25519 });
}

function rdn(type: string, value: string): RelativeDistinguishedName {
  return new RelativeDistinguishedName([
    new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) }),
  ]);
}

/** The CA's distinguished name: O=Omega, OU=<chain id>, CN=Omega service CA. */
export function caName(chainId: string): Name {
  return new Name([
    rdn(OID_ORGANIZATION, 'Omega'),
    rdn(OID_ORGANIZATIONAL_UNIT, chainId),
    rdn(OID_COMMON_NAME, 'Omega service CA'),
  ]);
}

/** A principal's distinguished name: O=Omega, OU=<chain id>, CN=<principal>. */
export function subjectName(chainId: string, principal: string): Name {
  return new Name([
    rdn(OID_ORGANIZATION, 'Omega'),
    rdn(OID_ORGANIZATIONAL_UNIT, chainId),
    rdn(OID_COMMON_NAME, principal),
  ]);
}

/** The block time as a whole-second Date (truncated, never rounded up: notBefore never lies after the block). */
export function x509Date(ms: number): Date {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new OmegaError('OUT_OF_RANGE', 'time must be ms since 1970');
  // Not a clock: a Date built from the replicated block time the caller passes (the ASN.1 schema wants a Date).
  const date = new Date(Math.floor(ms / 1000) * 1000);
  if (date.getUTCFullYear() > 9999) throw new OmegaError('OUT_OF_RANGE', 'time beyond year 9999');
  return date;
}

/** RFC 5280 §4.1.2.5 / §5.1.2.4: UTCTime through 2049, GeneralizedTime from 2050 (the schema's Time(Date) rule). */
export function x509Time(ms: number): Time {
  const date = x509Date(ms);
  return date.getUTCFullYear() < 2050 ? new Time({ utcTime: date }) : new Time({ generalTime: date });
}

/** Truncates ms to whole seconds (what a certificate can express). */
export function toSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** 16 positive octets from a hash: top bit cleared (positive INTEGER), low bit of the first octet set (minimal DER). */
function serialFromHash(h: Uint8Array): Uint8Array {
  const s = h.slice(0, SERIAL_BYTES);
  s[0] = (s[0]! & 0x7f) | 0x01;
  return s;
}

/**
 * The serial of an end-entity certificate: SHA-256 over the tagged (chain, principal, key digest, notBefore,
 * attempt). `attempt` resolves the (2^-127-likely) collision with an earlier serial: the registry bumps it
 * until the serial is unused, deterministically (registry.ts).
 */
export function certificateSerial(
  chainId: string,
  principal: string,
  digest: Uint8Array,
  notBeforeMs: number,
  attempt = 0,
): Uint8Array {
  return serialFromHash(
    sha256(
      lengthPrefixed(
        utf8('omega/registry/serial/v1'),
        utf8(chainId),
        utf8(principal),
        digest,
        u64be(toSeconds(notBeforeMs)),
        u64be(attempt),
      ),
    ),
  );
}

/** The CA certificate's serial: SHA-256 over the tagged (chain, CA key, notBefore). */
export function caSerial(ca: CaIdentity, notBeforeMs: number): Uint8Array {
  return serialFromHash(
    sha256(
      lengthPrefixed(
        utf8('omega/registry/ca-serial/v1'),
        utf8(ca.chainId),
        ca.publicKey,
        u64be(toSeconds(notBeforeMs)),
      ),
    ),
  );
}

/**
 * Key identifier (RFC 7093 §2 method 1): the leftmost 160 bits of SHA-256 over the subjectPublicKey BIT
 * STRING value (the raw key: our `PublicKeyInfo.raw`).
 */
export function keyIdentifier(rawPublicKey: Uint8Array): Uint8Array {
  return sha256(rawPublicKey).slice(0, 20);
}

function ab(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** keyUsage per key type (RFC 5280 §4.2.1.3; RFC 8410 §5 for X25519: keyAgreement). */
export function keyUsageFor(type: RegistryKeyType): number {
  switch (type) {
    case 'ed25519':
    case 'p256':
    case 'secp256k1':
      return KeyUsageFlags.digitalSignature;
    case 'rsa':
      return KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment;
    case 'x25519':
      return KeyUsageFlags.keyAgreement;
    default:
      throw new OmegaError('UNSUPPORTED_KEY_TYPE', `no key usage for ${String(type)}`);
  }
}

/** extKeyUsage per key type (RFC 5280 §4.2.1.12): TLS server and client authentication for signing keys; none for X25519. */
export function extendedKeyUsageFor(type: RegistryKeyType): readonly string[] {
  return type === 'x25519' ? [] : [id_kp_serverAuth, id_kp_clientAuth];
}

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** True for a DNS host name in the preferred name syntax (RFC 1034 §3.5, RFC 1123 §2.1): ≥ 2 labels, ≤ 253 chars. */
function isDnsName(name: string): boolean {
  const labels = name.split('.');
  return name.length <= 253 && labels.length >= 2 && labels.every((l) => DNS_LABEL.test(l));
}

/**
 * The subjectAltName of a principal (RFC 5280 §4.2.1.6), so TLS clients, which match host names against
 * the SAN only (RFC 6125 §6.4.4), can use the certificate: a DNS host name becomes a dNSName, an address
 * `local@host` an rfc822Name; any other principal gets no SAN (its name stays in the subject CN).
 */
export function subjectAltNameFor(principal: string): GeneralName | undefined {
  if (isDnsName(principal)) return new GeneralName({ dNSName: principal });
  const at = principal.indexOf('@');
  if (at > 0 && at === principal.lastIndexOf('@') && isDnsName(principal.slice(at + 1))) {
    return new GeneralName({ rfc822Name: principal });
  }
  return undefined;
}

/** What an end-entity certificate says. */
export interface CertificateFields {
  readonly ca: CaIdentity;
  readonly principal: string;
  readonly key: PublicKeyInfo;
  readonly serial: Uint8Array;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

function checkValidity(notBeforeMs: number, notAfterMs: number): void {
  if (!Number.isSafeInteger(notBeforeMs) || !Number.isSafeInteger(notAfterMs) || notBeforeMs < 0) {
    throw new OmegaError('OUT_OF_RANGE', 'validity times must be non-negative integers (ms)');
  }
  if (toSeconds(notAfterMs) <= toSeconds(notBeforeMs)) {
    throw new OmegaError('INVALID_ARGUMENT', 'notAfter must be at least one second after notBefore');
  }
}

function checkSerial(serial: Uint8Array): void {
  if (serial.length !== SERIAL_BYTES || (serial[0]! & 0x80) !== 0 || serial[0] === 0) {
    throw new OmegaError('INVALID_ARGUMENT', 'serial must be 16 octets, positive and minimal');
  }
}

function serializeTbs(tbs: TBSCertificate | TBSCertList): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(tbs));
}

/**
 * The DER TBSCertificate of an end-entity certificate (docs/registry.md "Certificate profile"):
 * v3; the given serial; Ed25519; issuer = CA name; validity; subject = principal name; the key's canonical
 * SPKI; extensions basicConstraints (critical, cA false), keyUsage (critical), extKeyUsage (signing keys),
 * subjectAltName (DNS names and e-mail addresses), subjectKeyIdentifier and authorityKeyIdentifier (RFC 7093
 * method 1).
 */
export function buildCertificateTbs(f: CertificateFields): Uint8Array {
  checkCaIdentity(f.ca);
  checkPrincipalName(f.principal);
  checkSerial(f.serial);
  checkValidity(f.notBeforeMs, f.notAfterMs);
  const spki = AsnConvert.parse(f.key.spki, SubjectPublicKeyInfo);
  const extensions = [
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
    extension(id_ce_keyUsage, true, new KeyUsage(keyUsageFor(f.key.type))),
  ];
  const eku = extendedKeyUsageFor(f.key.type);
  if (eku.length > 0) extensions.push(extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([...eku])));
  const san = subjectAltNameFor(f.principal);
  if (san !== undefined)
    extensions.push(extension(id_ce_subjectAltName, false, new SubjectAlternativeName([san])));
  extensions.push(
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(ab(keyIdentifier(f.key.raw)))),
    extension(
      id_ce_authorityKeyIdentifier,
      false,
      new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(ab(keyIdentifier(f.ca.publicKey))) }),
    ),
  );
  return serializeTbs(
    new TBSCertificate({
      version: Version.v3,
      serialNumber: ab(f.serial),
      signature: ed25519Algorithm(),
      issuer: caName(f.ca.chainId),
      validity: new Validity({ notBefore: x509Date(f.notBeforeMs), notAfter: x509Date(f.notAfterMs) }),
      subject: subjectName(f.ca.chainId, f.principal),
      subjectPublicKeyInfo: spki,
      extensions: new Extensions(extensions),
    }),
  );
}

/**
 * The DER TBSCertificate of the self-signed CA certificate: issuer = subject = CA name; the certificate
 * key; basicConstraints (critical, cA true, pathLen 0: the CA issues only end-entity certificates), keyUsage
 * (critical) keyCertSign + cRLSign, subject and authority key identifiers (equal).
 */
export function buildCaTbs(ca: CaIdentity, notBeforeMs: number, notAfterMs: number): Uint8Array {
  checkCaIdentity(ca);
  checkValidity(notBeforeMs, notAfterMs);
  const key = publicKeyFromRaw('ed25519', ca.publicKey);
  const kid = ab(keyIdentifier(ca.publicKey));
  return serializeTbs(
    new TBSCertificate({
      version: Version.v3,
      serialNumber: ab(caSerial(ca, notBeforeMs)),
      signature: ed25519Algorithm(),
      issuer: caName(ca.chainId),
      validity: new Validity({ notBefore: x509Date(notBeforeMs), notAfter: x509Date(notAfterMs) }),
      subject: caName(ca.chainId),
      subjectPublicKeyInfo: AsnConvert.parse(key.spki, SubjectPublicKeyInfo),
      extensions: new Extensions([
        extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: 0 })),
        extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
        extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(kid)),
        extension(
          id_ce_authorityKeyIdentifier,
          false,
          new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(kid) }),
        ),
      ]),
    }),
  );
}

/** RFC 5280 §5.3.1 reason codes the registry records. */
export const CRL_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;

/** True if `r` is one of {@link CRL_REASONS}. */
export function isCrlReason(r: number): boolean {
  return (Object.values(CRL_REASONS) as number[]).includes(r);
}

/** One revoked certificate in a CRL. */
export interface RevokedEntry {
  readonly serial: Uint8Array;
  readonly revokedAtMs: number;
  readonly reason: number;
}

/** What a CRL says. */
export interface CrlFields {
  readonly ca: CaIdentity;
  readonly crlNumber: number;
  readonly thisUpdateMs: number;
  readonly nextUpdateMs: number;
  /** In the order they appear (the registry sorts by serial). */
  readonly revoked: readonly RevokedEntry[];
}

/**
 * The DER TBSCertList (RFC 5280 §5.1): v2; Ed25519; issuer = CA name; thisUpdate, nextUpdate; the revoked
 * certificates (absent when empty, §5.1.2.6), each with a reasonCode entry extension unless the reason is
 * unspecified (§5.3.1: SHOULD be absent then); CRL extensions authorityKeyIdentifier and cRLNumber (both
 * required of conforming CRL issuers, §5.2.1, §5.2.3).
 */
export function buildCrlTbs(f: CrlFields): Uint8Array {
  checkCaIdentity(f.ca);
  checkValidity(f.thisUpdateMs, f.nextUpdateMs);
  if (!Number.isSafeInteger(f.crlNumber) || f.crlNumber < 0) {
    throw new OmegaError('OUT_OF_RANGE', 'CRL number must be a non-negative safe integer');
  }
  const revoked = f.revoked.map((r) => {
    checkSerial(r.serial);
    if (!isCrlReason(r.reason)) throw new OmegaError('OUT_OF_RANGE', `CRL reason ${r.reason}`);
    return new RevokedCertificate({
      userCertificate: ab(r.serial),
      revocationDate: x509Time(r.revokedAtMs),
      ...(r.reason === CRL_REASONS.unspecified
        ? {}
        : { crlEntryExtensions: [extension(id_ce_cRLReasons, false, new CRLReason(r.reason))] }),
    });
  });
  return serializeTbs(
    new TBSCertList({
      version: Version.v2,
      signature: ed25519Algorithm(),
      issuer: caName(f.ca.chainId),
      thisUpdate: x509Time(f.thisUpdateMs),
      nextUpdate: x509Time(f.nextUpdateMs),
      ...(revoked.length > 0 ? { revokedCertificates: revoked } : {}),
      crlExtensions: [
        extension(
          id_ce_authorityKeyIdentifier,
          false,
          new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(ab(keyIdentifier(f.ca.publicKey))) }),
        ),
        extension(id_ce_cRLNumber, false, new CRLNumber(f.crlNumber)),
      ],
    }),
  );
}

/** What a TBS is: a certificate's or a CRL's. */
export type TbsKind = 'certificate' | 'crl';

/**
 * The signed object: SEQUENCE { tbs, Ed25519 AlgorithmIdentifier, BIT STRING signature } (RFC 5280 §4.1,
 * §5.1). The TBS bytes are embedded exactly as signed: the assembler re-parses them and asserts that the
 * schema re-encodes them byte for byte (they came from this module, so anything else is a bug).
 */
export function assembleSigned(kind: TbsKind, tbs: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== ED25519_SIGNATURE_BYTES) {
    throw new OmegaError('INVALID_LENGTH', 'an Ed25519 signature is 64 bytes');
  }
  let der: Uint8Array;
  if (kind === 'certificate') {
    const parsed = AsnConvert.parse(tbs, TBSCertificate);
    invariant(equalBytes(serializeTbs(parsed), tbs), 'TBSCertificate does not re-encode identically');
    der = new Uint8Array(
      AsnConvert.serialize(
        new Certificate({
          tbsCertificate: parsed,
          signatureAlgorithm: ed25519Algorithm(),
          signatureValue: ab(signature),
        }),
      ),
    );
  } else {
    const parsed = AsnConvert.parse(tbs, TBSCertList);
    invariant(equalBytes(serializeTbs(parsed), tbs), 'TBSCertList does not re-encode identically');
    der = new Uint8Array(
      AsnConvert.serialize(
        new CertificateList({
          tbsCertList: parsed,
          signatureAlgorithm: ed25519Algorithm(),
          signature: ab(signature),
        }),
      ),
    );
  }
  return der;
}

/** PEM armour (RFC 7468 §2): base64 in 64-character lines. */
export function toPem(der: Uint8Array, label: 'CERTIFICATE' | 'X509 CRL' | 'PUBLIC KEY'): string {
  let b64 = '';
  // btoa over a binary string: available in Node ≥ 16 and browsers, no Buffer needed in this pure module.
  let binary = '';
  for (const byte of der) binary += String.fromCharCode(byte);
  b64 = btoa(binary);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** What a verified end-entity certificate says. */
export interface VerifiedCertificate {
  readonly key: PublicKeyInfo;
  readonly serial: Uint8Array;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

/**
 * Checks that `der` is exactly a certificate this registry issues for `principal` (what the SDK runs on a
 * lookup answer, so a replica that returns another key, a forged certificate or a stale one is caught):
 * DER; Ed25519 signature algorithm; the TBS is byte for byte the one {@link buildCertificateTbs} builds from
 * (CA, principal, certified key, serial, validity) — so issuer, subject, key usage, identifiers and every
 * other field follow the profile; the signature verifies under the CA key; `atMs` lies in the validity
 * period; and, when given, the certified key is `expectedSpki`. Throws CERTIFICATE_MISMATCH.
 */
export function verifyIssuedCertificate(
  der: Uint8Array,
  expected: { ca: CaIdentity; principal: string; atMs: number; expectedSpki?: Uint8Array },
  verify: Ed25519Verify,
): VerifiedCertificate {
  const mismatch = (why: string, cause?: unknown): OmegaError =>
    new OmegaError('CERTIFICATE_MISMATCH', why, cause === undefined ? {} : { cause });
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (cause) {
    throw mismatch('not a DER certificate', cause);
  }
  if (!equalBytes(new Uint8Array(AsnConvert.serialize(cert)), der) || cert.tbsCertificateRaw === undefined) {
    throw mismatch('certificate is not canonical DER');
  }
  if (cert.signatureAlgorithm.algorithm !== OID_ED25519 || cert.signatureAlgorithm.parameters !== undefined) {
    throw mismatch('certificate is not signed with Ed25519');
  }
  const tbsRaw = new Uint8Array(cert.tbsCertificateRaw);
  const tbs = cert.tbsCertificate;
  let key: PublicKeyInfo;
  try {
    key = parsePublicKey(new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)));
  } catch (cause) {
    throw mismatch('certified key is not a valid registry key', cause);
  }
  if (expected.expectedSpki !== undefined && !equalBytes(key.spki, expected.expectedSpki)) {
    throw mismatch('certificate certifies another key');
  }
  const serial = new Uint8Array(tbs.serialNumber);
  const notBeforeMs = tbs.validity.notBefore.getTime().getTime();
  const notAfterMs = tbs.validity.notAfter.getTime().getTime();
  let rebuilt: Uint8Array;
  try {
    rebuilt = buildCertificateTbs({
      ca: expected.ca,
      principal: expected.principal,
      key,
      serial,
      notBeforeMs,
      notAfterMs,
    });
  } catch (cause) {
    throw mismatch('certificate fields are outside the profile', cause);
  }
  if (!equalBytes(rebuilt, tbsRaw))
    throw mismatch('certificate is not the one the registry issues for this principal');
  let valid = false;
  try {
    valid = verify(expected.ca.publicKey, tbsRaw, new Uint8Array(cert.signatureValue));
  } catch {
    valid = false;
  }
  if (!valid) throw mismatch('certificate signature does not verify under the CA key');
  if (expected.atMs < notBeforeMs || expected.atMs > notAfterMs)
    throw mismatch('certificate is not valid at this time');
  return { key, serial, notBeforeMs, notAfterMs };
}
