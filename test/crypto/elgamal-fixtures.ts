/** Shared fixtures of the threshold ElGamal tests: a dealt service key on ristretto255. */
import { shareIndex } from '../../src/crypto/field.js';
import type { RistrettoPoint } from '../../src/crypto/group.js';
import { RISTRETTO255 as G } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import type { RandomSource } from '../../src/crypto/rand.js';
import type { Dealing } from '../../src/crypto/vss.js';
import { deal, publicShare } from '../../src/crypto/vss.js';

export interface ServiceKeyFixture {
  readonly rng: RandomSource;
  readonly dealing: Dealing<RistrettoPoint> & { readonly polynomial: readonly bigint[] };
  readonly publicKey: RistrettoPoint;
  readonly publicShares: Map<number, RistrettoPoint>;
  readonly secret: bigint;
}

export const T = 2;
export const N = 7;

/** Deals a t-of-n service key from `seed`; returns the rng (for further draws), shares and public shares. */
export function dealServiceKey(seed: string): ServiceKeyFixture {
  const rng = deterministicRandom(seed);
  const dealing = deal(G, { threshold: T, parties: N }, rng);
  const publicKey = dealing.commitments[0]!;
  const publicShares = new Map<number, RistrettoPoint>();
  for (let i = 1; i <= N; i++) publicShares.set(i, publicShare(G, dealing.commitments, shareIndex(i)));
  return { rng, dealing, publicKey, publicShares, secret: dealing.polynomial[0]! };
}
