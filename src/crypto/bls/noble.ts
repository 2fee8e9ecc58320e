/**
 * The reference backend: `@noble/curves` (audited, pure JS). Slow — a pairing costs about 20 ms on the
 * project's VM — but it is the implementation every other backend is tested against byte for byte.
 */
import { pippenger } from '@noble/curves/abstract/curve.js';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { OmegaError } from '../../errors.js';
import { bigintToBytesBE, bytesToBigintBE, concatBytes } from '../bytes.js';
import type { BlsBackend, PointOps } from './backend.js';
import { makeBackend } from './backend.js';
import { G1_BYTES } from './encoding.js';

type G1Point = ReturnType<typeof bls12_381.G1.Point.fromBytes>;
type G2Point = ReturnType<typeof bls12_381.G2.Point.fromBytes>;

const { Fp, Fp2, Fp12 } = bls12_381.fields;
const G1P = bls12_381.G1.Point;
const G2P = bls12_381.G2.Point;
const G1_IDENTITY = G1P.ZERO.toBytes(true);
const G2_IDENTITY = G2P.ZERO.toBytes(true);

/**
 * noble's `fromBytes` checks the curve and the subgroup together and reports both as one error, so
 * when it fails we decide which by arithmetic (is x³ + b a square?), never by parsing its message.
 */
function classifyG1(bytes: Uint8Array): never {
  const xBytes = bytes.slice(0, G1_BYTES);
  xBytes[0] = xBytes[0]! & 0x1f;
  const x = bytesToBigintBE(xBytes);
  const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 4n); // E1: y² = x³ + 4
  throw onCurveError('G1', Fp.is0(rhs) || isSquareFp(rhs));
}

function isSquareFp(a: bigint): boolean {
  // Euler's criterion: a^((p-1)/2) == 1 for a non-zero square.
  return Fp.eql(Fp.pow(a, (Fp.ORDER - 1n) / 2n), Fp.ONE);
}

function classifyG2(bytes: Uint8Array): never {
  const c1Bytes = bytes.slice(0, G1_BYTES);
  c1Bytes[0] = c1Bytes[0]! & 0x1f;
  const x = Fp2.fromBigTuple([bytesToBigintBE(bytes.slice(G1_BYTES)), bytesToBigintBE(c1Bytes)]);
  const rhs = Fp2.add(Fp2.mul(Fp2.sqr(x), x), Fp2.fromBigTuple([4n, 4n])); // E2: y² = x³ + 4(1 + u)
  // An Fp2 element is a square iff its norm c0² + c1² is a square in Fp.
  const norm = Fp.add(Fp.sqr(rhs.c0), Fp.sqr(rhs.c1));
  throw onCurveError('G2', Fp.is0(norm) || isSquareFp(norm));
}

function onCurveError(group: string, onCurve: boolean): OmegaError {
  return onCurve
    ? new OmegaError('WRONG_SUBGROUP', `${group}: point is not in the prime-order subgroup`)
    : new OmegaError('NOT_ON_CURVE', `${group}: x is not the abscissa of a curve point`);
}

/*
 * Compressed ZCash encoding of points computed here. noble's own `toBytes` re-runs `assertValidity`,
 * which includes a full subgroup check (≈2 ms in G1, more in G2) on every fresh point — a third of the
 * cost of a signature. Every point we encode is a combination of validated inputs (or the output of
 * hash_to_curve, which clears the cofactor), so it is in the subgroup by construction; the encoding
 * itself is checked byte for byte against noble's `toBytes` and against mcl in the differential tests.
 * A computed identity (Σ λ_i σ_i that cancels) is not always noble's canonical ZERO object either.
 */
const HALF_P = (Fp.ORDER - 1n) / 2n;

function encodeG1(p: G1Point): Uint8Array {
  if (p.is0()) return G1_IDENTITY.slice();
  const { x, y } = p.toAffine();
  const out = bigintToBytesBE(x, G1_BYTES);
  out[0] = out[0]! | 0x80 | (y > HALF_P ? 0x20 : 0);
  return out;
}

function encodeG2(p: G2Point): Uint8Array {
  if (p.is0()) return G2_IDENTITY.slice();
  const { x, y } = p.toAffine();
  // Sign of y in Fp2: decided by c1, or by c0 when c1 = 0 (pairing-friendly-curves-11 Appendix C).
  const negative = y.c1 === 0n ? y.c0 > HALF_P : y.c1 > HALF_P;
  const out = concatBytes(bigintToBytesBE(x.c1, G1_BYTES), bigintToBytesBE(x.c0, G1_BYTES));
  out[0] = out[0]! | 0x80 | (negative ? 0x20 : 0);
  return out;
}

/** The raw point arithmetic under {@link nobleBackend}, for benchmarks measuring floors. */
export const noblePointOps: PointOps<G1Point, G2Point> = {
  name: 'noble',
  g2Generator: G2P.BASE,
  g1Parse: (bytes) => {
    try {
      return G1P.fromBytes(bytes);
    } catch {
      return classifyG1(bytes);
    }
  },
  g2Parse: (bytes) => {
    try {
      return G2P.fromBytes(bytes);
    } catch {
      return classifyG2(bytes);
    }
  },
  g1Encode: encodeG1,
  g2Encode: encodeG2,
  g1IsIdentity: (p) => p.is0(),
  g2IsIdentity: (p) => p.is0(),
  hashToG1: (message, dst) => bls12_381.G1.hashToCurve(message, { DST: dst }),
  // noble's `multiply` is constant-time but rejects 0; the identity is the right answer there.
  g1MulSecret: (p, s) => (s === 0n ? G1P.ZERO : p.multiply(s)),
  g2MulSecret: (p, s) => (s === 0n ? G2P.ZERO : p.multiply(s)),
  g1Msm: (points, scalars) => pippenger(G1P, [...points], [...scalars]),
  g2Msm: (points, scalars) => pippenger(G2P, [...points], [...scalars]),
  g1Neg: (p) => p.negate(),
  g2Neg: (p) => p.negate(),
  pairingProductIsOne: (pairs) =>
    Fp12.eql(bls12_381.pairingBatch(pairs.map(([g1, g2]) => ({ g1, g2 }))), Fp12.ONE),
};

/** The `@noble/curves` backend (synchronous; no initialisation needed). */
export const nobleBackend: BlsBackend = makeBackend(noblePointOps);
