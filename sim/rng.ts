/**
 * Seeded random helpers over `deterministicRandom` (src/crypto/rand.ts): every random choice of the
 * simulator comes from one seed, so `npm run sim -- --seed S` replays a run exactly.
 */
import { deterministicRandom, type RandomSource } from '../src/crypto/rand.js';

export class Rng {
  private readonly source: RandomSource;
  private buf = new Uint8Array(0);
  private off = 0;

  constructor(seed: string) {
    this.source = deterministicRandom(seed);
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    if (this.off + 4 > this.buf.length) {
      this.buf = new Uint8Array(this.source(4096));
      this.off = 0;
    }
    const b = this.buf;
    const o = this.off;
    this.off += 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 2 ** 32;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  bytes(n: number): Uint8Array {
    return this.source(n);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}
