/**
 * Randomness is always a parameter in `src/crypto` (ARCHITECTURE.md §3): no function here reaches for
 * ambient randomness. The runtime passes a CSPRNG ({@link RandomSource} over `crypto.getRandomValues`);
 * tests and the simulator pass {@link deterministicRandom} so one seed replays a whole run.
 */
import { chacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

/** Returns `length` fresh random bytes. Must be cryptographically secure outside tests. */
export type RandomSource = (length: number) => Uint8Array;

/**
 * A deterministic random source: the ChaCha20 key stream under key SHA-256("omega/drbg/v1" || seed).
 * For tests and the simulator only — a seed that anyone knows gives randomness that anyone can replay.
 *
 * @example
 * const rng = deterministicRandom('seed-42');
 * const a = rng(32); // always the same 32 bytes for this seed
 */
export function deterministicRandom(seed: string | Uint8Array): RandomSource {
  const seedBytes = typeof seed === 'string' ? utf8ToBytes(seed) : seed;
  const key = sha256(concatRaw(utf8ToBytes('omega/drbg/v1'), seedBytes));
  const nonce = new Uint8Array(12);
  let counter = 0;
  let buffer = new Uint8Array(0);
  let offset = 0;
  return (length: number): Uint8Array => {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError('random length must be >= 0');
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (offset === buffer.length) {
        // 64 blocks of key stream at a time; the counter is the ChaCha20 block counter.
        buffer = chacha20(key, nonce, new Uint8Array(4096), undefined, counter);
        counter += 64;
        offset = 0;
      }
      const take = Math.min(length - filled, buffer.length - offset);
      out.set(buffer.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
    }
    return out;
  };
}

function concatRaw(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
