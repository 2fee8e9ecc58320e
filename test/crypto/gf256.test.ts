import { describe, expect, it } from 'vitest';
import { isOmegaError } from '../../src/errors.js';
import {
  bitMatrix,
  gfDiv,
  gfInv,
  gfMatrix,
  gfMatrixInvert,
  gfMatrixMul,
  gfMul,
  gfMulSlow,
  gfPow,
} from '../../src/crypto/gf256.js';
import { deterministicRandom } from '../../src/crypto/rand.js';

describe('GF(2^8) arithmetic (polynomial 0x11d)', () => {
  it('the log/exp tables agree with schoolbook multiplication for all 65,536 products', () => {
    // GF table bugs are common (research/protocol-design.md §8.3): check every entry, not a sample.
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        if (gfMul(a, b) !== gfMulSlow(a, b)) throw new Error(`gfMul(${a}, ${b}) is wrong`);
      }
    }
  });

  it('every non-zero element has an inverse and division undoes multiplication', () => {
    for (let a = 1; a < 256; a++) {
      expect(gfMul(a, gfInv(a))).toBe(1);
      for (let b = 1; b < 256; b += 17) expect(gfDiv(gfMul(a, b), b)).toBe(a);
    }
    expect(() => gfInv(0)).toThrow(/invariant/);
  });

  it('2 generates the multiplicative group (order 255)', () => {
    const seen = new Set<number>();
    for (let e = 0; e < 255; e++) seen.add(gfPow(2, e));
    expect(seen.size).toBe(255);
    expect(gfPow(2, 255)).toBe(1);
  });

  it('the bit matrix of e maps every v to e·v (all 65,536 pairs)', () => {
    for (let e = 0; e < 256; e++) {
      const rows = bitMatrix(e);
      for (let v = 0; v < 256; v++) {
        let out = 0;
        for (let r = 0; r < 8; r++) {
          let parity = 0;
          for (let x = rows[r]! & v; x !== 0; x &= x - 1) parity ^= 1;
          out |= parity << r;
        }
        if (out !== gfMul(e, v)) throw new Error(`bitMatrix(${e}) applied to ${v} is wrong`);
      }
    }
  });

  it('matrix inversion: M · M⁻¹ = I for random invertible matrices; a singular matrix is rejected', () => {
    const rng = deterministicRandom('gf256/invert');
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + (trial % 12);
      const m = gfMatrix(n, n, rng(n * n));
      let inv;
      try {
        inv = gfMatrixInvert(m);
      } catch (e) {
        expect(isOmegaError(e, 'INVALID_ARGUMENT')).toBe(true);
        continue;
      }
      const id = gfMatrixMul(m, inv);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) expect(id.data[i * n + j]).toBe(i === j ? 1 : 0);
    }
    const singular = gfMatrix(2, 2, Uint8Array.of(3, 5, 3, 5));
    expect(() => gfMatrixInvert(singular)).toThrow(/INVALID_ARGUMENT/);
  });
});
