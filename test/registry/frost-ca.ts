/**
 * A service certificate key held by 4 FROST signers (t = 1), dealt by a trusted dealer (vss `deal`) for
 * tests; the DKG replaces the dealer in the cluster. `sign` runs a real FROST round (commit, signShare,
 * aggregate) with 2 of the 4 signers.
 */
import { ED25519 } from '../../src/crypto/group.js';
import type { FrostGroup, FrostSigner, NonceCommitment } from '../../src/crypto/frost.js';
import {
  aggregate,
  frostGroupFromCommitments,
  frostSigner,
  NonceBook,
  signShare,
} from '../../src/crypto/frost.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { deal } from '../../src/crypto/vss.js';

export interface FrostCa {
  readonly group: FrostGroup;
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array, signers?: readonly number[]): Uint8Array;
}

export function frostCa(seed: string): FrostCa {
  const rng = deterministicRandom(seed);
  const d = deal(ED25519, { threshold: 1, parties: 4 }, rng);
  const group = frostGroupFromCommitments(1, 4, d.commitments);
  const signers: FrostSigner[] = d.shares.map((s) => frostSigner(group, s.index, s.value));
  const books = signers.map((s) => new NonceBook(s.index));
  let round = 0;
  return {
    group,
    publicKey: group.publicKey,
    sign(message, chosen = [1 + (round % 4), 1 + ((round + 1) % 4)]) {
      round++;
      const commitments: NonceCommitment[] = chosen.map(
        (i) => books[i - 1]!.generate(signers[i - 1]!, 1, rng)[0]!,
      );
      const shares = new Map<number, Uint8Array>();
      for (const c of commitments) {
        const nonces = books[c.index - 1]!.take(c.seq);
        shares.set(c.index, signShare(group, signers[c.index - 1]!, nonces, commitments, message));
      }
      return aggregate(group, commitments, message, shares);
    },
  };
}
