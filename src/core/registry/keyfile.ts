/**
 * Public key files as users hold them — PEM (RFC 7468) and JWK (RFC 7517) — to and from the registry's
 * validated {@link PublicKeyInfo}. Pure (no file I/O: the CLI reads the text, this module parses it) and
 * browser-safe (no Buffer), so the CLI, the SDK and the console share one parser.
 *
 * | format | accepted                                                                                  |
 * |--------|-------------------------------------------------------------------------------------------|
 * | PEM    | `PUBLIC KEY` (SubjectPublicKeyInfo, RFC 7468 §13) for every type; `RSA PUBLIC KEY` (PKCS #1) |
 * | JWK    | OKP `Ed25519` / `X25519` (RFC 8037 §2); EC `P-256` (RFC 7518 §6.2) and `secp256k1` (RFC 8812 §3.1); RSA (RFC 7518 §6.3) |
 *
 * Private keys are refused with INVALID_ARGUMENT (a PEM `PRIVATE KEY` block, a JWK with `d`, `p`, `q`, ...):
 * registering needs only the public key, and a secret handed to the wrong command must not travel further.
 * Every key goes through the same validation as registration (keys.ts), so a file that parses here is a key
 * the registry accepts, and its digest is the one administrators authorize.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import { OmegaError } from '../../errors.js';
import { concatBytes, toHex } from '../../crypto/bytes.js';
import type { PublicKeyInfo, RegistryKeyType } from './keys.js';
import { parsePublicKey, publicKeyFromRaw } from './keys.js';
import { toPem } from './x509.js';

/** Largest key file accepted (a 4096-bit RSA PEM is about 800 characters). */
export const KEY_FILE_CHARS_MAX = 8192;

/** A public JWK as Omega writes it (members in RFC 7638 order for each kty). */
export type PublicJwk =
  | { kty: 'OKP'; crv: 'Ed25519' | 'X25519'; x: string }
  | { kty: 'EC'; crv: 'P-256' | 'secp256k1'; x: string; y: string }
  | { kty: 'RSA'; e: string; n: string };

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;

