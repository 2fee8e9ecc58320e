/**
 * Prime-order groups behind one interface, so that Feldman VSS, Schnorr and DLEQ proofs, share
 * encryption and threshold ElGamal are written once (noble-curves' "one algorithm, many curves").
 *
 * Every decoder here enforces, in order: exact length, a valid encoding, canonical bytes (re-encoding
 * gives the same bytes), membership of the prime-order subgroup, and — unless asked otherwise — a
 * non-identity element. ed25519 needs the explicit torsion check: noble's `fromBytes` accepts
 * small-order and mixed-order points (research/protocol-design.md §2.3).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { ed25519, ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { OmegaError } from '../errors.js';
import { checkCompressedStructure } from './bls/encoding.js';
import { equalBytes, toHex } from './bytes.js';
import type { ScalarField } from './field.js';
import { makeScalarField } from './field.js';

/** The minimal point API the groups below share (noble's point classes all satisfy it). */
export interface PointLike<P> {
  add(other: P): P;
  subtract(other: P): P;
  negate(): P;
  equals(other: P): boolean;
  multiply(scalar: bigint): P;
  multiplyUnsafe(scalar: bigint): P;
  is0(): boolean;
  toBytes(): Uint8Array;
}

/** A prime-order group with its scalar field and a strict canonical encoding. */
export interface Group<P extends PointLike<P>> {
  /** Stable name, bound into transcripts: 'bls12-381-g1', 'ristretto255', ... */
  readonly name: GroupName;
  readonly field: ScalarField;
  /** Bytes of an encoded element. */
  readonly elementLength: number;
  readonly generator: P;
  readonly identity: P;
  /** s·P in constant time (for secret scalars). s = 0 gives the identity. */
  mul(point: P, scalar: bigint): P;
  /** s·P in variable time (public scalars only: Lagrange coefficients, challenges, public indices). */
  mulPublic(point: P, scalar: bigint): P;
  /** s·G in constant time. */
  mulBase(scalar: bigint): P;
  add(a: P, b: P): P;
  sub(a: P, b: P): P;
  equals(a: P, b: P): boolean;
  isIdentity(p: P): boolean;
  /** Σ s_i·P_i with public scalars. */
  msm(points: readonly P[], scalars: readonly bigint[]): P;
  encode(p: P): Uint8Array;
  /** Strict decoder (see the module comment). Identity is rejected unless `allowIdentity`. */
  decode(bytes: Uint8Array, options?: { allowIdentity?: boolean }): P;
}

export type GroupName = 'bls12-381-g1' | 'bls12-381-g2' | 'ristretto255' | 'ed25519' | 'secp256k1' | 'p256';

interface GroupSpec<P extends PointLike<P>> {
  name: GroupName;
  field: ScalarField;
  elementLength: number;
  generator: P;
  identity: P;
  /** Parse bytes to a point; throw anything on failure (wrapped into OmegaError). */
  parse(bytes: Uint8Array): P;
  /** Extra subgroup check (beyond what `parse` enforces). */
  inSubgroup(p: P): boolean;
  /** False for SEC1 curves, whose identity has no fixed-length encoding. */
  identityEncodable: boolean;
  /**
   * A structural check that makes the encoding canonical by construction (BLS12-381: flags and x < p);
   * when present, the costly re-encode comparison is skipped. Returns true for the identity encoding.
   */
  precheck?: (bytes: Uint8Array) => boolean;
}

function makeGroup<P extends PointLike<P>>(spec: GroupSpec<P>): Group<P> {
  const { field, identity, generator } = spec;
  const mul = (point: P, scalar: bigint): P => {
    const s = field.mod(scalar);
    return s === 0n || point.is0() ? identity : point.multiply(s);
  };
  const mulPublic = (point: P, scalar: bigint): P => {
    const s = field.mod(scalar);
    return s === 0n || point.is0() ? identity : point.multiplyUnsafe(s);
  };
  const group: Group<P> = {
    name: spec.name,
    field,
    elementLength: spec.elementLength,
    generator,
    identity,
    mul,
    mulPublic,
    mulBase: (s) => mul(generator, s),
    add: (a, b) => a.add(b),
    sub: (a, b) => a.subtract(b),
    equals: (a, b) => a.equals(b),
    isIdentity: (p) => p.is0(),
    msm: (points, scalars) => {
      if (points.length !== scalars.length) throw new OmegaError('INVALID_ARGUMENT', 'msm length mismatch');
      let acc = identity;
      for (let i = 0; i < points.length; i++) acc = acc.add(mulPublic(points[i]!, scalars[i]!));
      return acc;
    },
    encode: (p) => {
      if (p.is0() && !spec.identityEncodable) {
        throw new OmegaError('IDENTITY_POINT', `${spec.name}: the identity has no encoding`);
      }
      return p.toBytes();
    },
    decode: (bytes, options = {}) => {
      if (!(bytes instanceof Uint8Array))
        throw new OmegaError('INVALID_ENCODING', `${spec.name}: expected bytes`);
      if (bytes.length !== spec.elementLength) {
        throw new OmegaError(
          'INVALID_LENGTH',
          `${spec.name}: expected ${spec.elementLength} bytes, got ${bytes.length}`,
        );
      }
      if (spec.precheck !== undefined && spec.precheck(bytes)) {
        if (options.allowIdentity === true) return identity;
        throw new OmegaError('IDENTITY_POINT', `${spec.name}: identity element not allowed`);
      }
      let p: P;
      try {
        p = spec.parse(bytes);
      } catch (cause) {
        // noble reports a point on the curve but outside the prime-order subgroup with this wording.
        const wrongSubgroup = /subgroup|torsion/i.test(String((cause as Error)?.message));
        throw new OmegaError(
          wrongSubgroup ? 'WRONG_SUBGROUP' : 'NOT_ON_CURVE',
          wrongSubgroup
            ? `${spec.name}: point is not in the prime-order subgroup`
            : `${spec.name}: not a valid point encoding`,
          { cause },
        );
      }
      if (spec.precheck === undefined && !equalBytes(p.toBytes(), bytes)) {
        throw new OmegaError('NON_CANONICAL', `${spec.name}: non-canonical point encoding`);
      }
      if (p.is0()) {
        if (options.allowIdentity === true) return p;
        throw new OmegaError('IDENTITY_POINT', `${spec.name}: identity element not allowed`);
      }
      if (!spec.inSubgroup(p)) {
        throw new OmegaError('WRONG_SUBGROUP', `${spec.name}: point is not in the prime-order subgroup`);
      }
      return p;
    },
  };
  return Object.freeze(group);
}

