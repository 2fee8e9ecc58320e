/**
 * DKG simulator in CI, n = 4 (t = 1): every Byzantine behaviour once, then random seeds (size fixed,
 * behaviours, delays, block times, batch sizes and the restart point drawn from the seed). A failure
 * prints the command that replays it.
 */
import { beforeAll, expect, it } from 'vitest';
import type { BlsBackend } from '../src/crypto/bls/backend.js';
import { loadBlsBackend } from '../src/crypto/bls/load.js';
import type { DkgByzantineKind, DkgSimReport } from './dkg.js';
import { DKG_BYZANTINE_KINDS, describeDkgRun, dkgParamsFromSeed, simulateDkg } from './dkg.js';

let backend: BlsBackend;
beforeAll(async () => {
  backend = await loadBlsBackend({ prefer: 'mcl' });
});

function failures(reports: readonly DkgSimReport[], replay: (r: DkgSimReport) => string): string[] {
  return reports
    .filter((r) => r.violations.length > 0)
    .map((r) => `${describeDkgRun(r)}\n   ${r.violations.join('\n   ')}\n   replay: ${replay(r)}`);
}

it.each(DKG_BYZANTINE_KINDS.map((k) => [k]))(
  'n = 4 with one %s replica: same keys everywhere, valid shares, the culprit named, honest dealers kept',
  (kind: DkgByzantineKind) => {
    const seed = `ci-dkg-n4-${kind}`;
    // A rushing adversary: its transactions come first, so its deal is a candidate.
    const r = simulateDkg(dkgParamsFromSeed(seed, { n: 4, byzantine: [kind], rushing: true }), backend);
    expect(
      failures([r], () => `npm run sim:dkg -- --seed ${seed} --n 4 --byzantine ${kind} --rushing`),
    ).toEqual([]);
    const [byzantine] = [...r.params.byzantine.keys()];
    if (kind === 'bad-share' || kind === 'garbage-ciphertext') {
      expect(r.candidates).toContain(byzantine);
      expect(r.disqualified).toEqual([byzantine]);
    } else {
      expect(r.disqualified).toEqual([]);
    }
    if (kind === 'equivocate') expect(r.qual).toContain(byzantine); // its first deal counts
    if (kind === 'false-complaint') expect(r.flagged).toEqual([byzantine]);
    if (kind === 'extra-commitment' || kind === 'bad-pok' || kind === 'silent') {
      expect(r.qual).not.toContain(byzantine);
    }
  },
  60_000,
);

it('n = 4, a partition holds back t+1 deals in attempt 0: it aborts, stale transactions are refused, attempt 1 succeeds', () => {
  const seed = 'ci-dkg-n4-partition';
  const r = simulateDkg(dkgParamsFromSeed(seed, { n: 4, byzantine: [], partition: true }), backend);
  expect(failures([r], () => `npm run sim:dkg -- --seed ${seed} --n 4 --byzantine none --partition`)).toEqual(
    [],
  );
  expect(r.attempts).toBe(2);
}, 60_000);

it('n = 4, 8 random seeds: every checker passes', () => {
  const reports = Array.from({ length: 8 }, (_, i) =>
    simulateDkg(dkgParamsFromSeed(`ci-dkg-n4-${i}`, { n: 4 }), backend),
  );
  expect(failures(reports, (r) => `npm run sim:dkg -- --seed ${r.params.seed} --n 4`)).toEqual([]);
}, 120_000);
