import { describe, expect, it } from 'vitest';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { fromHex } from '../../src/crypto/bytes.js';
import type { Group, PointLike } from '../../src/crypto/group.js';
import { ED25519, G1, G2, P256, RISTRETTO255, SECP256K1 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';

const groups: Group<any>[] = [G1, G2, RISTRETTO255, ED25519, SECP256K1, P256];

describe.each(groups.map((g) => [g.name, g] as const))('group %s', (_name, group: Group<PointLike<any>>) => {
  const rng = deterministicRandom(`group/${group.name}`);

  it('round-trips encodings and respects the homomorphism', () => {
    const a = group.field.random(rng);
    const b = group.field.random(rng);
    const A = group.mulBase(a);
    const B = group.mulBase(b);
    expect(group.equals(group.add(A, B), group.mulBase(group.field.add(a, b)))).toBe(true);
    expect(group.equals(group.decode(group.encode(A)), A)).toBe(true);
    expect(group.equals(group.mulPublic(A, b), group.mul(B, a))).toBe(true);
    expect(group.isIdentity(group.mul(A, 0n))).toBe(true);
  });

  it('rejects the identity element unless allowed', () => {
    if (group.name === 'secp256k1' || group.name === 'p256') {
      // SEC1 has no fixed-length encoding of the identity: encoding it is refused.
      expect(() => group.encode(group.identity)).toThrowError(/IDENTITY_POINT/);
      return;
    }
    const id = group.encode(group.identity);
    expect(() => group.decode(id)).toThrowError(/IDENTITY_POINT/);
    expect(group.isIdentity(group.decode(id, { allowIdentity: true }))).toBe(true);
  });

  it('rejects wrong lengths and garbage', () => {
    expect(() => group.decode(new Uint8Array(group.elementLength + 1))).toThrowError(/INVALID_LENGTH/);
    const garbage = new Uint8Array(group.elementLength).fill(0xff);
    expect(() => group.decode(garbage)).toThrowError(
      /NOT_ON_CURVE|NON_CANONICAL|WRONG_SUBGROUP|INVALID_ENCODING/,
    );
  });
});

describe('ed25519 small-order points', () => {
  it('rejects every torsion point (small-order) and a mixed-order point', () => {
    for (const hex of ED25519_TORSION_SUBGROUP) {
      const bytes = fromHex(hex);
      expect(() => ED25519.decode(bytes)).toThrowError(/WRONG_SUBGROUP|IDENTITY_POINT|NON_CANONICAL/);
    }
    // A mixed-order point: a prime-order point plus a point of order 8.
    const rng = deterministicRandom('ed25519/mixed');
    const P = ED25519.mulBase(ED25519.field.random(rng));
    const T = ed25519.Point.fromBytes(fromHex(ED25519_TORSION_SUBGROUP[1]!));
    const mixed = P.add(T).toBytes();
    expect(() => ED25519.decode(mixed)).toThrowError(/WRONG_SUBGROUP/);
    expect(() => ED25519.decode(fromHex(ED25519_TORSION_SUBGROUP[1]!), { allowIdentity: true })).toThrowError(
      /WRONG_SUBGROUP/,
    );
  });
});

describe('BLS12-381 strict decoding', () => {
  it('reports a point on the curve but outside the prime-order subgroup as WRONG_SUBGROUP', async () => {
    const { bls12_381 } = await import('@noble/curves/bls12-381.js');
    const { Fp } = bls12_381.fields;
    // The first x with a point on E(Fp): such points are almost never in the order-r subgroup.
    let bytes: Uint8Array | undefined;
    for (let x = 1n; x < 100n && bytes === undefined; x++) {
      try {
        Fp.sqrt(Fp.add(Fp.pow(x, 3n), 4n));
      } catch {
        continue;
      }
      const b = new Uint8Array(48);
      let v = x;
      for (let i = 47; i >= 0; i--) {
        b[i] = Number(v & 0xffn);
        v >>= 8n;
      }
      b[0]! |= 0x80;
      bytes = b;
    }
    expect(() => G1.decode(bytes!)).toThrowError(/WRONG_SUBGROUP/);
  });

  it('rejects an x coordinate >= p as NON_CANONICAL and a malformed infinity as INVALID_ENCODING', () => {
    const big = new Uint8Array(48).fill(0xff);
    big[0] = 0x9f;
    expect(() => G1.decode(big)).toThrowError(/NON_CANONICAL/);
    const inf = new Uint8Array(48);
    inf[0] = 0xc0;
    inf[47] = 1;
    expect(() => G1.decode(inf)).toThrowError(/INVALID_ENCODING/);
  });
});
