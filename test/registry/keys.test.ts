import { createPublicKey } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import { describe, expect, it } from 'vitest';
import { bigintToBytesBE, bigintToBytesLE, concatBytes, fromHex, toHex } from '../../src/crypto/bytes.js';
import {
  checkPrincipalName,
  checkProofOfPossession,
  keyTypeFromCode,
  KEY_TYPES,
  parsePublicKey,
  popMessage,
  publicKeyFromRaw,
} from '../../src/core/registry/keys.js';
import type { RegistryKeyType } from '../../src/core/registry/keys.js';
import { checkRsaPublicKey, integerRoot, modPow } from '../../src/core/registry/rsa.js';
import { nodeKeySignatureVerify } from '../../src/runtime/registry/verify.js';
import { isOmegaError } from '../../src/errors.js';
import { RSA_PRIMES, testKey } from './fixtures.js';

function expectCode(f: () => unknown, code: string): void {
  try {
    f();
  } catch (e) {
    expect(isOmegaError(e) ? e.code : String(e)).toBe(code);
    return;
  }
  expect.fail(`expected ${code}, got no error`);
}

function rsaRaw(n: bigint, e: bigint): Uint8Array {
  const enc = (v: bigint): ArrayBuffer => {
    const len = Math.ceil(v.toString(16).length / 2);
    const b = bigintToBytesBE(v, len);
    return ((b[0]! & 0x80) !== 0 ? concatBytes(new Uint8Array([0]), b) : b).slice().buffer;
  };
  return new Uint8Array(AsnConvert.serialize(new RSAPublicKey({ modulus: enc(n), publicExponent: enc(e) })));
}

const P = Object.fromEntries(
  Object.entries(RSA_PRIMES)
    .filter(([k]) => k !== '_comment')
    .map(([k, v]) => [k, BigInt(v)]),
);
const ED_P = 2n ** 255n - 19n;

describe('registry keys: parsing, canonical SPKI and digest', () => {
  it.each(KEY_TYPES)(
    '%s: the canonical SPKI is what OpenSSL exports, and the digest is its SHA-256',
    (type) => {
      const { info } = testKey(type);
      const exported = createPublicKey({ key: Buffer.from(info.spki), format: 'der', type: 'spki' }).export({
        format: 'der',
        type: 'spki',
      });
      expect(toHex(info.spki)).toBe(exported.toString('hex'));
      expect(toHex(info.digest)).toBe(toHex(sha256(info.spki)));
      const again = parsePublicKey(info.spki);
      expect(again.type).toBe(type);
      expect(toHex(again.spki)).toBe(toHex(info.spki));
      expect(keyTypeFromCode(({ ed25519: 1, x25519: 2, secp256k1: 3, p256: 4, rsa: 5 } as const)[type])).toBe(
        type,
      );
    },
  );

  it('a compressed P-256 point is canonicalized to the uncompressed SPKI (one digest per key)', () => {
    const s = sha256(new TextEncoder().encode('compressed'));
    const a = publicKeyFromRaw('p256', p256.getPublicKey(s, true));
    const b = publicKeyFromRaw('p256', p256.getPublicKey(s, false));
    expect(toHex(a.spki)).toBe(toHex(b.spki));
    expect(a.raw.length).toBe(65);
  });

  it('non-DER SPKI (trailing byte, long-form length) is NON_CANONICAL; garbage is INVALID_ENCODING', () => {
    const { info } = testKey('ed25519');
    expectCode(() => parsePublicKey(concatBytes(info.spki, new Uint8Array([0]))), 'NON_CANONICAL');
    const longForm = concatBytes(new Uint8Array([0x30, 0x81, info.spki[1]!]), info.spki.subarray(2));
    expectCode(() => parsePublicKey(longForm), 'NON_CANONICAL');
    expectCode(() => parsePublicKey(new Uint8Array([1, 2, 3])), 'INVALID_ENCODING');
    expectCode(() => parsePublicKey(new Uint8Array(2000)), 'LIMIT_EXCEEDED');
  });

  it('unsupported algorithms and curves are UNSUPPORTED_KEY_TYPE (P-384, Ed448)', () => {
    // Ed448 SPKI (RFC 8410): OID 1.3.101.113 with a 57-byte key.
    const ed448 = concatBytes(
      fromHex('3043300506032b6571033a00'),
      ed25519.utils.randomSecretKey(new Uint8Array(32).fill(1)),
      new Uint8Array(25),
    );
    expectCode(() => parsePublicKey(ed448), 'UNSUPPORTED_KEY_TYPE');
    const p384Spki = fromHex('3076301006072a8648ce3d020106052b8104002203620004' + 'aa'.repeat(96));
    expectCode(() => parsePublicKey(p384Spki), 'UNSUPPORTED_KEY_TYPE');
  });

  it('Ed25519 SPKI with parameters present is rejected (RFC 8410 §3: parameters MUST be absent)', () => {
    const { info } = testKey('ed25519');
    const withNull = concatBytes(fromHex('302c300706032b65700500032100'), info.raw);
    expectCode(() => parsePublicKey(withNull), 'INVALID_ENCODING');
  });
});

