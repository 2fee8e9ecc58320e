/**
 * Shamir secret sharing with Feldman verifiable commitments, over any prime-order {@link Group}.
 *
 * A dealer with secret s picks f(x) = s + a_1 x + ... + a_t x^t, gives party i the share f(i) (i is a
 * 1-based {@link ShareIndex}) and publishes commitments C_k = a_k·G, exactly t+1 of them. Party i checks
 * f(i)·G == Σ_k C_k·i^k (Feldman 1987; RFC 9591 Appendix C.2 `vss_verify`). The commitment vector's
 * length is checked exactly: a longer vector would silently raise the threshold and make the key
 * unrecoverable (kyber `dkg.go` L425; research/protocol-design.md §2.3 "Degree check").
 */
import { OmegaError } from '../errors.js';
import { bytesToBigintBE } from './bytes.js';
import type { ShareIndex } from './field.js';
import { evalPoint, shareIndex } from './field.js';
import type { Group, PointLike } from './group.js';
import type { Polynomial } from './poly.js';
import { evaluatePolynomial, randomPolynomial } from './poly.js';
import type { RandomSource } from './rand.js';

/** A secret share f(i) held by party i. */
export interface SecretShare {
  readonly index: ShareIndex;
  readonly value: bigint;
}

/** The public result of dealing: commitments C_0..C_t (C_0 = s·G is the public key). */
export interface Dealing<P> {
  readonly threshold: number;
  readonly commitments: readonly P[];
  readonly shares: readonly SecretShare[];
}

/**
 * Deals `secret` (or a fresh random secret) to parties 1..n with threshold t: any t+1 shares
 * reconstruct, t reveal nothing. Requires 0 <= t < n <= 255.
 */
export function deal<P extends PointLike<P>>(
  group: Group<P>,
  params: { threshold: number; parties: number; secret?: bigint },
  rng: RandomSource,
): Dealing<P> & { readonly polynomial: Polynomial } {
  const { threshold: t, parties: n } = params;
  if (!Number.isInteger(t) || !Number.isInteger(n) || t < 0 || n < 1 || t >= n) {
    throw new OmegaError('INVALID_ARGUMENT', `need 0 <= t < n, got t=${t}, n=${n}`);
  }
  shareIndex(n);
  if (params.secret !== undefined && !group.field.isValid(params.secret)) {
    throw new OmegaError('OUT_OF_RANGE', 'secret is not a reduced scalar');
  }
  const polynomial = randomPolynomial(group.field, t, rng, params.secret);
  const commitments = commitPolynomial(group, polynomial);
  const shares: SecretShare[] = [];
  for (let i = 1; i <= n; i++) {
    const index = shareIndex(i);
    shares.push({ index, value: evaluatePolynomial(group.field, polynomial, evalPoint(index)) });
  }
  return { threshold: t, commitments, shares, polynomial };
}

/** Feldman commitments C_k = a_k·G to every coefficient (constant time: coefficients are secret). */
export function commitPolynomial<P extends PointLike<P>>(group: Group<P>, polynomial: Polynomial): P[] {
  return polynomial.map((a) => group.mulBase(a));
}

/**
 * Checks a commitment vector's shape: exactly t+1 entries, none the identity. Points that came from
 * {@link decodeCommitments} are already on the curve and in the subgroup.
 */
export function checkCommitments<P extends PointLike<P>>(
  group: Group<P>,
  commitments: readonly P[],
  threshold: number,
): void {
  if (commitments.length !== threshold + 1) {
    throw new OmegaError(
      'BAD_COMMITMENTS',
      `expected exactly t+1 = ${threshold + 1} commitments, got ${commitments.length}`,
    );
  }
  for (const c of commitments) {
    if (group.isIdentity(c)) throw new OmegaError('BAD_COMMITMENTS', 'a commitment is the identity point');
  }
}

/** Decodes and checks a commitment vector (strict point decoding, exact length, no identity). */
export function decodeCommitments<P extends PointLike<P>>(
  group: Group<P>,
  encoded: readonly Uint8Array[],
  threshold: number,
): P[] {
  if (encoded.length !== threshold + 1) {
    throw new OmegaError(
      'BAD_COMMITMENTS',
      `expected exactly t+1 = ${threshold + 1} commitments, got ${encoded.length}`,
    );
  }
  return encoded.map((bytes) => group.decode(bytes));
}

/**
 * The public share PK_i = Σ_k C_k·i^k = f(i)·G, by Horner's rule with the small public scalar i
 * (research/protocol-design.md §2.2: never evaluate per dealing when the aggregate will do).
 */
export function publicShare<P extends PointLike<P>>(
  group: Group<P>,
  commitments: readonly P[],
  index: ShareIndex,
): P {
  const x = evalPoint(shareIndex(index));
  let acc = group.identity;
  for (let k = commitments.length - 1; k >= 0; k--) acc = group.add(group.mulPublic(acc, x), commitments[k]!);
  return acc;
}

/** True iff share·G == PK_index (the Feldman check). */
export function verifyShare<P extends PointLike<P>>(
  group: Group<P>,
  commitments: readonly P[],
  share: SecretShare,
): boolean {
  if (!group.field.isValid(share.value)) return false;
  return group.equals(group.mulBase(share.value), publicShare(group, commitments, share.index));
}

/** One share to check in a batch, with who sent it (for attribution). */
export interface ShareCheck<P> {
  readonly commitments: readonly P[];
  readonly share: SecretShare;
  /** The index of the party blamed if this share is bad (normally its dealer). */
  readonly sender: number;
}

/**
 * Verifies many shares at once with a random linear combination (Bellare–Garay–Rabin small-exponent
 * batching): Σ ρ_j s_j·G == Σ_j ρ_j·PK_j with independent 128-bit ρ_j, which costs one base
 * multiplication and one multi-scalar multiplication over the distinct commitment points instead of one
 * check per share. A forged share passes with probability <= 2^-128. On failure, falls back to
 * individual checks and returns the senders of the bad shares (empty when all are good).
 */
export function batchVerifyShares<P extends PointLike<P>>(
  group: Group<P>,
  checks: readonly ShareCheck<P>[],
  rng: RandomSource,
): number[] {
  if (checks.length === 0) return [];
  const F = group.field;
  let lhs = 0n;
  // Coefficient per distinct commitment vector (same array object → accumulate by power of i).
  const perVector = new Map<readonly P[], bigint[]>();
  for (const { commitments, share } of checks) {
    if (!F.isValid(share.value)) return individually(group, checks);
    const rho = bytesToBigintBE(rng(16));
    lhs = F.add(lhs, F.mul(rho, share.value));
    let acc = perVector.get(commitments);
    if (acc === undefined) {
      acc = commitments.map(() => 0n);
      perVector.set(commitments, acc);
    }
    let power = rho;
    const x = evalPoint(share.index);
    for (let k = 0; k < commitments.length; k++) {
      acc[k] = F.add(acc[k]!, power);
      power = F.mul(power, x);
    }
  }
  const points: P[] = [];
  const scalars: bigint[] = [];
  for (const [commitments, coefficients] of perVector) {
    commitments.forEach((c, k) => {
      points.push(c);
      scalars.push(coefficients[k]!);
    });
  }
  if (group.equals(group.mulBase(lhs), group.msm(points, scalars))) return [];
  return individually(group, checks);
}

function individually<P extends PointLike<P>>(group: Group<P>, checks: readonly ShareCheck<P>[]): number[] {
  const bad = new Set<number>();
  for (const c of checks) if (!verifyShare(group, c.commitments, c.share)) bad.add(c.sender);
  return [...bad].sort((a, b) => a - b);
}
