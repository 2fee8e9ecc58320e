/**
 * A replica's identity: one Ed25519 key pair (ARCHITECTURE.md D4: consensus messages are signed with
 * `node:crypto` Ed25519) and the TLS certificate the mesh transport presents for it (D13).
 *
 * The certificate is a pure function of the 32-byte private seed: self-signed, a serial number and
 * validity period derived from nothing but the key, so it never needs to be stored or renewed and no clock
 * is read. Peers never trust the certificate itself — they pin the raw public key from the cluster
 * configuration (docs/transport.md "Authentication") — so the certificate is only a carrier for the key
 * in the TLS 1.3 handshake (RFC 8446 §4.4.2), signed per RFC 8410.
 *
 * `omega init` generates identities with {@link generateReplicaIdentity}; the seed is then kept only in the
 * replica's sealed secret store (docs/storage.md "Sealed secrets").
 */
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Time,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { OmegaError } from '../errors.js';
import type { RandomSource } from '../crypto/rand.js';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING }. */
const ED25519_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);
/** id-Ed25519 (RFC 8410 §3) and id-at-commonName (RFC 5280 Appendix A). */
const ED25519_OID = '1.3.101.112';
const COMMON_NAME_OID = '2.5.4.3';
/** DER prefix of an Ed25519 PKCS#8 private key (RFC 8410 §7) holding a 32-byte seed. */
const ED25519_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/** Ed25519 key sizes (RFC 8032 §5.1.5). */
export const ED25519_SEED_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;

/** A replica's key material and its TLS certificate. `seed` is secret: store it only sealed. */
export interface ReplicaIdentity {
  /** The 32-byte Ed25519 private seed (RFC 8032 §5.1.5). Secret. */
  readonly seed: Uint8Array;
  /** The 32-byte Ed25519 public key: what the cluster configuration pins. */
  readonly publicKey: Uint8Array;
  readonly privateKey: KeyObject;
  /** PEM of the PKCS#8 private key, for `tls.createSecureContext`. Secret. */
  readonly privateKeyPem: string;
  /** PEM of the self-signed X.509 certificate carrying `publicKey`. */
  readonly certificatePem: string;
}

/**
 * Generates a fresh replica identity from `random` (a CSPRNG in production; `deterministicRandom` in tests).
 *
 * @example
 * const id = generateReplicaIdentity((n) => new Uint8Array(randomBytes(n)));
 * // id.publicKey goes into the cluster configuration, id.seed into the sealed store.
 */
export function generateReplicaIdentity(random: RandomSource): ReplicaIdentity {
  return identityFromSeed(random(ED25519_SEED_BYTES));
}

/**
 * Rebuilds an identity (key objects and certificate) from its 32-byte seed. Deterministic: the same seed
 * always gives byte-identical certificate PEM.
 */
export function identityFromSeed(seed: Uint8Array): ReplicaIdentity {
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_SEED_BYTES) {
    throw new OmegaError('INVALID_LENGTH', `an Ed25519 seed is ${ED25519_SEED_BYTES} bytes`);
  }
  const pkcs8 = new Uint8Array(ED25519_PKCS8_PREFIX.length + ED25519_SEED_BYTES);
  pkcs8.set(ED25519_PKCS8_PREFIX, 0);
  pkcs8.set(seed, ED25519_PKCS8_PREFIX.length);
  const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  const publicKey = ed25519PublicKeyFromKeyObject(createPublicKey(privateKey));
  const certificatePem = selfSignedCertificate(pkcs8, publicKey);
  return {
    seed: Uint8Array.from(seed),
    publicKey,
    privateKey,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    certificatePem,
  };
}

/**
 * The raw 32-byte Ed25519 public key of a key object; throws PEER_AUTH_FAILED if it is any other kind of
 * key (used on peer certificates, so a wrong key type is an authentication failure).
 */
export function ed25519PublicKeyFromKeyObject(key: KeyObject): Uint8Array {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new OmegaError(
      'PEER_AUTH_FAILED',
      `expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'none'}`,
    );
  }
  const spki = new Uint8Array(key.export({ format: 'der', type: 'spki' }));
  const prefixOk =
    spki.length === ED25519_SPKI_PREFIX.length + ED25519_PUBLIC_KEY_BYTES &&
    ED25519_SPKI_PREFIX.every((b, i) => spki[i] === b);
  if (!prefixOk) throw new OmegaError('PEER_AUTH_FAILED', 'malformed Ed25519 SubjectPublicKeyInfo');
  return spki.slice(ED25519_SPKI_PREFIX.length);
}

