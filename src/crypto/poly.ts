/**
 * Polynomials over a scalar field and Lagrange interpolation over canonical subsets of share indices.
 *
 * Lagrange coefficients are always computed over a *canonical* subset — sorted ascending, no duplicates
 * — so that every party interpolating the same shares uses the same order (research/protocol-design.md
 * §2.3, "canonical subsets"; kyber `share/poly.go`).
 */
import { OmegaError } from '../errors.js';
import type { EvalPoint, ScalarField, ShareIndex } from './field.js';
import { evalPoint, shareIndex } from './field.js';
import type { RandomSource } from './rand.js';

/** Coefficients a_0..a_t of f(x) = Σ a_k x^k; the degree is `length - 1`. a_0 is the secret. */
export type Polynomial = readonly bigint[];

/**
 * A random polynomial of the given degree. `constant` fixes a_0 (the secret being shared, or 0 for a
 * zero-sharing in proactive refresh); otherwise a_0 is random too.
 */
export function randomPolynomial(
  field: ScalarField,
  degree: number,
  rng: RandomSource,
  constant?: bigint,
): Polynomial {
  if (!Number.isInteger(degree) || degree < 0) throw new OmegaError('OUT_OF_RANGE', 'degree must be >= 0');
  const coefficients: bigint[] = [];
  coefficients.push(constant === undefined ? field.random(rng) : field.mod(constant));
  for (let k = 1; k <= degree; k++) coefficients.push(field.random(rng));
  return coefficients;
}

/** f(x) by Horner's rule. */
export function evaluatePolynomial(field: ScalarField, poly: Polynomial, x: EvalPoint | bigint): bigint {
  let acc = 0n;
  for (let k = poly.length - 1; k >= 0; k--) acc = field.add(field.mul(acc, x), poly[k]!);
  return acc;
}

/**
 * Validates a set of share indices and returns it sorted ascending. Throws INVALID_ARGUMENT on a
 * duplicate (interpolating with a repeated x divides by zero and must never be attempted).
 */
export function canonicalSubset(indices: readonly number[]): ShareIndex[] {
  const sorted = indices.map(shareIndex).sort((a, b) => a - b);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k] === sorted[k - 1]) {
      throw new OmegaError('INVALID_ARGUMENT', `duplicate share index ${sorted[k]}`);
    }
  }
  return sorted;
}

/**
 * Lagrange coefficients λ_i for interpolating at `at` (default 0) from the shares at the indices of a
 * canonical subset: f(at) = Σ λ_i f(i). Returned in the subset's (sorted) order. One field inversion
 * for the whole set (Montgomery's batch trick).
 */
export function lagrangeCoefficients(
  field: ScalarField,
  subset: readonly ShareIndex[],
  at: bigint = 0n,
): bigint[] {
  assertCanonical(subset);
  const xs = subset.map(evalPoint);
  const numerators: bigint[] = [];
  const denominators: bigint[] = [];
  for (let i = 0; i < xs.length; i++) {
    let num = 1n;
    let den = 1n;
    for (let j = 0; j < xs.length; j++) {
      if (i === j) continue;
      num = field.mul(num, field.sub(at, xs[j]!));
      den = field.mul(den, field.sub(xs[i]!, xs[j]!));
    }
    numerators.push(num);
    denominators.push(den);
  }
  const inverses = batchInvert(field, denominators);
  return numerators.map((num, i) => field.mul(num, inverses[i]!));
}

/** Interpolates f(0) from scalar shares given as (index, value) pairs. */
export function interpolateScalarAtZero(
  field: ScalarField,
  shares: readonly { readonly index: number; readonly value: bigint }[],
): bigint {
  const sorted = [...shares].sort((a, b) => a.index - b.index);
  const subset = canonicalSubset(sorted.map((s) => s.index));
  const lambdas = lagrangeCoefficients(field, subset);
  let acc = 0n;
  for (let k = 0; k < sorted.length; k++) acc = field.add(acc, field.mul(lambdas[k]!, sorted[k]!.value));
  return acc;
}

/** Inverts every element with one field inversion. All inputs must be non-zero. */
export function batchInvert(field: ScalarField, values: readonly bigint[]): bigint[] {
  const prefix: bigint[] = [];
  let acc = 1n;
  for (const v of values) {
    prefix.push(acc);
    acc = field.mul(acc, v);
  }
  let inv = field.inv(acc);
  const out = new Array<bigint>(values.length);
  for (let i = values.length - 1; i >= 0; i--) {
    out[i] = field.mul(inv, prefix[i]!);
    inv = field.mul(inv, values[i]!);
  }
  return out;
}

function assertCanonical(subset: readonly ShareIndex[]): void {
  for (let k = 0; k < subset.length; k++) {
    shareIndex(subset[k]!);
    if (k > 0 && subset[k]! <= subset[k - 1]!) {
      throw new OmegaError(
        'INVALID_ARGUMENT',
        'share indices must be strictly increasing (canonical subset)',
      );
    }
  }
}
