import { spawnSync } from 'node:child_process';
import { createPublicKey, verify as nodeVerify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { KEY_TYPES } from '../../src/core/registry/keys.js';
import type { RegistryKeyType } from '../../src/core/registry/keys.js';
import {
  assembleSigned,
  buildCaTbs,
  buildCertificateTbs,
  buildCrlTbs,
  certificateSerial,
  CRL_REASONS,
  subjectAltNameFor,
  toPem,
  verifyIssuedCertificate,
} from '../../src/core/registry/x509.js';
import { isOmegaError } from '../../src/errors.js';
import { frostCa } from './frost-ca.js';
import { testKey } from './fixtures.js';

const CHAIN = 'omega-x509-test';
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0, 456); // block time, with milliseconds (truncated to seconds)
const HOUR = 3600_000;
const ca = frostCa('registry/x509');
const caIdentity = { chainId: CHAIN, publicKey: ca.publicKey };
const dir = mkdtempSync(join(tmpdir(), 'omega-x509-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Runs openssl; returns stdout+stderr and the exit status. */
function openssl(args: string[]): { out: string; status: number } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error !== undefined) throw r.error;
  return { out: `${r.stdout}${r.stderr}`, status: r.status ?? 1 };
}

const caTbs = buildCaTbs(caIdentity, T0, T0 + 30 * 365 * 24 * HOUR); // notAfter after 2050: GeneralizedTime
const caDer = assembleSigned('certificate', caTbs, ca.sign(caTbs));
const caPem = toPem(caDer, 'CERTIFICATE');
const caPath = write('ca.pem', caPem);
const atTime = String(Math.floor(T0 / 1000) + 60);

function issue(type: RegistryKeyType, label = 'a') {
  const key = testKey(type, label).info;
  const serial = certificateSerial(CHAIN, `${type}.example.com`, key.digest, T0);
  const tbs = buildCertificateTbs({
    ca: caIdentity,
    principal: `${type}.example.com`,
    key,
    serial,
    notBeforeMs: T0,
    notAfterMs: T0 + HOUR,
  });
  const der = assembleSigned('certificate', tbs, ca.sign(tbs));
  return { key, serial, tbs, der, pem: toPem(der, 'CERTIFICATE') };
}

