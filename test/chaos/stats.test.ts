/** Soak statistics (chaos/stats.ts): percentiles, the slope, and the "memory stays flat" verdict. */
import { describe, expect, it } from 'vitest';
import { HEAP_FLAT, memoryFlat, parseMemoryMetrics, quantile, slope } from '../../chaos/stats.js';

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
      mib: (i < 5 ? 80 + 4 * i : 100) + (i % 3),
    }));
    expect(memoryFlat(flat).flat).toBe(true);
    const leak = Array.from({ length: 30 }, (_, i) => ({ tMin: i, mib: 100 + 3 * i }));
    const v = memoryFlat(leak);
    expect(v.flat).toBe(false);
    expect(v.slopeMiBPerMin).toBeCloseTo(3);
  });
  it('a heap leak of 0.5 MiB/min fails the heap bounds though it passes the RSS bounds', () => {
    // ≈ 3 KiB per height at 3 heights/s: invisible at RSS scale (1 MiB/min), a leak at heap scale.
    const leak = Array.from({ length: 30 }, (_, i) => ({ tMin: i / 2, mib: 40 + 0.25 * i }));
    expect(memoryFlat(leak).flat).toBe(true);
    expect(memoryFlat(leak, HEAP_FLAT).flat).toBe(false);
    const noisyFlat = Array.from({ length: 30 }, (_, i) => ({ tMin: i / 2, mib: 40 + ((i * 7) % 5) * 0.2 }));
    expect(memoryFlat(noisyFlat, HEAP_FLAT).flat).toBe(true);
  });
  it('reads omega_memory_bytes from a Prometheus exposition and ignores everything else', () => {
    const body = [
      '# HELP omega_memory_bytes Memory of the process by kind',
      '# TYPE omega_memory_bytes gauge',
      'omega_memory_bytes{kind="rss"} 209715200',
      'omega_memory_bytes{kind="heap_used"} 41943040',
      'omega_memory_bytes{kind="bogus"} 1',
      'omega_height 12',
    ].join('\n');
    expect(parseMemoryMetrics(body)).toEqual({ rss: 209715200, heap_used: 41943040 });
    expect(parseMemoryMetrics('')).toEqual({});
  });
  it('a sample that could not be read (NaN) is skipped, not fitted', () => {
    const xs = Array.from({ length: 10 }, (_, i) => ({ tMin: i, mib: i === 7 ? NaN : 50 }));
    const v = memoryFlat(xs, HEAP_FLAT);
    expect(v.flat).toBe(true);
    expect(v.slopeMiBPerMin).toBe(0);
  });
});