/** A `KeyObject` for a raw 32-byte Ed25519 public key. */
export function ed25519PublicKeyObject(publicKey: Uint8Array): KeyObject {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new OmegaError('INVALID_LENGTH', `an Ed25519 public key is ${ED25519_PUBLIC_KEY_BYTES} bytes`);
  }
  const spki = new Uint8Array(ED25519_SPKI_PREFIX.length + ED25519_PUBLIC_KEY_BYTES);
  spki.set(ED25519_SPKI_PREFIX, 0);
  spki.set(publicKey, ED25519_SPKI_PREFIX.length);
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

/**
 * Builds the self-signed certificate (RFC 5280 §4.1) with the maintained ASN.1 schemas of
 * `@peculiar/asn1-x509` and signs the TBSCertificate with `node:crypto` Ed25519 (RFC 8410 §6: the
 * algorithm identifier has absent parameters). `node:crypto` parses X.509 but cannot create it, and
 * hand-writing DER is what ARCHITECTURE.md D3 rules out; the full `@peculiar/x509` generator needs a global
 * `reflect-metadata` polyfill, which a library should not install, so the schema layer is used directly.
 */
function selfSignedCertificate(pkcs8: Uint8Array, publicKey: Uint8Array): string {
  const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  const ed25519 = new AlgorithmIdentifier({ algorithm: ED25519_OID });
  // Serial: the first 16 bytes of SHA-256(public key), top bit cleared so the INTEGER is positive
  // (RFC 5280 §4.1.2.2: positive, at most 20 octets). Deterministic, unique per key.
  const serial = new Uint8Array(createHash('sha256').update(publicKey).digest().subarray(0, 16));
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const name = new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({
        type: COMMON_NAME_OID,
        value: new AttributeValue({ utf8String: `omega-replica-${toHex(publicKey).slice(0, 16)}` }),
      }),
    ]),
  ]);
  const basicConstraints = AsnConvert.serialize(new BasicConstraints({ cA: false }));
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(serial),
    signature: ed25519,
    issuer: name,
    // Validity is not checked (keys are pinned); 99991231235959Z is "no well-defined expiration" (RFC 5280
    // §4.1.2.5), and a fixed notBefore keeps the certificate a pure function of the key.
    validity: new Validity({ notBefore: new Date(0), notAfter: new Date(0) }),
    subject: name,
    subjectPublicKeyInfo: new SubjectPublicKeyInfo({
      algorithm: ed25519,
      subjectPublicKey: toArrayBuffer(publicKey),
    }),
    extensions: new Extensions([
      new Extension({
        extnID: id_ce_basicConstraints,
        critical: true,
        extnValue: new OctetString(basicConstraints),
      }),
    ]),
  });
  tbs.validity.notBefore = new Time({ utcTime: new Date('2000-01-01T00:00:00Z') });
  tbs.validity.notAfter = new Time({ generalTime: new Date('9999-12-31T23:59:59Z') });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = sign(null, tbsDer, privateKey);
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: ed25519,
    signatureValue: toArrayBuffer(new Uint8Array(signature)),
  });
  const der = Buffer.from(AsnConvert.serialize(cert));
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${body.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The sealed-store name under which a replica keeps its identity seed (docs/storage.md "Sealed secrets"). */
export const IDENTITY_SECRET_NAME = 'replica/identity/ed25519-seed';

/** The part of the storage interface the identity needs (kept minimal so this module stays a leaf). */
export interface SecretStore {
  putSecret(name: string, secret: Uint8Array): void;
  getSecret(name: string): Uint8Array | undefined;
}

/**
 * Generates a replica identity and seals its seed in `store` (what `omega init` does). Refuses to replace
 * an existing identity (INVALID_ARGUMENT): a replica that silently changed keys would be locked out of the
 * mesh, and its old key would still be pinned by every peer.
 */
export function createStoredIdentity(store: SecretStore, random: RandomSource): ReplicaIdentity {
  if (store.getSecret(IDENTITY_SECRET_NAME) !== undefined) {
    throw new OmegaError('INVALID_ARGUMENT', 'this store already holds a replica identity');
  }
  const identity = generateReplicaIdentity(random);
  store.putSecret(IDENTITY_SECRET_NAME, identity.seed);
  return identity;
}

/** Loads the identity sealed in `store`, or undefined if it has none. */
export function loadStoredIdentity(store: SecretStore): ReplicaIdentity | undefined {
  const seed = store.getSecret(IDENTITY_SECRET_NAME);
  if (seed === undefined) return undefined;
  try {
    return identityFromSeed(seed);
  } finally {
    seed.fill(0);
  }
}