describe('X.509 certificates signed by FROST (RFC 5280, RFC 8410)', () => {
  it('the self-signed CA certificate verifies with node:crypto and OpenSSL', () => {
    const x = new X509Certificate(caPem);
    expect(x.ca).toBe(true);
    expect(x.checkIssued(x)).toBe(true);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.subject).toContain('CN=Omega service CA');
    const r = openssl(['verify', '-attime', atTime, '-CAfile', caPath, caPath]);
    expect(r.out).toContain('OK');
    expect(r.status).toBe(0);
  });

  it.each(KEY_TYPES)(
    'a %s certificate verifies with `openssl verify -CAfile ca.pem` and X509Certificate',
    (type) => {
      const { pem, key } = issue(type);
      const certPath = write(`${type}.pem`, pem);
      const r = openssl(['verify', '-attime', atTime, '-CAfile', caPath, certPath]);
      expect(r.out).toContain(`${certPath}: OK`);
      const x = new X509Certificate(pem);
      const caX = new X509Certificate(caPem);
      expect(x.checkIssued(caX)).toBe(true);
      expect(x.verify(caX.publicKey)).toBe(true);
      expect(x.subject).toContain(`CN=${type}.example.com`);
      expect(x.ca).toBe(false);
      expect(new Date(x.validFrom).getTime()).toBe(Math.floor(T0 / 1000) * 1000);
      expect(new Date(x.validTo).getTime()).toBe(Math.floor((T0 + HOUR) / 1000) * 1000);
      // The certified key is exactly the registered key.
      expect(x.publicKey.export({ format: 'der', type: 'spki' }).toString('hex')).toBe(toHex(key.spki));
      const text = openssl(['x509', '-in', certPath, '-noout', '-text']).out;
      expect(text).toContain('Signature Algorithm: ED25519');
      expect(text).toContain('X509v3 Subject Key Identifier');
      expect(text).toContain('X509v3 Authority Key Identifier');
      if (type === 'x25519') expect(text).toContain('Key Agreement');
      else expect(text).toContain('TLS Web Server Authentication');
    },
  );

  it('a certificate outside its validity window does not verify (validity comes from block time)', () => {
    const { pem } = issue('ed25519');
    const certPath = write('late.pem', pem);
    const r = openssl([
      'verify',
      '-attime',
      String(Math.floor(T0 / 1000) + 2 * 3600),
      '-CAfile',
      caPath,
      certPath,
    ]);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('expired');
  });

  it('a tampered certificate does not verify (signature covers the exact TBS bytes)', () => {
    const { der } = issue('p256');
    const bad = der.slice();
    bad[bad.length - 80]! ^= 1; // inside the TBS (the SPKI / extensions region), not the signature
    const x = new X509Certificate(Buffer.from(bad));
    expect(x.verify(new X509Certificate(caPem).publicKey)).toBe(false);
  });

  it('deterministic TBS: two builds from the same log data are byte-identical; other inputs differ', () => {
    const a = issue('rsa');
    const b = issue('rsa');
    expect(toHex(a.tbs)).toBe(toHex(b.tbs));
    expect(toHex(buildCaTbs(caIdentity, T0, T0 + HOUR))).toBe(
      toHex(buildCaTbs(caIdentity, T0 + 500, T0 + HOUR)),
    );
    const other = certificateSerial(CHAIN, 'rsa.example.com', a.key.digest, T0 + 1000);
    expect(toHex(other)).not.toBe(toHex(a.serial));
    // FROST signatures are randomized, so the assembled certificates differ, yet both verify.
    expect(toHex(a.der)).not.toBe(toHex(b.der));
  });

  it('serials are 16 positive octets (RFC 5280 §4.1.2.2)', () => {
    for (let i = 0; i < 50; i++) {
      const s = certificateSerial(CHAIN, `p${i}`, new Uint8Array(32), T0, i);
      expect(s.length).toBe(16);
      expect(s[0]! & 0x80).toBe(0);
      expect(s[0]).not.toBe(0);
    }
  });

  it('a wrong-length signature or a bad serial is refused', () => {
    const { tbs, key } = issue('ed25519');
    expect(() => assembleSigned('certificate', tbs, new Uint8Array(63))).toThrow(/64 bytes/);
    try {
      buildCertificateTbs({
        ca: caIdentity,
        principal: 'x',
        key,
        serial: new Uint8Array(16),
        notBeforeMs: T0,
        notAfterMs: T0 + HOUR,
      });
      expect.fail('zero serial accepted');
    } catch (e) {
      expect(isOmegaError(e, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});

describe('CRL signed by FROST (RFC 5280 §5)', () => {
  it('verifies with `openssl crl -verify`, lists the revoked serial, and makes `openssl verify -crl_check` fail for it', () => {
    const revokedCert = issue('ed25519', 'revoked');
    const goodCert = issue('p256', 'good');
    const tbs = buildCrlTbs({
      ca: caIdentity,
      crlNumber: 7,
      thisUpdateMs: T0,
      nextUpdateMs: T0 + 24 * HOUR,
      revoked: [{ serial: revokedCert.serial, revokedAtMs: T0, reason: CRL_REASONS.keyCompromise }],
    });
    const crlPem = toPem(assembleSigned('crl', tbs, ca.sign(tbs)), 'X509 CRL');
    const crlPath = write('crl.pem', crlPem);
    const v = openssl(['crl', '-in', crlPath, '-CAfile', caPath, '-verify', '-noout']);
    expect(v.out).toContain('verify OK');
    const text = openssl(['crl', '-in', crlPath, '-noout', '-text']).out;
    expect(text).toContain('X509v3 CRL Number');
    expect(text).toContain('7');
    expect(text).toContain('Key Compromise');
    expect(text.toUpperCase()).toContain(toHex(revokedCert.serial).toUpperCase());
    const revokedPath = write('revoked-cert.pem', revokedCert.pem);
    const r1 = openssl([
      'verify',
      '-attime',
      atTime,
      '-crl_check',
      '-CAfile',
      caPath,
      '-CRLfile',
      crlPath,
      revokedPath,
    ]);
    expect(r1.status).not.toBe(0);
    expect(r1.out).toContain('certificate revoked');
    const goodPath = write('good-cert.pem', goodCert.pem);
    const r2 = openssl([
      'verify',
      '-attime',
      atTime,
      '-crl_check',
      '-CAfile',
      caPath,
      '-CRLfile',
      crlPath,
      goodPath,
    ]);
    expect(r2.out).toContain(': OK');
  });

  it('an empty CRL (no revokedCertificates field) verifies too, and a tampered one does not', () => {
    const tbs = buildCrlTbs({
      ca: caIdentity,
      crlNumber: 0,
      thisUpdateMs: T0,
      nextUpdateMs: T0 + HOUR,
      revoked: [],
    });
    const der = assembleSigned('crl', tbs, ca.sign(tbs));
    const path = write('empty.pem', toPem(der, 'X509 CRL'));
    expect(openssl(['crl', '-in', path, '-CAfile', caPath, '-verify', '-noout']).out).toContain('verify OK');
    const bad = der.slice();
    bad[20]! ^= 1;
    const badPath = write('bad-crl.pem', toPem(bad, 'X509 CRL'));
    expect(openssl(['crl', '-in', badPath, '-CAfile', caPath, '-verify', '-noout']).out).not.toContain(
      'verify OK',
    );
  });
});

describe('verifyIssuedCertificate: what the SDK checks on a lookup answer', () => {
  const verify = (pk: Uint8Array, m: Uint8Array, s: Uint8Array): boolean => {
    const key = createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pk]),
      format: 'der',
      type: 'spki',
    });
    return nodeVerify(null, m, key, s);
  };
  const at = T0 + 60_000;

  it('accepts a certificate the registry issued, and returns the certified key and validity', () => {
    const { der, key, serial } = issue('p256');
    const v = verifyIssuedCertificate(
      der,
      { ca: caIdentity, principal: 'p256.example.com', atMs: at, expectedSpki: key.spki },
      verify,
    );
    expect(toHex(v.key.spki)).toBe(toHex(key.spki));
    expect(toHex(v.serial)).toBe(toHex(serial));
  });

  it('a forged certificate (signed by another key), another principal, another key, a stale or tampered certificate are CERTIFICATE_MISMATCH', () => {
    const { der, key, tbs } = issue('ed25519');
    const forger = frostCa('registry/forger');
    const forged = assembleSigned('certificate', tbs, forger.sign(tbs));
    const cases: [Uint8Array, { principal: string; atMs: number; expectedSpki?: Uint8Array }][] = [
      [forged, { principal: 'ed25519.example.com', atMs: at }],
      [der, { principal: 'mallory.example.com', atMs: at }],
      [
        der,
        { principal: 'ed25519.example.com', atMs: at, expectedSpki: testKey('ed25519', 'other').info.spki },
      ],
      [der, { principal: 'ed25519.example.com', atMs: T0 + 2 * HOUR }],
      [der.subarray(0, der.length - 1), { principal: 'ed25519.example.com', atMs: at }],
    ];
    const flipped = der.slice();
    flipped[40]! ^= 1;
    cases.push([flipped, { principal: 'ed25519.example.com', atMs: at }]);
    for (const [bytes, expected] of cases) {
      try {
        verifyIssuedCertificate(bytes, { ca: caIdentity, ...expected }, verify);
        expect.fail('accepted');
      } catch (e) {
        expect(isOmegaError(e, 'CERTIFICATE_MISMATCH'), String(e)).toBe(true);
      }
    }
    expect(key.type).toBe('ed25519');
  });
});

