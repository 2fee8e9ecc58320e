/**
 * Small statistics for the soak run (chaos/soak.ts): percentiles of latency samples and the least-squares
 * slope of memory over time, which decides whether memory "stays flat".
 */

/** The q-quantile (0 ≤ q ≤ 1) of `sorted` (ascending), nearest-rank; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Least-squares slope of y over x (units of y per unit of x); 0 with fewer than two distinct x. */
export function slope(points: readonly { readonly x: number; readonly y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

export interface FlatVerdict {
  readonly flat: boolean;
  /** MiB per minute over the measured part of the run. */
  readonly slopeMiBPerMin: number;
  readonly firstMiB: number;
  readonly lastMiB: number;
}

/**
 * Memory is flat when, after the warm-up (the first `warmupFraction` of the samples: JIT, caches and
 * pools filling), it grows by less than `maxMiBPerMin`, or by less than `maxRelative` of its level over
 * the whole measured window (a slope of noise on a short run is not a leak).
 */
export function memoryFlat(
  samples: readonly { readonly tMin: number; readonly mib: number }[],
  options: { warmupFraction?: number; maxMiBPerMin?: number; maxRelative?: number } = {},
): FlatVerdict {
  const skip = Math.floor(samples.length * (options.warmupFraction ?? 0.3));
  const measured = samples.slice(skip).filter((p) => Number.isFinite(p.mib));
  const s = slope(measured.map((p) => ({ x: p.tMin, y: p.mib })));
  const first = measured[0]?.mib ?? 0;
  const last = measured[measured.length - 1]?.mib ?? 0;
  const span = (measured[measured.length - 1]?.tMin ?? 0) - (measured[0]?.tMin ?? 0);
  const growth = s * span;
  const flat = s <= (options.maxMiBPerMin ?? 1) || growth <= (options.maxRelative ?? 0.05) * first;
  return { flat, slopeMiBPerMin: s, firstMiB: first, lastMiB: last };
}

/** Bounds of the heap verdict: the live JS heap of a replica is ≈ 40 MiB, so 1 MiB/min would hide a leak. */
export const HEAP_FLAT = { maxMiBPerMin: 0.25, maxRelative: 0.05 } as const;

/**
 * The `omega_memory_bytes{kind}` gauges of a replica's Prometheus exposition (src/api/metrics.ts), in
 * bytes; a kind the body does not carry is absent from the result.
 */
export function parseMemoryMetrics(body: string): Partial<Record<MemoryKind, number>> {
  const out: Partial<Record<MemoryKind, number>> = {};
  for (const m of body.matchAll(/^omega_memory_bytes\{kind="([a-z_]+)"\} (\S+)$/gm)) {
    const kind = m[1] as MemoryKind;
    const value = Number(m[2]);
    if (MEMORY_KINDS.includes(kind) && Number.isFinite(value)) out[kind] = value;
  }
  return out;
}

export const MEMORY_KINDS = [
  'rss',
  'heap_used',
  'heap_total',
  'external',
  'array_buffers',
  'heap_after_major_gc',
] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];
