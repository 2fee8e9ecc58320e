/**
 * Checks on an RSA public key (n, e) before the registry accepts it (Omega §4.1; docs/registry.md "Key
 * validation"). Public values only, so variable-time BigInt arithmetic is fine.
 *
 * What is checked, and why:
 *
 * 1. **Size**: 2048 ≤ bits(n) ≤ 4096. Below 2048 bits RSA is deprecated (NIST SP 800-131A r2); the upper
 *    bound keeps the test in (4) bounded inside the state machine (REGISTRY_LIMITS).
 * 2. **Public exponent**: odd and 65537 ≤ e < 2^256 (FIPS 186-5 §A.1.1 / NIST SP 800-56B r2 §6.2.1). An
 *    even e is not invertible mod λ(n); e = 1 is the identity map; small e (3) invites the
 *    low-exponent attacks on unpadded or badly padded messages.
 * 3. **No small prime factor**: n has no prime factor below 1,000 (trial division by the 168 primes). A
 *    modulus of two large primes never has one; a modulus that does is trivially factorable junk. This
 *    also makes n odd.
 * 4. **Not a prime power** (Omega §4.1, the test Peter Landrock suggested): 2^(n(n−1)) ≢ 1 (mod n). If
 *    n = p^k (k ≥ 1) then |Z_n^*| = p^(k−1)(p−1) divides n(n−1) (p^(k−1) | n and p−1 | p^k − 1 = n − 1), so
 *    the power is 1; hence a result ≠ 1 *proves* n is not a prime power — in particular not a prime, so
 *    this is also the Fermat compositeness check. The converse may fail for a few honest moduli (when the
 *    order of 2 happens to divide n(n−1)); such a key is rejected, which is safe and has negligible
 *    probability for random primes. Omega's escrow (§5.1) relies on exactly this property.
 * 5. **Not a perfect power**: n ≠ r^k for every k ≥ 2. (4) leaves moduli like (pq)^2; after (3) every
 *    base r is at least 1,009, so only exponents k ≤ bits(n)/log2(1009) < bits(n)/9.97 need checking,
 *    and only prime k (r^(ab) = (r^a)^b). Each check is an integer k-th root by Newton's method.
 *
 * Not checked (cannot be, from n alone): that n has exactly two prime factors, or that they are safe
 * primes. Omega §5.1 escrow of RSA keys is not part of this registry (escrow uses discrete-log keys, D8).
 */
import { OmegaError } from '../../errors.js';
import { REGISTRY_LIMITS } from './limits.js';

const SMALL_PRIMES: readonly bigint[] = (() => {
  const limit = 1000;
  const composite = new Uint8Array(limit);
  const out: bigint[] = [];
  for (let i = 2; i < limit; i++) {
    if (composite[i] === 1) continue;
    out.push(BigInt(i));
    for (let j = i * i; j < limit; j += i) composite[j] = 1;
  }
  return out;
})();

/** log2 of the smallest base left after trial division (1,009), as a lower bound. */
const LOG2_MIN_BASE = 9.97;

/** Number of bits of a positive integer. */
export function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** base^exp mod m for public values (left-to-right square and multiply). */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  const b = ((base % m) + m) % m;
  for (const bit of exp.toString(2)) {
    result = (result * result) % m;
    if (bit === '1') result = (result * b) % m;
  }
  return result % m;
}

/** ⌊n^(1/k)⌋ for n ≥ 1, k ≥ 2 (Newton's method from an upper bound; monotone decreasing until it stops). */
export function integerRoot(n: bigint, k: number): bigint {
  if (n < 2n) return n;
  const K = BigInt(k);
  // 2^ceil(bits/k) > n^(1/k): a valid starting point above the root.
  let x = 1n << BigInt(Math.ceil(bitLength(n) / k));
  for (;;) {
    const y = ((K - 1n) * x + n / x ** (K - 1n)) / K;
    if (y >= x) return x;
    x = y;
  }
}

function isPrimeSmall(k: number): boolean {
  if (k < 2) return false;
  for (let d = 2; d * d <= k; d++) if (k % d === 0) return false;
  return true;
}

/** Throws RSA_KEY_SIZE, RSA_BAD_EXPONENT or RSA_BAD_MODULUS when (n, e) fails a check of the module comment. */
export function checkRsaPublicKey(n: bigint, e: bigint): void {
  const bits = bitLength(n);
  if (n <= 0n || bits < REGISTRY_LIMITS.rsaModulusBitsMin || bits > REGISTRY_LIMITS.rsaModulusBitsMax) {
    throw new OmegaError(
      'RSA_KEY_SIZE',
      `RSA modulus of ${bits} bits is outside ${REGISTRY_LIMITS.rsaModulusBitsMin}..${REGISTRY_LIMITS.rsaModulusBitsMax}`,
    );
  }
  if (e % 2n === 0n || e < 65537n || e >= 1n << 256n) {
    throw new OmegaError('RSA_BAD_EXPONENT', 'RSA public exponent must be odd with 65537 <= e < 2^256');
  }
  for (const p of SMALL_PRIMES) {
    if (n % p === 0n) throw new OmegaError('RSA_BAD_MODULUS', `RSA modulus has the small factor ${p}`);
  }
  if (modPow(2n, n * (n - 1n), n) === 1n) {
    throw new OmegaError('RSA_BAD_MODULUS', 'RSA modulus is a prime or a prime power (Omega §4.1 test)');
  }
  const kMax = Math.floor(bits / LOG2_MIN_BASE);
  for (let k = 2; k <= kMax; k++) {
    if (!isPrimeSmall(k)) continue;
    const r = integerRoot(n, k);
    if (r ** BigInt(k) === n) {
      throw new OmegaError('RSA_BAD_MODULUS', `RSA modulus is a perfect power (a ${k}-th power)`);
    }
  }
}