describe('registry keys: invalid points are rejected', () => {
  it('off-curve Ed25519 point is NOT_ON_CURVE', () => {
    let y = 2n;
    for (; ; y++) {
      try {
        ed25519.Point.fromBytes(bigintToBytesLE(y, 32));
      } catch {
        break;
      }
    }
    expectCode(() => publicKeyFromRaw('ed25519', bigintToBytesLE(y, 32)), 'NOT_ON_CURVE');
  });

  it('small-order Ed25519 points are rejected (identity, order 2, order 4, order 8)', () => {
    expectCode(() => publicKeyFromRaw('ed25519', bigintToBytesLE(1n, 32)), 'IDENTITY_POINT');
    expectCode(() => publicKeyFromRaw('ed25519', bigintToBytesLE(ED_P - 1n, 32)), 'WRONG_SUBGROUP');
    expectCode(() => publicKeyFromRaw('ed25519', bigintToBytesLE(0n, 32)), 'WRONG_SUBGROUP');
    // An order-8 point: the canonical encoding from RFC 8032-era blocklists.
    const order8 = fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
    expectCode(() => publicKeyFromRaw('ed25519', order8), 'WRONG_SUBGROUP');
  });

  it('mixed-order Ed25519 point (key + torsion) is WRONG_SUBGROUP', () => {
    const { info } = testKey('ed25519');
    const torsion = ed25519.Point.fromBytes(
      fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
    );
    const mixed = ed25519.Point.fromBytes(info.raw).add(torsion).toBytes();
    expectCode(() => publicKeyFromRaw('ed25519', mixed), 'WRONG_SUBGROUP');
  });

  it('small-order X25519 points are rejected (u = 0, u = 1, order 8)', () => {
    expectCode(() => publicKeyFromRaw('x25519', bigintToBytesLE(0n, 32)), 'WRONG_SUBGROUP');
    expectCode(() => publicKeyFromRaw('x25519', bigintToBytesLE(1n, 32)), 'WRONG_SUBGROUP');
    const u8 = fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800');
    expectCode(() => publicKeyFromRaw('x25519', u8), 'WRONG_SUBGROUP');
  });

  it('X25519 u on the twist is NOT_ON_CURVE; u >= p or bit 255 set is NON_CANONICAL', () => {
    let u = 2n;
    for (; ; u++) {
      try {
        publicKeyFromRaw('x25519', bigintToBytesLE(u, 32));
      } catch (e) {
        if (isOmegaError(e, 'NOT_ON_CURVE')) break;
      }
    }
    expect(u).toBeLessThan(100n);
    expectCode(
      () => publicKeyFromRaw('x25519', bigintToBytesLE(ED_P + 9n - ED_P + ED_P, 32)),
      'NON_CANONICAL',
    );
    const key = testKey('x25519').info.raw.slice();
    key[31]! |= 0x80;
    expectCode(() => publicKeyFromRaw('x25519', key), 'NON_CANONICAL');
  });

  it('mixed-order X25519 point is WRONG_SUBGROUP', () => {
    const { info } = testKey('ed25519');
    const torsion = ed25519.Point.fromBytes(
      fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
    );
    const u = ed25519.utils.toMontgomery(ed25519.Point.fromBytes(info.raw).add(torsion).toBytes());
    expectCode(() => publicKeyFromRaw('x25519', u), 'WRONG_SUBGROUP');
  });

  it('off-curve P-256 and secp256k1 points are NOT_ON_CURVE', () => {
    for (const type of ['p256', 'secp256k1'] as const) {
      const raw = testKey(type).info.raw.slice();
      raw[64]! ^= 1;
      expectCode(() => publicKeyFromRaw(type, raw), 'NOT_ON_CURVE');
      expectCode(() => publicKeyFromRaw(type, new Uint8Array([0])), 'INVALID_LENGTH');
    }
  });
});

