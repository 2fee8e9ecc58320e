/**
 * Boneh–Franklin IBE (src/crypto/ibe): the FO check, identity-key verification, threshold extraction
 * with culprits, identity strings and the KEM/DEM envelope. Interop with tlock-js and drand quicknet is
 * in ibe-tlock.test.ts.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { isOmegaError } from '../../src/errors.js';
import { bigintToBytesBE, utf8 } from '../../src/crypto/bytes.js';
import { G1, G2 } from '../../src/crypto/group.js';
import {
  ENVELOPE_MAX_PLAINTEXT_BYTES,
  decryptEnvelope,
  encryptEnvelope,
  extractIdentityKey,
  ibe,
  identityFor,
  nobleIbeCurve,
  parseEnvelope,
  parseIdentity,
  partialIdentityKey,
} from '../../src/crypto/ibe/index.js';
import type { Ibe } from '../../src/crypto/ibe/index.js';
import type { PartialIdentityKey } from '../../src/crypto/ibe/index.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { deal, publicShare } from '../../src/crypto/vss.js';
import { IBE_SCHEMES } from './ibe-backends.js';

const SEED = 'ibe-unit';
const rng0 = deterministicRandom(SEED);
const s = G2.field.random(rng0);
const mpk = G2.encode(G2.mulBase(s));
const idA = identityFor('mail', 'alice@example.org', '2026-01');
const idB = identityFor('mail', 'bob@example.org', '2026-01');
const keyOf = (identity: Uint8Array): Uint8Array =>
  G1.encode(
    G1.mul(bls12_381.G1.hashToCurve(identity, { DST: 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_' }), s),
  );
const keyA = keyOf(idA);
const keyB = keyOf(idB);

/** A point on the G1 curve outside the prime-order subgroup (the cofactor is ~2^126). */
function nonSubgroupG1(): Uint8Array {
  const { Fp } = bls12_381.fields;
  for (let x = 1n; ; x++) {
    let y: bigint;
    try {
      y = Fp.sqrt(Fp.add(Fp.pow(x, 3n), 4n));
    } catch {
      continue;
    }
    if (bls12_381.G1.Point.fromAffine({ x, y }).isTorsionFree()) continue;
    // ZCash compressed encoding: x big-endian, 0x80 = compressed, 0x20 = y is the larger root.
    const out = bigintToBytesBE(x, 48);
    out[0]! |= 0x80 | (y > (Fp.ORDER - 1n) / 2n ? 0x20 : 0);
    return out;
  }
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isOmegaError(e)) return e.code;
    throw e;
  }
  return 'NO_ERROR';
}

describe('the noble IBE adapter', () => {
  it("the noble adapter's pairing (no re-validation) equals noble's public pairing", () => {
    const P = bls12_381.G1.Point.BASE.multiply(3n);
    const Q = bls12_381.G2.Point.BASE.multiply(5n);
    const { Fp12 } = bls12_381.fields;
    expect(Fp12.eql(nobleIbeCurve.pairing(P, Q), bls12_381.pairing(P, Q))).toBe(true);
    expect(
      nobleIbeCurve.pairingEqual(P, Q, bls12_381.G1.Point.BASE.multiply(15n), bls12_381.G2.Point.BASE),
    ).toBe(true);
    expect(
      nobleIbeCurve.pairingEqual(P, Q, bls12_381.G1.Point.BASE.multiply(16n), bls12_381.G2.Point.BASE),
    ).toBe(false);
  });
});

