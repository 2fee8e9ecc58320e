/**
 * Seeded floats for the harness: the fault schedule, targets and payloads of a run follow from its seed
 * (src/crypto/rand.ts `deterministicRandom` supplies the bytes).
 */
import { deterministicRandom } from '../src/crypto/rand.js';

/** Floats in [0, 1) from a seed string (53 bits each). */
export function seededRng(seed: string): () => number {
  const bytes = deterministicRandom(seed);
  return () => {
    const b = bytes(7);
    let x = 0;
    for (const v of b) x = x * 256 + v;
    return (x % 2 ** 53) / 2 ** 53;
  };
}
