/**
 * `npm run sim -- --seed <S>` replays one run; `npm run sim -- --seeds <N>` runs N random seeds (swarm
 * testing: size, fault rates and Byzantine mix drawn from each seed). Options pin parameters:
 * `--n 4|7|...`, `--byzantine silent,twins,...`, `--exactly-f` (f Byzantine replicas of drawn kinds),
 * `--crypto ed25519`, `--base <prefix>` (seed prefix).
 * Every run prints its seed and parameters; the exit code is 1 if any checker found a violation.
 */
import {
  type ByzantineKind,
  type SimParams,
  BYZANTINE_KINDS,
  describeRun,
  paramsFromSeed,
  simulate,
} from './cluster.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const overrides: { -readonly [K in keyof SimParams]?: SimParams[K] } = {};
const n = arg('n');
if (n !== undefined) overrides.n = Number(n);
const byz = arg('byzantine');
if (byz !== undefined) {
  const kinds = byz === 'none' ? [] : byz.split(',');
  for (const k of kinds)
    if (!BYZANTINE_KINDS.includes(k as ByzantineKind)) throw new Error(`unknown Byzantine kind ${k}`);
  overrides.byzantine = kinds as ByzantineKind[];
}
const crypto = arg('crypto');
if (crypto === 'ed25519' || crypto === 'cheap') overrides.crypto = crypto;

const seed = arg('seed');
const seeds = Number(arg('seeds') ?? (seed === undefined ? 100 : 1));
const base = arg('base') ?? `run-${Date.now()}`;
let failed = 0;
const t0 = performance.now();
for (let i = 0; i < seeds; i++) {
  const s = seed ?? `${base}-${i}`;
  const r = simulate(paramsFromSeed(s, overrides, { exactlyF: process.argv.includes('--exactly-f') }));
  console.log(describeRun(r));
  if (r.violations.length > 0) {
    failed++;
    for (const v of r.violations.slice(0, 10)) console.log(`   ✗ ${v}`);
  }
}
console.log(`${seeds - failed}/${seeds} seeds passed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exitCode = failed > 0 ? 1 : 0;
