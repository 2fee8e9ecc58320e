/** Soak statistics (chaos/stats.ts): percentiles, the slope, and the "memory stays flat" verdict. */
import { describe, expect, it } from 'vitest';
import { memoryFlat, quantile, slope } from '../../chaos/stats.js';

describe('soak statistics', () => {
  it('quantiles are nearest-rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile(xs, 1)).toBe(100);
    expect(quantile([], 0.5)).toBeNaN();
  });
  it('slope is the least-squares fit', () => {
    expect(slope([0, 1, 2, 3].map((x) => ({ x, y: 2 * x + 5 })))).toBeCloseTo(2);
    expect(slope([{ x: 1, y: 3 }])).toBe(0);
  });
  it('flat memory passes; a steady leak fails even when warm-up growth is ignored', () => {
    const flat = Array.from({ length: 30 }, (_, i) => ({
      tMin: i,
      rssMiB: (i < 5 ? 80 + 4 * i : 100) + (i % 3),
    }));
    expect(memoryFlat(flat).flat).toBe(true);
    const leak = Array.from({ length: 30 }, (_, i) => ({ tMin: i, rssMiB: 100 + 3 * i }));
    const v = memoryFlat(leak);
    expect(v.flat).toBe(false);
    expect(v.slopeMiBPerMin).toBeCloseTo(3);
  });
});