describe('registry keys: RSA modulus and exponent checks (Omega §4.1)', () => {
  const e = 65537n;
  it('a valid 2048-bit modulus of two primes is accepted', () => {
    const k = publicKeyFromRaw('rsa', rsaRaw(P.p1024! * P.q1024!, e));
    expect(k.rsaBits).toBe(2048);
  });
  it('RSA prime power is RSA_BAD_MODULUS (p^2, p^3, and a prime)', () => {
    expectCode(() => publicKeyFromRaw('rsa', rsaRaw(P.p1024! ** 2n, e)), 'RSA_BAD_MODULUS');
    expectCode(() => publicKeyFromRaw('rsa', rsaRaw(P.p683! ** 3n, e)), 'RSA_BAD_MODULUS');
    expectCode(() => publicKeyFromRaw('rsa', rsaRaw(P.p2048!, e)), 'RSA_BAD_MODULUS');
  });
  it('RSA perfect power that is not a prime power is RSA_BAD_MODULUS ((pq)^2)', () => {
    const n = (P.p512! * P.q512!) ** 2n;
    expect(modPow(2n, n * (n - 1n), n)).not.toBe(1n); // passes Omega's prime-power test...
    expectCode(() => checkRsaPublicKey(n, e), 'RSA_BAD_MODULUS'); // ...and is caught by the perfect-power test
  });
  it('RSA modulus with a small factor is RSA_BAD_MODULUS', () => {
    expectCode(() => checkRsaPublicKey(3n * P.p1024! * P.q1024!, e), 'RSA_BAD_MODULUS');
  });
  it('RSA short modulus is RSA_KEY_SIZE (1024 bits), and so is one above 4096 bits', () => {
    expectCode(() => publicKeyFromRaw('rsa', rsaRaw(P.p512! * P.q512!, e)), 'RSA_KEY_SIZE');
    expectCode(() => checkRsaPublicKey(1n << 4100n, e), 'RSA_KEY_SIZE');
  });
  it('RSA bad exponent is RSA_BAD_EXPONENT (3, even, 1, >= 2^256)', () => {
    const n = P.p1024! * P.q1024!;
    for (const bad of [3n, 65536n, 1n, (1n << 256n) + 1n]) {
      expectCode(() => publicKeyFromRaw('rsa', rsaRaw(n, bad)), 'RSA_BAD_EXPONENT');
    }
  });
  it('non-minimal or negative INTEGER in RSAPublicKey is rejected', () => {
    const n = P.p1024! * P.q1024!;
    const nb = bigintToBytesBE(n, 256);
    const padded = new Uint8Array(
      AsnConvert.serialize(
        new RSAPublicKey({
          modulus: concatBytes(new Uint8Array([0, 0]), nb).buffer as ArrayBuffer,
          publicExponent: new Uint8Array([1, 0, 1]).buffer,
        }),
      ),
    );
    expectCode(() => publicKeyFromRaw('rsa', padded), 'NON_CANONICAL');
    const negative = new Uint8Array(
      AsnConvert.serialize(
        new RSAPublicKey({ modulus: nb.slice().buffer, publicExponent: new Uint8Array([1, 0, 1]).buffer }),
      ),
    );
    expectCode(() => publicKeyFromRaw('rsa', negative), 'OUT_OF_RANGE');
  });
  it('integerRoot is the floor of the k-th root', () => {
    for (const [n, k, r] of [
      [1000n, 3, 10n],
      [999n, 3, 9n],
      [2n ** 200n, 5, 2n ** 40n],
      [2n ** 200n - 1n, 5, 2n ** 40n - 1n],
    ] as const) {
      expect(integerRoot(n, k)).toBe(r);
    }
  });
});

describe('registry keys: proof of possession', () => {
  const chain = 'omega-test';
  it.each(KEY_TYPES.filter((t) => t !== 'x25519'))(
    '%s: a PoP over (chain, principal, digest) verifies',
    (type: RegistryKeyType) => {
      const k = testKey(type);
      const sig = k.sign!(popMessage(chain, 'alice', k.info.digest));
      checkProofOfPossession(k.info, chain, 'alice', sig, nodeKeySignatureVerify);
    },
  );
  it.each(KEY_TYPES.filter((t) => t !== 'x25519'))(
    '%s: missing or wrong PoP is BAD_PROOF_OF_POSSESSION',
    (type: RegistryKeyType) => {
      const k = testKey(type);
      const other = testKey(type === 'rsa' ? 'ed25519' : type, 'b');
      expectCode(
        () => checkProofOfPossession(k.info, chain, 'alice', undefined, nodeKeySignatureVerify),
        'BAD_PROOF_OF_POSSESSION',
      );
      // Signed for another principal, another chain, or by another key.
      for (const sig of [
        k.sign!(popMessage(chain, 'mallory', k.info.digest)),
        k.sign!(popMessage('other-chain', 'alice', k.info.digest)),
        other.sign!(popMessage(chain, 'alice', k.info.digest)),
        new Uint8Array(64),
      ]) {
        expectCode(
          () => checkProofOfPossession(k.info, chain, 'alice', sig, nodeKeySignatureVerify),
          'BAD_PROOF_OF_POSSESSION',
        );
      }
    },
  );
  it('X25519 cannot sign, so it needs no PoP', () => {
    checkProofOfPossession(testKey('x25519').info, chain, 'alice', undefined, nodeKeySignatureVerify);
  });
  it('principal names: accepted and rejected forms (INVALID_PRINCIPAL_NAME)', () => {
    for (const ok of ['alice', 'www.example.com', 'bob@example.org', 'urn:x:1', 'a'.repeat(64)])
      checkPrincipalName(ok);
    for (const bad of ['', ' alice', '.x', 'a b', 'ü', 'a'.repeat(65), 'x\n'])
      expectCode(() => checkPrincipalName(bad), 'INVALID_PRINCIPAL_NAME');
  });
});
