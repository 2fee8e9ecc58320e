/**
 * A tiny benchmark harness: every result is printed next to its floor measured in the same run, so the
 * numbers mean something on a noisy 2-core VM (README "Speed is measured, not asserted").
 */
import { performance } from 'node:perf_hooks';

export interface Measurement {
  readonly name: string;
  /** Median time per operation, in milliseconds. */
  readonly msPerOp: number;
  readonly opsPerSec: number;
  readonly samples: number;
}

/**
 * Times `fn` (sync or async): warms up, then runs batches until `minTimeMs` has passed, and returns the
 * median per-operation time over the batches.
 */
export async function measure(
  name: string,
  fn: () => unknown,
  options: { minTimeMs?: number; minSamples?: number; warmup?: number } = {},
): Promise<Measurement> {
  const minTimeMs = options.minTimeMs ?? Number(process.env.BENCH_MIN_MS ?? 1000);
  const minSamples = options.minSamples ?? 5;
  const warmup = options.warmup ?? 2;
  for (let i = 0; i < warmup; i++) await fn();
  const perOp: number[] = [];
  const start = performance.now();
  while (perOp.length < minSamples || performance.now() - start < minTimeMs) {
    const t0 = performance.now();
    await fn();
    perOp.push(performance.now() - t0);
    if (perOp.length > 100_000) break;
  }
  perOp.sort((a, b) => a - b);
  const median = perOp[Math.floor(perOp.length / 2)]!;
  return { name, msPerOp: median, opsPerSec: 1000 / median, samples: perOp.length };
}

export interface Row {
  readonly name: string;
  readonly m: Measurement;
  /** The floor this operation is compared with, measured in the same run. */
  readonly floor?: Measurement;
  readonly target?: number;
}

/** Prints a table: operation, ms/op, ops/s, floor, ratio (and whether it meets the target). */
export function printTable(title: string, rows: readonly Row[]): void {
  console.log(`\n### ${title}\n`);
  console.log('| operation | ms/op | ops/s | floor | floor ms/op | ratio | target |');
  console.log('|---|---:|---:|---|---:|---:|---:|');
  for (const r of rows) {
    const ratio = r.floor ? r.m.msPerOp / r.floor.msPerOp : undefined;
    const target =
      r.target === undefined || ratio === undefined ? '' : `${ratio <= r.target ? '✓' : '✗'} ≤ ${r.target}×`;
    console.log(
      `| ${r.name} | ${fmt(r.m.msPerOp)} | ${fmt(r.m.opsPerSec)} | ${r.floor?.name ?? ''} | ${
        r.floor ? fmt(r.floor.msPerOp) : ''
      } | ${ratio === undefined ? '' : `${ratio.toFixed(2)}×`} | ${target} |`,
    );
  }
}

function fmt(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(4);
}