function bytesToBinary(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** base64url without padding (RFC 7515 §2). */
export function base64urlEncode(bytes: Uint8Array): string {
  return btoa(bytesToBinary(bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Strict base64url: the unpadded alphabet only, and canonical (re-encoding gives the same text). */
export function base64urlDecode(text: string, what: string): Uint8Array {
  if (typeof text !== 'string' || !B64URL.test(text) || text.length % 4 === 1) {
    throw new OmegaError('INVALID_ENCODING', `${what} is not unpadded base64url`);
  }
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const bytes = binaryToBytes(atob(padded));
  if (base64urlEncode(bytes) !== text)
    throw new OmegaError('NON_CANONICAL', `${what}: non-canonical base64url`);
  return bytes;
}

/** Parses one PEM block of a public key (RFC 7468 §2, lax whitespace). */
function parsePem(text: string): PublicKeyInfo {
  const m = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END ([A-Z0-9 ]+)-----\s*$/.exec(
    text.trim() + '\n',
  );
  if (m === null || m[1] !== m[3]) throw new OmegaError('INVALID_ENCODING', 'not a PEM block');
  const label = m[1]!;
  if (label.includes('PRIVATE')) {
    throw new OmegaError('INVALID_ARGUMENT', 'this is a private key file; give the public key');
  }
  const body = m[2]!.replace(/\s+/g, '');
  if (!B64.test(body) || body.length % 4 !== 0)
    throw new OmegaError('INVALID_ENCODING', 'PEM body is not base64');
  const der = binaryToBytes(atob(body));
  if (label === 'PUBLIC KEY') return parsePublicKey(der);
  if (label === 'RSA PUBLIC KEY') return publicKeyFromRaw('rsa', der);
  throw new OmegaError('INVALID_ENCODING', `PEM label ${label} is not a public key`);
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function member(jwk: Record<string, unknown>, name: string): string {
  const v = jwk[name];
  if (typeof v !== 'string') throw new OmegaError('INVALID_ENCODING', `JWK member ${name} is missing`);
  return v;
}

/** Minimal big-endian octets → DER INTEGER contents (prepend 0x00 when the top bit is set). */
function derIntegerContents(octets: Uint8Array): ArrayBuffer {
  return ((octets[0]! & 0x80) !== 0 ? concatBytes(new Uint8Array([0]), octets) : octets).slice().buffer;
}

/** RFC 7518 §6.3.1: n and e use the minimum number of octets. */
function minimalOctets(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.length === 0 || bytes[0] === 0)
    throw new OmegaError('NON_CANONICAL', `JWK ${what} is not minimal`);
  return bytes;
}

/** A validated key from a public JWK (object or JSON text). */
export function publicKeyFromJwk(input: unknown): PublicKeyInfo {
  let jwk: unknown = input;
  if (typeof input === 'string') {
    if (input.length > KEY_FILE_CHARS_MAX) throw new OmegaError('LIMIT_EXCEEDED', 'key file too large');
    try {
      jwk = JSON.parse(input);
    } catch (cause) {
      throw new OmegaError('INVALID_ENCODING', 'JWK is not JSON', { cause });
    }
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new OmegaError('INVALID_ENCODING', 'a JWK is a JSON object');
  }
  const o = jwk as Record<string, unknown>;
  if (PRIVATE_JWK_MEMBERS.some((k) => k in o)) {
    throw new OmegaError('INVALID_ARGUMENT', 'this JWK holds private key material; give the public key');
  }
  const kty = member(o, 'kty');
  if (kty === 'OKP') {
    const crv = member(o, 'crv');
    const x = base64urlDecode(member(o, 'x'), 'JWK x');
    if (crv === 'Ed25519') return publicKeyFromRaw('ed25519', x);
    if (crv === 'X25519') return publicKeyFromRaw('x25519', x);
    throw new OmegaError('UNSUPPORTED_KEY_TYPE', `OKP curve ${crv}`);
  }
  if (kty === 'EC') {
    const crv = member(o, 'crv');
    const type: RegistryKeyType | undefined =
      crv === 'P-256' ? 'p256' : crv === 'secp256k1' ? 'secp256k1' : undefined;
    if (type === undefined) throw new OmegaError('UNSUPPORTED_KEY_TYPE', `EC curve ${crv}`);
    const x = base64urlDecode(member(o, 'x'), 'JWK x');
    const y = base64urlDecode(member(o, 'y'), 'JWK y');
    // RFC 7518 §6.2.1.2: x and y are the full coordinate size (32 octets for both curves).
    if (x.length !== 32 || y.length !== 32)
      throw new OmegaError('INVALID_LENGTH', 'EC JWK coordinates are 32 bytes');
    return publicKeyFromRaw(type, concatBytes(new Uint8Array([4]), x, y));
  }
  if (kty === 'RSA') {
    const n = minimalOctets(base64urlDecode(member(o, 'n'), 'JWK n'), 'n');
    const e = minimalOctets(base64urlDecode(member(o, 'e'), 'JWK e'), 'e');
    const raw = new Uint8Array(
      AsnConvert.serialize(
        new RSAPublicKey({ modulus: derIntegerContents(n), publicExponent: derIntegerContents(e) }),
      ),
    );
    return publicKeyFromRaw('rsa', raw);
  }
  throw new OmegaError('UNSUPPORTED_KEY_TYPE', `JWK key type ${kty}`);
}

/**
 * Reads a public key file's text: PEM when it starts with `-----BEGIN`, JWK when it starts with `{`.
 * Throws the parse or validation code (INVALID_ENCODING, UNSUPPORTED_KEY_TYPE, NOT_ON_CURVE, RSA_*, ...).
 */
export function readPublicKeyFile(text: string): PublicKeyInfo {
  if (typeof text !== 'string') throw new OmegaError('INVALID_ENCODING', 'key file must be text');
  if (text.length > KEY_FILE_CHARS_MAX) throw new OmegaError('LIMIT_EXCEEDED', 'key file too large');
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) return parsePem(t);
  if (t.startsWith('{')) return publicKeyFromJwk(t);
  throw new OmegaError('INVALID_ENCODING', 'a key file is PEM (-----BEGIN PUBLIC KEY-----) or a JWK ({...})');
}

/** The canonical SPKI as PEM (`-----BEGIN PUBLIC KEY-----`). */
export function publicKeyToPem(key: PublicKeyInfo): string {
  return toPem(key.spki, 'PUBLIC KEY');
}

/** The key as a public JWK (members in RFC 7638 order, so `JSON.stringify` of it is the thumbprint input). */
export function publicKeyToJwk(key: PublicKeyInfo): PublicJwk {
  switch (key.type) {
    case 'ed25519':
      return { kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(key.raw) };
    case 'x25519':
      return { kty: 'OKP', crv: 'X25519', x: base64urlEncode(key.raw) };
    case 'p256':
    case 'secp256k1':
      return {
        kty: 'EC',
        crv: key.type === 'p256' ? 'P-256' : 'secp256k1',
        x: base64urlEncode(key.raw.subarray(1, 33)),
        y: base64urlEncode(key.raw.subarray(33, 65)),
      };
    case 'rsa': {
      const k = AsnConvert.parse(key.raw, RSAPublicKey);
      const strip = (b: ArrayBuffer): Uint8Array => {
        const u = new Uint8Array(b);
        return u[0] === 0 ? u.subarray(1) : u;
      };
      return {
        kty: 'RSA',
        e: base64urlEncode(strip(k.publicExponent)),
        n: base64urlEncode(strip(k.modulus)),
      };
    }
    default:
      throw new OmegaError('UNSUPPORTED_KEY_TYPE', `no JWK for ${String(key.type)}`);
  }
}

/** The key digest as administrators see and type it: lower-case hex of SHA-256(canonical SPKI). */
export function keyDigestHex(key: PublicKeyInfo): string {
  return toHex(key.digest);
}