const BLS_R = bls12_381.fields.Fr.ORDER;

type G1Point = ReturnType<typeof bls12_381.G1.Point.fromBytes>;
type G2Point = ReturnType<typeof bls12_381.G2.Point.fromBytes>;
type EdPoint = ReturnType<typeof ed25519.Point.fromBytes>;
type RistrettoPoint = ReturnType<typeof ristretto255.Point.fromBytes>;
type SecpPoint = ReturnType<typeof secp256k1.Point.fromBytes>;
type P256Point = ReturnType<typeof p256.Point.fromBytes>;

export type { G1Point, G2Point, EdPoint, RistrettoPoint, SecpPoint, P256Point };

/** BLS12-381 G1 (48-byte compressed, ZCash encoding); the group of min-sig signatures. */
export const G1: Group<G1Point> = makeGroup<G1Point>({
  name: 'bls12-381-g1',
  field: makeScalarField(BLS_R, 32, 'be'),
  elementLength: 48,
  generator: bls12_381.G1.Point.BASE,
  identity: bls12_381.G1.Point.ZERO,
  // noble's fromBytes runs assertValidity, which includes the subgroup check (one check, not three).
  parse: (b) => bls12_381.G1.Point.fromBytes(b),
  inSubgroup: () => true,
  identityEncodable: true,
  precheck: (b) => checkCompressedStructure(b, 'G1'),
});

/** BLS12-381 G2 (96-byte compressed); the group of min-sig public keys. */
export const G2: Group<G2Point> = makeGroup<G2Point>({
  name: 'bls12-381-g2',
  field: makeScalarField(BLS_R, 32, 'be'),
  elementLength: 96,
  generator: bls12_381.G2.Point.BASE,
  identity: bls12_381.G2.Point.ZERO,
  parse: (b) => bls12_381.G2.Point.fromBytes(b),
  inSubgroup: () => true,
  identityEncodable: true,
  precheck: (b) => checkCompressedStructure(b, 'G2'),
});

/** ristretto255 (RFC 9496): a prime-order group with no cofactor pitfalls; used for ElGamal and DLEQ. */
export const RISTRETTO255: Group<RistrettoPoint> = makeGroup<RistrettoPoint>({
  name: 'ristretto255',
  field: makeScalarField(ed25519.Point.Fn.ORDER, 32, 'le'),
  elementLength: 32,
  generator: ristretto255.Point.BASE,
  identity: ristretto255.Point.ZERO,
  parse: (b) => ristretto255.Point.fromBytes(b),
  inSubgroup: () => true,
  identityEncodable: true,
});

/** The prime-order subgroup of edwards25519 (RFC 8032 encoding); torsion is rejected explicitly. */
export const ED25519: Group<EdPoint> = makeGroup<EdPoint>({
  name: 'ed25519',
  field: makeScalarField(ed25519.Point.Fn.ORDER, 32, 'le'),
  elementLength: 32,
  generator: ed25519.Point.BASE,
  identity: ed25519.Point.ZERO,
  parse: (b) => ed25519.Point.fromBytes(b),
  inSubgroup: (p) => p.isTorsionFree() && !p.isSmallOrder(),
  identityEncodable: true,
});

/** secp256k1 (SEC1 33-byte compressed). */
export const SECP256K1: Group<SecpPoint> = makeGroup<SecpPoint>({
  name: 'secp256k1',
  field: makeScalarField(secp256k1.Point.Fn.ORDER, 32, 'be'),
  elementLength: 33,
  generator: secp256k1.Point.BASE,
  identity: secp256k1.Point.ZERO,
  parse: (b) => {
    const p = secp256k1.Point.fromBytes(b);
    p.assertValidity();
    return p;
  },
  inSubgroup: () => true,
  identityEncodable: false,
});

/** NIST P-256 (SEC1 33-byte compressed). */
export const P256: Group<P256Point> = makeGroup<P256Point>({
  name: 'p256',
  field: makeScalarField(p256.Point.Fn.ORDER, 32, 'be'),
  elementLength: 33,
  generator: p256.Point.BASE,
  identity: p256.Point.ZERO,
  parse: (b) => {
    const p = p256.Point.fromBytes(b);
    p.assertValidity();
    return p;
  },
  inSubgroup: () => true,
  identityEncodable: false,
});

/** Hash to ristretto255 (RFC 9380 / RFC 9496) under a domain-separation tag. */
export function hashToRistretto(message: Uint8Array, dst: Uint8Array): RistrettoPoint {
  return ristretto255_hasher.hashToCurve(message, { DST: dst });
}

/** Short hex fingerprint of an element, for logs and error messages (never for secrets). */
export function elementFingerprint<P extends PointLike<P>>(group: Group<P>, p: P): string {
  return `${group.name}:${toHex(group.encode(p)).slice(0, 16)}`;
}