describe.each(IBE_SCHEMES)('Boneh–Franklin IBE with the FO transform: %s', (_name, load) => {
  let scheme: Ibe;
  beforeAll(async () => {
    scheme = await load();
  });

  it('round-trips messages of 16..32 bytes, and σ comes from the injected random source', () => {
    const rng = deterministicRandom(`${SEED}/roundtrip`);
    for (const length of [16, 23, 32]) {
      const m = rng(length);
      const ct = scheme.encrypt(mpk, idA, m, rng);
      expect(ct.U.length).toBe(96);
      expect(ct.V.length).toBe(length);
      expect(ct.W.length).toBe(length);
      expect(scheme.decrypt(keyA, ct)).toEqual(m);
      expect(scheme.decodeCiphertext(scheme.encodeCiphertext(ct))).toEqual(ct);
    }
    const m = utf8('same seed, same ciphertext');
    const c1 = scheme.encrypt(mpk, idA, m, deterministicRandom('fixed'));
    const c2 = scheme.encrypt(mpk, idA, m, deterministicRandom('fixed'));
    expect(c1).toEqual(c2);
  });

  it('a tampered ciphertext fails the FO check (U, V and W)', () => {
    const rng = deterministicRandom(`${SEED}/tamper`);
    const m = rng(32);
    const ct = scheme.encrypt(mpk, idA, m, rng);
    for (let i = 0; i < 32; i += 5) {
      const V = Uint8Array.from(ct.V);
      V[i]! ^= 0x80;
      expect(codeOf(() => scheme.decrypt(keyA, { ...ct, V }))).toBe('DECRYPTION_FAILED');
      const W = Uint8Array.from(ct.W);
      W[i]! ^= 0x01;
      expect(codeOf(() => scheme.decrypt(keyA, { ...ct, W }))).toBe('DECRYPTION_FAILED');
    }
    // Another valid G2 point as U.
    const U = G2.encode(G2.add(G2.decode(ct.U), G2.generator));
    expect(codeOf(() => scheme.decrypt(keyA, { ...ct, U }))).toBe('DECRYPTION_FAILED');
    // A truncated payload (the same prefix of V and W) is not a valid ciphertext either.
    expect(codeOf(() => scheme.decrypt(keyA, { U: ct.U, V: ct.V.slice(0, 16), W: ct.W.slice(0, 16) }))).toBe(
      'DECRYPTION_FAILED',
    );
  });

  it("decryption with another identity's key fails the FO check", () => {
    const ct = scheme.encrypt(mpk, idA, utf8('for alice, not for bob'), deterministicRandom(`${SEED}/other`));
    expect(codeOf(() => scheme.decrypt(keyB, ct))).toBe('DECRYPTION_FAILED');
  });

  it('an identity key for another identity fails verification', () => {
    expect(scheme.verifyIdentityKey(mpk, idA, keyA)).toBe(true);
    expect(scheme.verifyIdentityKey(mpk, idB, keyB)).toBe(true);
    expect(scheme.verifyIdentityKey(mpk, idB, keyA)).toBe(false);
    expect(scheme.verifyIdentityKey(mpk, idA, keyB)).toBe(false);
    const otherMpk = G2.encode(G2.mulBase(s + 1n));
    expect(scheme.verifyIdentityKey(otherMpk, idA, keyA)).toBe(false);
  });

  it('malformed inputs throw typed errors with stable codes', () => {
    const rng = deterministicRandom(`${SEED}/malformed`);
    const ct = scheme.encrypt(mpk, idA, rng(16), rng);
    const badG1 = nonSubgroupG1();
    const cases: [string, () => unknown, string | RegExp][] = [
      ['empty message', () => scheme.encrypt(mpk, idA, new Uint8Array(0), rng), 'INVALID_LENGTH'],
      [
        '15-byte message (σ searchable)',
        () => scheme.encrypt(mpk, idA, new Uint8Array(15), rng),
        'INVALID_LENGTH',
      ],
      ['33-byte message', () => scheme.encrypt(mpk, idA, new Uint8Array(33), rng), 'LIMIT_EXCEEDED'],
      ['message not bytes', () => scheme.encrypt(mpk, idA, 'hi' as any, rng), 'INVALID_ENCODING'],
      ['empty identity', () => scheme.encrypt(mpk, new Uint8Array(0), rng(16), rng), 'INVALID_LENGTH'],
      ['huge identity', () => scheme.encrypt(mpk, new Uint8Array(1025), rng(16), rng), 'LIMIT_EXCEEDED'],
      ['mpk of 95 bytes', () => scheme.encrypt(mpk.slice(1), idA, rng(16), rng), 'INVALID_LENGTH'],
      ['mpk = identity', () => scheme.encrypt(G2.encode(G2.identity), idA, rng(16), rng), 'IDENTITY_POINT'],
      [
        'mpk garbage',
        () => scheme.encrypt(new Uint8Array(96).fill(0xab), idA, rng(16), rng),
        /NOT_ON_CURVE|NON_CANONICAL/,
      ],
      ['key of 47 bytes', () => scheme.decrypt(keyA.slice(1), ct), 'INVALID_LENGTH'],
      ['key = identity', () => scheme.decrypt(G1.encode(G1.identity), ct), 'IDENTITY_POINT'],
      ['key outside the subgroup', () => scheme.decrypt(badG1, ct), /WRONG_SUBGROUP|NOT_ON_CURVE/],
      ['U = identity', () => scheme.decrypt(keyA, { ...ct, U: G2.encode(G2.identity) }), 'IDENTITY_POINT'],
      ['U of 48 bytes', () => scheme.decrypt(keyA, { ...ct, U: keyA }), 'INVALID_LENGTH'],
      [
        'V and W lengths differ',
        () => scheme.decrypt(keyA, { ...ct, V: new Uint8Array(2) }),
        'INVALID_LENGTH',
      ],
      [
        'W of 33 bytes',
        () => scheme.decrypt(keyA, { U: ct.U, V: new Uint8Array(33), W: new Uint8Array(33) }),
        'LIMIT_EXCEEDED',
      ],
      ['ciphertext not an object', () => scheme.decrypt(keyA, null as any), 'INVALID_ENCODING'],
      [
        'ciphertext field not bytes',
        () => scheme.decrypt(keyA, { ...ct, V: [1] as any }),
        'INVALID_ENCODING',
      ],
      [
        'verify: key outside the subgroup',
        () => scheme.verifyIdentityKey(mpk, idA, badG1),
        /WRONG_SUBGROUP|NOT_ON_CURVE/,
      ],
      [
        'verify: mpk = identity',
        () => scheme.verifyIdentityKey(G2.encode(G2.identity), idA, keyA),
        'IDENTITY_POINT',
      ],
      ['decode: too short', () => scheme.decodeCiphertext(new Uint8Array(97)), 'INVALID_LENGTH'],
      ['decode: odd payload', () => scheme.decodeCiphertext(new Uint8Array(99)), 'INVALID_LENGTH'],
      ['decode: payload > 32', () => scheme.decodeCiphertext(new Uint8Array(96 + 66)), 'INVALID_LENGTH'],
      [
        'decode: U garbage',
        () => scheme.decodeCiphertext(new Uint8Array(98).fill(0xab)),
        /NOT_ON_CURVE|NON_CANONICAL/,
      ],
    ];
    for (const [name, f, code] of cases) {
      const got = codeOf(f);
      if (typeof code === 'string') expect(got, name).toBe(code);
      else expect(got, name).toMatch(code);
    }
  });
});

