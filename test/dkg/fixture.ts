/** Shared set-up for the DKG unit tests: a committee, its epoch keys, and helpers to drive a session. */
import type { BlsBackend } from '../../src/crypto/bls/backend.js';
import { loadBlsBackend } from '../../src/crypto/bls/load.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import type { EpochKeyPair } from '../../src/crypto/share-encryption.js';
import { generateEpochKey } from '../../src/crypto/share-encryption.js';
import type { DkgBlock, DkgParams } from '../../src/core/sessions/dkg/index.js';
import {
  DkgSession,
  complaintsFor,
  makeDealBody,
  makeEpochKeyBody,
} from '../../src/core/sessions/dkg/index.js';

let backend: BlsBackend | undefined;
export async function bls(): Promise<BlsBackend> {
  backend ??= await loadBlsBackend({ prefer: 'mcl' });
  return backend;
}

export function committee(n: number, seed = 'committee'): Uint8Array[] {
  const rng = deterministicRandom(seed);
  return Array.from({ length: n }, () => rng(32));
}

export function params(n: number, t: number, over: Partial<DkgParams> = {}): DkgParams {
  return {
    chainId: 'omega-test',
    epoch: 0,
    attempt: 0,
    committee: committee(n),
    threshold: t,
    complaintWindowMs: 5_000,
    dealingWindowMs: 60_000,
    ...over,
  };
}

export function epochKeys(n: number, seed = 'epoch-keys'): EpochKeyPair[] {
  const rng = deterministicRandom(seed);
  return Array.from({ length: n }, () => generateEpochKey(rng));
}

/** A block clock: each call gives the next height, `stepMs` later. */
export function blocks(startMs = 1_000_000, stepMs = 500): (advanceMs?: number) => DkgBlock {
  let height = 0;
  let timeMs = startMs;
  return (advanceMs = stepMs) => {
    height += 1;
    timeMs += advanceMs;
    return { height, timeMs };
  };
}

/** A session with every epoch key in (phase 'dealing'). */
export function sessionDealing(
  b: BlsBackend,
  p: DkgParams,
  keys: readonly EpochKeyPair[],
  next: (advanceMs?: number) => DkgBlock,
): DkgSession {
  const s = DkgSession.start(p, b);
  const blk = next();
  s.onBlock(blk);
  keys.forEach((k, i) => s.applyEpochKey(i + 1, makeEpochKeyBody(s, k), blk));
  return s;
}

/** Deals from `dealers` (in order) in one block; returns the bodies. */
export function dealAll(
  s: DkgSession,
  dealers: readonly number[],
  next: () => DkgBlock,
  seed = 'deals',
): Uint8Array[] {
  const blk = next();
  s.onBlock(blk);
  return dealers.map((d) => {
    const body = makeDealBody(s, d, deterministicRandom(`${seed}/${d}`));
    s.applyDeal(d, body, blk);
    return body;
  });
}

/** Honest complaints of every member, applied in one block. */
export function complainAll(s: DkgSession, keys: readonly EpochKeyPair[], next: () => DkgBlock): void {
  const blk = next();
  s.onBlock(blk);
  keys.forEach((k, i) => {
    for (const body of complaintsFor(s, i + 1, k.secretKey)) s.applyComplaint(i + 1, body, blk);
  });
}
