import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { KEY_TYPES } from '../../src/core/registry/keys.js';
import {
  base64urlDecode,
  keyDigestHex,
  publicKeyFromJwk,
  publicKeyToJwk,
  publicKeyToPem,
  readPublicKeyFile,
} from '../../src/core/registry/keyfile.js';
import { isOmegaError } from '../../src/errors.js';
import { readVector, testKey } from './fixtures.js';

function expectCode(f: () => unknown, code: string): void {
  try {
    f();
  } catch (e) {
    expect(isOmegaError(e) ? e.code : String(e)).toBe(code);
    return;
  }
  expect.fail(`expected ${code}, got no error`);
}

describe('key files: PEM (RFC 7468) and JWK (RFC 7517, 7518, 8037)', () => {
  it.each(KEY_TYPES)('%s: PEM and JWK agree with node:crypto, and both read back to the same key', (type) => {
    const { info } = testKey(type);
    const node = createPublicKey({ key: Buffer.from(info.spki), format: 'der', type: 'spki' });
    const pem = publicKeyToPem(info);
    expect(pem).toBe(node.export({ format: 'pem', type: 'spki' }));
    const jwk = publicKeyToJwk(info);
    expect(jwk).toEqual(node.export({ format: 'jwk' }));
    expect(toHex(readPublicKeyFile(pem).spki)).toBe(toHex(info.spki));
    expect(toHex(readPublicKeyFile(JSON.stringify(jwk)).spki)).toBe(toHex(info.spki));
    // node:crypto accepts what we write.
    const back = createPublicKey({ key: jwk as never, format: 'jwk' }).export({
      format: 'der',
      type: 'spki',
    });
    expect(back.toString('hex')).toBe(toHex(info.spki));
    expect(keyDigestHex(info)).toBe(toHex(info.digest));
  });

  it('an OpenSSL-written PEM and a PKCS #1 RSA PEM read to the same key', () => {
    const pem = readVector('rsa2048.pub.pem');
    const a = readPublicKeyFile(pem);
    const pkcs1 = createPublicKey(pem).export({ format: 'pem', type: 'pkcs1' }) as string;
    expect(toHex(readPublicKeyFile(pkcs1).spki)).toBe(toHex(a.spki));
  });

  it('private keys are refused (PEM PRIVATE KEY, JWK with d): INVALID_ARGUMENT', () => {
    expectCode(() => readPublicKeyFile(readVector('rsa2048.key.pem')), 'INVALID_ARGUMENT');
    const jwk = { ...publicKeyToJwk(testKey('ed25519').info), d: 'AAAA' };
    expectCode(() => publicKeyFromJwk(jwk), 'INVALID_ARGUMENT');
  });

  it('malformed files are INVALID_ENCODING (not PEM or JSON, bad base64, mismatched labels, unknown label)', () => {
    expectCode(() => readPublicKeyFile('hello'), 'INVALID_ENCODING');
    expectCode(() => readPublicKeyFile('{not json'), 'INVALID_ENCODING');
    expectCode(
      () => readPublicKeyFile('-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n'),
      'INVALID_ENCODING',
    );
    const pem = publicKeyToPem(testKey('ed25519').info);
    expectCode(() => readPublicKeyFile(pem.replace('END PUBLIC KEY', 'END CERTIFICATE')), 'INVALID_ENCODING');
    expectCode(() => readPublicKeyFile(pem.replace(/PUBLIC KEY/g, 'CERTIFICATE')), 'INVALID_ENCODING');
    expectCode(() => readPublicKeyFile('x'.repeat(10_000)), 'LIMIT_EXCEEDED');
  });

  it('JWK members are strict: padded or non-canonical base64url, wrong curve, short coordinates, zero-padded RSA n', () => {
    const ed = publicKeyToJwk(testKey('ed25519').info) as { x: string };
    expectCode(() => publicKeyFromJwk({ kty: 'OKP', crv: 'Ed25519', x: `${ed.x}=` }), 'INVALID_ENCODING');
    expectCode(() => base64urlDecode('AB', 'x'), 'NON_CANONICAL'); // 'AB' has non-zero trailing bits
    expectCode(() => publicKeyFromJwk({ kty: 'OKP', crv: 'Ed448', x: ed.x }), 'UNSUPPORTED_KEY_TYPE');
    expectCode(() => publicKeyFromJwk({ kty: 'EC', crv: 'P-384', x: ed.x, y: ed.x }), 'UNSUPPORTED_KEY_TYPE');
    const ec = publicKeyToJwk(testKey('p256').info) as { x: string; y: string };
    expectCode(
      () => publicKeyFromJwk({ kty: 'EC', crv: 'P-256', x: ec.x.slice(4), y: ec.y }),
      'INVALID_LENGTH',
    );
    expectCode(() => publicKeyFromJwk({ kty: 'EC', crv: 'P-256', x: ec.x, y: ec.x }), 'NOT_ON_CURVE');
    const rsa = publicKeyToJwk(testKey('rsa').info) as { n: string; e: string };
    const n = base64urlDecode(rsa.n, 'n');
    const zeroPadded = Buffer.concat([Buffer.from([0]), Buffer.from(n)]).toString('base64url');
    expectCode(() => publicKeyFromJwk({ kty: 'RSA', n: zeroPadded, e: rsa.e }), 'NON_CANONICAL');
    expectCode(() => publicKeyFromJwk({ kty: 'RSA', n: rsa.n, e: 'Aw' }), 'RSA_BAD_EXPONENT');
    expectCode(() => publicKeyFromJwk({ kty: 'oct', k: 'AAAA' }), 'INVALID_ARGUMENT');
    expectCode(() => publicKeyFromJwk({ kty: 'oct' }), 'UNSUPPORTED_KEY_TYPE');
    expectCode(() => publicKeyFromJwk([]), 'INVALID_ENCODING');
  });

  it('invalid keys inside valid files are rejected with the validation code (small-order X25519 JWK)', () => {
    expectCode(() => publicKeyFromJwk({ kty: 'OKP', crv: 'X25519', x: 'A'.repeat(43) }), 'WRONG_SUBGROUP');
  });
});