describe.each(IBE_SCHEMES)('threshold extraction of identity keys: %s', (_name, load) => {
  let scheme: Ibe;
  beforeAll(async () => {
    scheme = await load();
  });

  const t = 2;
  const dealing = deal(G2, { threshold: t, parties: 5 }, deterministicRandom(`${SEED}/dkg`));
  const masterPublicKey = G2.encode(dealing.commitments[0]!);
  const publicShares = new Map(
    dealing.shares.map((sh) => [
      sh.index as number,
      G2.encode(publicShare(G2, dealing.commitments, sh.index)),
    ]),
  );
  const identity = identityFor('vault', 'record-17', 'epoch-3');
  // Fixtures are bytes, computed once with the reference backend at collection time.
  const partials = dealing.shares.map((sh) => partialIdentityKey(sh, identity));
  const expected = extractIdentityKey({
    masterPublicKey,
    identity,
    threshold: t,
    partials: partials.slice(0, 3),
    publicShares,
  });
  /** A well-formed but wrong partial: the partial for another identity. */
  const wrong = (i: number): PartialIdentityKey =>
    partialIdentityKey(dealing.shares[i - 1]!, utf8('other|id|1'));

  it('each partial verifies against its public share, not against another', () => {
    expect(scheme.verifyPartialIdentityKey(publicShares.get(1)!, identity, partials[0]!)).toBe(true);
    expect(scheme.verifyPartialIdentityKey(publicShares.get(2)!, identity, partials[0]!)).toBe(false);
    expect(scheme.verifyPartialIdentityKey(publicShares.get(1)!, identity, wrong(1))).toBe(false);
  });

  it('any t+1 partials give the same verified key, which decrypts', () => {
    expect(expected.culprits).toEqual([]);
    expect(expected.subset).toEqual([1, 2, 3]);
    expect(scheme.verifyIdentityKey(masterPublicKey, identity, expected.identityKey)).toBe(true);
    const other = scheme.extractIdentityKey({
      masterPublicKey,
      identity,
      threshold: t,
      partials: [partials[4]!, partials[1]!, partials[3]!],
      publicShares,
    });
    expect(other.identityKey).toEqual(expected.identityKey);
    expect(other.subset).toEqual([2, 4, 5]);
    const ct = scheme.encrypt(
      masterPublicKey,
      identity,
      utf8('threshold-extracted'),
      deterministicRandom(`${SEED}/thr`),
    );
    expect(scheme.decrypt(other.identityKey, ct)).toEqual(utf8('threshold-extracted'));
  });

  it('a bad partial is named as a culprit and the key is still extracted from good ones', () => {
    const withBad = [partials[0]!, wrong(2), partials[2]!, partials[3]!];
    const r = scheme.extractIdentityKey({
      masterPublicKey,
      identity,
      threshold: t,
      partials: withBad,
      publicShares,
    });
    expect(r.identityKey).toEqual(expected.identityKey);
    expect(r.culprits).toEqual([2]);
    expect(r.subset).toEqual([1, 3, 4]);
    // Malformed bytes (not a G1 point, wrong length) are culprits too.
    const malformed = [
      { index: 1, key: new Uint8Array(48).fill(0xff) },
      { index: 2, key: new Uint8Array(3) },
      partials[2]!,
      partials[3]!,
      partials[4]!,
    ];
    const r2 = scheme.extractIdentityKey({
      masterPublicKey,
      identity,
      threshold: t,
      partials: malformed,
      publicShares,
    });
    expect(r2.identityKey).toEqual(expected.identityKey);
    expect(r2.culprits).toEqual([1, 2]);
  });

  it('too few good partials: BAD_PARTIAL naming every bad sender', () => {
    const withBad = [wrong(1), partials[1]!, wrong(4), partials[4]!];
    let caught: unknown;
    try {
      scheme.extractIdentityKey({ masterPublicKey, identity, threshold: t, partials: withBad, publicShares });
    } catch (e) {
      caught = e;
    }
    expect(isOmegaError(caught, 'BAD_PARTIAL')).toBe(true);
    expect((caught as { culprits: number[] }).culprits).toEqual([1, 4]);
  });

  it('a partial from a sender with no public share is a culprit', () => {
    const shares = new Map(publicShares);
    shares.delete(1);
    const r = scheme.extractIdentityKey({
      masterPublicKey,
      identity,
      threshold: t,
      partials: [wrong(1), ...partials.slice(1, 4)],
      publicShares: shares,
    });
    expect(r.culprits).toEqual([1]);
    expect(r.identityKey).toEqual(expected.identityKey);
  });

  it('rejects fewer than t+1 partials, duplicate indices, and public shares of another key', () => {
    const base = { masterPublicKey, identity, threshold: t, publicShares };
    expect(codeOf(() => scheme.extractIdentityKey({ ...base, partials: partials.slice(0, 2) }))).toBe(
      'NOT_ENOUGH_SHARES',
    );
    expect(
      codeOf(() =>
        scheme.extractIdentityKey({ ...base, partials: [partials[0]!, partials[0]!, partials[1]!] }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(
      codeOf(() =>
        scheme.extractIdentityKey({
          ...base,
          partials: [{ index: 0, key: partials[0]!.key }, ...partials.slice(1, 3)],
        }),
      ),
    ).toBe('OUT_OF_RANGE');
    expect(codeOf(() => scheme.extractIdentityKey({ ...base, threshold: -1, partials }))).toBe(
      'INVALID_ARGUMENT',
    );
    const foreignMpk = G2.encode(G2.mulBase(12345n));
    expect(
      codeOf(() =>
        scheme.extractIdentityKey({ ...base, masterPublicKey: foreignMpk, partials: partials.slice(0, 3) }),
      ),
    ).toBe('INVALID_ARGUMENT');
  });
});

describe('identity strings <ns>|<id>|<period>', () => {
  it('encodes the three fields separated by |, and parses back', () => {
    const id = identityFor('mail', 'Zoë <zoe@example.org>', '2026-01');
    expect(new TextDecoder().decode(id)).toBe('mail|Zoë <zoe@example.org>|2026-01');
    expect(parseIdentity(id)).toEqual({ namespace: 'mail', id: 'Zoë <zoe@example.org>', period: '2026-01' });
  });

  it('rejects fields that would make two identities collide or be ambiguous', () => {
    const cases: [string, () => unknown, string][] = [
      ['| in namespace', () => identityFor('a|b', 'x', '1'), 'INVALID_ARGUMENT'],
      ['| in id', () => identityFor('ns', 'x|y', '1'), 'INVALID_ARGUMENT'],
      ['| in period', () => identityFor('ns', 'x', '1|2'), 'INVALID_ARGUMENT'],
      ['empty id', () => identityFor('ns', '', '1'), 'INVALID_ARGUMENT'],
      ['empty period', () => identityFor('ns', 'x', ''), 'INVALID_ARGUMENT'],
      ['control char', () => identityFor('ns', 'x\ny', '1'), 'INVALID_ARGUMENT'],
      ['not NFC', () => identityFor('ns', 'Zoe\u0301', '1'), 'INVALID_ARGUMENT'],
      ['lone surrogate', () => identityFor('ns', 'x\ud800', '1'), 'INVALID_ARGUMENT'],
      ['space in namespace', () => identityFor('my ns', 'x', '1'), 'INVALID_ARGUMENT'],
      ['long namespace', () => identityFor('n'.repeat(65), 'x', '1'), 'LIMIT_EXCEEDED'],
      ['long id', () => identityFor('ns', 'é'.repeat(257), '1'), 'LIMIT_EXCEEDED'],
      ['non-string', () => identityFor('ns', 5 as any, '1'), 'INVALID_ARGUMENT'],
      ['parse: two fields', () => parseIdentity(utf8('ns|x')), 'INVALID_ENCODING'],
      ['parse: four fields', () => parseIdentity(utf8('ns|x|1|2')), 'INVALID_ENCODING'],
      [
        'parse: bad UTF-8',
        () => parseIdentity(Uint8Array.of(0x6e, 0x7c, 0xff, 0x7c, 0x31)),
        'INVALID_ENCODING',
      ],
      [
        'parse: BOM',
        () => parseIdentity(Uint8Array.of(0xef, 0xbb, 0xbf, 0x6e, 0x7c, 0x78, 0x7c, 0x31)),
        'INVALID_ARGUMENT',
      ],
    ];
    for (const [name, f, code] of cases) expect(codeOf(f), name).toBe(code);
  });
});

/**
 * An envelope written from the byte format in docs/crypto.md with noble primitives only (not with
 * src/crypto/ibe/envelope.ts): the KEM goes to `kemIdentity`, the header and KDF name `headerIdentity`.
 */
function specEnvelope(
  kemIdentity: Uint8Array,
  headerIdentity: Uint8Array,
  payload: Uint8Array,
  rng: (n: number) => Uint8Array,
): Uint8Array {
  const dataKey = rng(32);
  const kem = ibe.encrypt(mpk, kemIdentity, dataKey, rng);
  const nonce = rng(12);
  const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const header = Uint8Array.from([
    ...utf8('OIBE'),
    1,
    ...u32(headerIdentity.length),
    ...headerIdentity,
    ...kem.U,
    ...kem.V,
    ...kem.W,
    ...nonce,
  ]);
  const label = utf8('omega/ibe-envelope/v1/aead-key');
  const info = Uint8Array.from([
    ...u32(label.length),
    ...label,
    ...u32(headerIdentity.length),
    ...headerIdentity,
    ...u32(kem.U.length),
    ...kem.U,
  ]);
  const key = hkdf(sha256, dataKey, utf8('omega/ibe-envelope/v1'), info, 32);
  const sealed = gcm(key, nonce, header).encrypt(payload);
  return Uint8Array.from([...header, ...u32(sealed.length), ...sealed]);
}

describe('KEM/DEM envelope v1', () => {
  const rng = deterministicRandom(`${SEED}/envelope`);

  it('round-trips payloads of any size and returns the identity', () => {
    for (const size of [0, 1, 33, 70_000]) {
      const body = rng(size);
      const env = encryptEnvelope(mpk, idA, body, rng);
      const out = decryptEnvelope(keyA, env);
      expect(out.plaintext).toEqual(body);
      expect(out.identity).toEqual(idA);
      expect(env.length).toBe(4 + 1 + 4 + idA.length + 96 + 32 + 32 + 12 + 4 + size + 16);
    }
  });

  it('the key of another identity cannot open it (FO check)', () => {
    const env = encryptEnvelope(mpk, idA, utf8('secret'), rng);
    expect(codeOf(() => decryptEnvelope(keyB, env))).toBe('DECRYPTION_FAILED');
  });

  it('swapping the identity in the header fails authentication', () => {
    // Same-length identity so the layout still parses: only the AEAD binding can catch it.
    const idC = identityFor('mail', 'carol@example.org', '2026-01');
    expect(idC.length).toBe(idA.length);
    const env = encryptEnvelope(mpk, idA, utf8('secret'), rng);
    const swapped = Uint8Array.from(env);
    swapped.set(idC, 9);
    expect(parseEnvelope(swapped).identity).toEqual(idC);
    expect(codeOf(() => decryptEnvelope(keyA, swapped))).toBe('DECRYPTION_FAILED');
  });

  it('an envelope built by an independent writer from the documented v1 format decrypts', () => {
    const env = specEnvelope(idA, idA, utf8('from the spec'), deterministicRandom(`${SEED}/spec`));
    expect(decryptEnvelope(keyA, env, { expectedIdentity: idA }).plaintext).toEqual(utf8('from the spec'));
  });

  it('a header naming another identity than the KEM is rejected when the expected identity is given', () => {
    // A malicious encryptor: KEM to A, header and KDF claim B. A's key opens it; the claim is false.
    const env = specEnvelope(idA, idB, utf8('misaddressed'), deterministicRandom(`${SEED}/claim`));
    expect(decryptEnvelope(keyA, env).identity).toEqual(idB);
    expect(codeOf(() => decryptEnvelope(keyA, env, { expectedIdentity: idA }))).toBe('DECRYPTION_FAILED');
    expect(codeOf(() => decryptEnvelope(keyB, env, { expectedIdentity: idB }))).toBe('DECRYPTION_FAILED');
  });

  it('splicing the KEM of one envelope into another fails', () => {
    const e1 = encryptEnvelope(mpk, idA, utf8('first payload'), rng);
    const e2 = encryptEnvelope(mpk, idA, utf8('other payload'), rng);
    const kemStart = 9 + idA.length;
    const spliced = Uint8Array.from(e2);
    spliced.set(e1.subarray(kemStart, kemStart + 160), kemStart);
    expect(codeOf(() => decryptEnvelope(keyA, spliced))).toBe('DECRYPTION_FAILED');
  });

  it('every flipped bit is rejected with a typed error, never garbage', () => {
    const env = encryptEnvelope(mpk, idA, utf8('tamper me'), rng);
    const seen = new Set<string>();
    for (let i = 0; i < env.length; i += 5) {
      const bad = Uint8Array.from(env);
      bad[i]! ^= 0x04;
      const code = codeOf(() => decryptEnvelope(keyA, bad));
      expect(code, `byte ${i}`).not.toBe('NO_ERROR');
      seen.add(code);
    }
    expect(seen.has('DECRYPTION_FAILED')).toBe(true);
    expect(seen.has('INVALID_ENCODING')).toBe(true);
    expect(seen.has('UNSUPPORTED_VERSION')).toBe(false); // 0x01 ^ 0x04 is caught below directly
  });

  it('strict decoding: magic, version, lengths, trailing bytes, limits', () => {
    const env = encryptEnvelope(mpk, idA, utf8('x'), rng);
    const withByte = (i: number, v: number): Uint8Array => {
      const b = Uint8Array.from(env);
      b[i] = v;
      return b;
    };
    const cases: [string, () => unknown, string | RegExp][] = [
      ['bad magic', () => parseEnvelope(withByte(0, 0x58)), 'INVALID_ENCODING'],
      ['version 2', () => parseEnvelope(withByte(4, 2)), 'UNSUPPORTED_VERSION'],
      ['version 0', () => parseEnvelope(withByte(4, 0)), 'UNSUPPORTED_VERSION'],
      ['truncated', () => parseEnvelope(env.slice(0, env.length - 1)), 'INVALID_ENCODING'],
      ['trailing byte', () => parseEnvelope(Uint8Array.from([...env, 0])), 'INVALID_ENCODING'],
      ['empty', () => parseEnvelope(new Uint8Array(0)), 'INVALID_ENCODING'],
      ['identity length too large', () => parseEnvelope(withByte(7, 0x10)), 'LIMIT_EXCEEDED'],
      [
        'U not a point',
        () => parseEnvelope(withByte(9 + idA.length + 1, env[9 + idA.length + 1]! ^ 0xff)),
        /NOT_ON_CURVE|NON_CANONICAL|WRONG_SUBGROUP/,
      ],
      ['not bytes', () => parseEnvelope('OIBE' as any), 'INVALID_ENCODING'],
      [
        'payload too large',
        () => encryptEnvelope(mpk, idA, new Uint8Array(ENVELOPE_MAX_PLAINTEXT_BYTES + 1), rng),
        'LIMIT_EXCEEDED',
      ],
    ];
    for (const [name, f, code] of cases) {
      const got = codeOf(f);
      if (typeof code === 'string') expect(got, name).toBe(code);
      else expect(got, name).toMatch(code);
    }
    // Sealed length shorter than the tag.
    const short = env.slice(0, env.length - 17);
    const lenAt = short.length - 4;
    new DataView(short.buffer).setUint32(lenAt, 0);
    expect(codeOf(() => parseEnvelope(short))).toBe('INVALID_LENGTH');
  });
});
