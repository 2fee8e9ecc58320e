/**
 * DKG simulator in CI, n = 7 (t = 2): random seeds with exactly t Byzantine replicas of kinds drawn from
 * the seed. A failure prints the command that replays it.
 */
import { beforeAll, expect, it } from 'vitest';
import type { BlsBackend } from '../src/crypto/bls/backend.js';
import { loadBlsBackend } from '../src/crypto/bls/load.js';
import { DKG_BYZANTINE_KINDS, describeDkgRun, dkgParamsFromSeed, simulateDkg } from './dkg.js';
import { Rng } from './rng.js';

let backend: BlsBackend;
beforeAll(async () => {
  backend = await loadBlsBackend({ prefer: 'mcl' });
});

it('n = 7, 6 seeds with t = 2 Byzantine replicas each: every checker passes', () => {
  const failures: string[] = [];
  for (let i = 0; i < 6; i++) {
    const seed = `ci-dkg-n7-${i}`;
    const rng = new Rng(`${seed}/kinds`);
    const kinds = [rng.pick(DKG_BYZANTINE_KINDS), rng.pick(DKG_BYZANTINE_KINDS)];
    const r = simulateDkg(dkgParamsFromSeed(seed, { n: 7, byzantine: kinds }), backend);
    if (r.violations.length > 0) {
      failures.push(
        `${describeDkgRun(r)}\n   ${r.violations.join('\n   ')}\n   replay: npm run sim:dkg -- --seed ${seed} --n 7 --byzantine ${kinds.join(',')}`,
      );
    }
  }
  expect(failures).toEqual([]);
}, 180_000);