describe('subjectAltName for TLS and e-mail principals (RFC 5280 §4.2.1.6)', () => {
  it('a DNS principal gets a dNSName that `openssl verify -verify_hostname` and X509Certificate.checkHost accept', () => {
    const { pem } = issue('p256'); // principal p256.example.com
    const path = write('san.pem', pem);
    const ok = openssl([
      'verify',
      '-attime',
      atTime,
      '-CAfile',
      caPath,
      '-verify_hostname',
      'p256.example.com',
      path,
    ]);
    expect(ok.out).toContain(': OK');
    const bad = openssl([
      'verify',
      '-attime',
      atTime,
      '-CAfile',
      caPath,
      '-verify_hostname',
      'evil.example.com',
      path,
    ]);
    expect(bad.status).not.toBe(0);
    expect(new X509Certificate(pem).checkHost('p256.example.com')).toBe('p256.example.com');
  });

  it('an e-mail principal gets an rfc822Name; other names get no SAN', () => {
    expect(subjectAltNameFor('bob@example.org')?.rfc822Name).toBe('bob@example.org');
    expect(subjectAltNameFor('www.example.com')?.dNSName).toBe('www.example.com');
    for (const name of ['alice', 'urn:x:1', 'a@b', '-bad.example.com', 'a..b', 'x@y@example.com']) {
      expect(subjectAltNameFor(name)).toBeUndefined();
    }
  });
});
