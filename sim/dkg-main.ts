/**
 * `npm run sim:dkg -- --seed S` replays one DKG simulator run; `--seeds N` runs N seeds (prefix `--base`).
 * `--n 4|7|...` pins the committee size, `--byzantine bad-share,silent,...` the Byzantine behaviours,
 * `--rushing` makes Byzantine transactions includable at once, `--partition` holds back t+1 correct deals
 * in attempt 0 (it aborts; attempt 1 must succeed).
 * Every run prints its seed and parameters; the exit code is 1 if any checker found a violation.
 */
import { loadBlsBackend } from '../src/crypto/bls/load.js';
import type { DkgByzantineKind } from './dkg.js';
import { DKG_BYZANTINE_KINDS, describeDkgRun, dkgParamsFromSeed, simulateDkg } from './dkg.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const overrides: { n?: number; byzantine?: DkgByzantineKind[]; rushing?: boolean; partition?: boolean } = {};
const n = arg('n');
if (n !== undefined) overrides.n = Number(n);
const byz = arg('byzantine');
if (byz !== undefined) {
  const kinds = byz === 'none' ? [] : byz.split(',');
  for (const k of kinds) {
    if (!DKG_BYZANTINE_KINDS.includes(k as DkgByzantineKind)) throw new Error(`unknown Byzantine kind ${k}`);
  }
  overrides.byzantine = kinds as DkgByzantineKind[];
}
if (process.argv.includes('--rushing')) overrides.rushing = true;
if (process.argv.includes('--partition')) overrides.partition = true;
const backend = await loadBlsBackend({ prefer: (arg('backend') as 'mcl' | 'noble' | undefined) ?? 'auto' });
const seed = arg('seed');
const seeds = Number(arg('seeds') ?? (seed === undefined ? 50 : 1));
const base = arg('base') ?? `dkg-${Date.now()}`;
let failed = 0;
const t0 = performance.now();
for (let i = 0; i < seeds; i++) {
  const s = seed ?? `${base}-${i}`;
  const r = simulateDkg(dkgParamsFromSeed(s, overrides), backend);
  console.log(describeDkgRun(r));
  if (r.violations.length > 0) {
    failed++;
    for (const v of r.violations.slice(0, 10)) console.log(`   ✗ ${v}`);
  }
}
console.log(
  `${seeds - failed}/${seeds} seeds passed in ${((performance.now() - t0) / 1000).toFixed(1)} s (${backend.name})`,
);
process.exitCode = failed > 0 ? 1 : 0;
