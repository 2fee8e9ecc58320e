import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOmegaError } from '../../src/errors.js';
import { evalPoint, shareIndex } from '../../src/crypto/field.js';
import { G1 } from '../../src/crypto/group.js';
import {
  canonicalSubset,
  evaluatePolynomial,
  interpolateScalarAtZero,
  lagrangeCoefficients,
  randomPolynomial,
} from '../../src/crypto/poly.js';
import { deterministicRandom } from '../../src/crypto/rand.js';

const F = G1.field;

describe('scalar field', () => {
  it('rejects a non-canonical (unreduced) scalar encoding instead of reducing it', () => {
    const bytes = F.encode(5n);
    const unreduced = new Uint8Array(32);
    // q + 5 fits in 32 bytes for BLS12-381's r (255 bits).
    let v = F.order + 5n;
    for (let i = 31; i >= 0; i--) {
      unreduced[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    expect(F.decode(bytes)).toBe(5n);
    expect(() => F.decode(unreduced)).toThrowError(/NON_CANONICAL/);
  });

  it('rejects a wrong-length scalar and zero', () => {
    expect(() => F.decode(new Uint8Array(31))).toThrowError(/INVALID_LENGTH/);
    expect(() => F.decode(new Uint8Array(32))).toThrowError(/ZERO_SCALAR/);
    expect(F.decode(new Uint8Array(32), { allowZero: true })).toBe(0n);
  });

  it('share indices are 1-based and bounded', () => {
    expect(() => shareIndex(0)).toThrowError(/OUT_OF_RANGE/);
    expect(() => shareIndex(1.5)).toThrowError(/OUT_OF_RANGE/);
    expect(() => shareIndex(256)).toThrowError(/OUT_OF_RANGE/);
    expect(evalPoint(shareIndex(3))).toBe(3n);
  });
});

describe('Lagrange interpolation over canonical subsets', () => {
  it('any t+1 of n shares reconstruct f(0) (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.string(),
        (t, extra, seed) => {
          const n = t + 1 + extra;
          const rng = deterministicRandom(`poly/${seed}`);
          const poly = randomPolynomial(F, t, rng);
          const all = Array.from({ length: n }, (_, i) => i + 1);
          // a pseudo-random subset of size t+1
          const chosen = all
            .sort((a, b) => ((a * 7919 + seed.length) % n) - ((b * 7919 + seed.length) % n))
            .slice(0, t + 1);
          const shares = chosen.map((i) => ({ index: i, value: evaluatePolynomial(F, poly, BigInt(i)) }));
          expect(interpolateScalarAtZero(F, shares)).toBe(poly[0]);
        },
      ),
      { seed: 42, numRuns: 50 },
    );
  });

  it('t shares do not determine f(0)', () => {
    const rng = deterministicRandom('poly/t-shares');
    const poly = randomPolynomial(F, 2, rng);
    const shares = [1, 2].map((i) => ({ index: i, value: evaluatePolynomial(F, poly, BigInt(i)) }));
    expect(interpolateScalarAtZero(F, shares)).not.toBe(poly[0]);
  });

  it('rejects duplicate indices (division by zero is never attempted)', () => {
    try {
      canonicalSubset([1, 3, 3]);
      expect.unreachable();
    } catch (e) {
      expect(isOmegaError(e, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('requires a sorted subset for coefficients, so all parties use the same order', () => {
    expect(() => lagrangeCoefficients(F, [shareIndex(2), shareIndex(1)])).toThrowError(/canonical/);
    const lambdas = lagrangeCoefficients(F, canonicalSubset([3, 1, 2]));
    // Σ λ_i = 1 (interpolating the constant polynomial 1).
    expect(lambdas.reduce((a, b) => F.add(a, b), 0n)).toBe(1n);
  });
});
