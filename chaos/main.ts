/**
 * `npm run chaos -- [--minutes M] [--seed S] [--seeds K] [--workload ping|ping-certified|registry] [--clients C] [--no-beyond-f]
 * [--faults kill,pause,…] [--dir DIR]`: long chaos runs (docs/reliability.md). Each seed is one run;
 * a failing run prints its seed and the history file that reproduces it, and the exit code is 1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FAULT_KINDS, type FaultKind } from './nemesis.js';
import { formatReport, runChaos } from './run.js';
import { WORKLOADS } from './workload.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '2' },
    seed: { type: 'string', default: 'chaos-1' },
    seeds: { type: 'string', default: '1' },
    workload: { type: 'string', default: 'ping' },
    clients: { type: 'string', default: '4' },
    faults: { type: 'string' },
    dir: { type: 'string' },
    'no-beyond-f': { type: 'boolean', default: false },
  },
  strict: true,
});
const workload = WORKLOADS.get(values.workload);
if (workload === undefined)
  throw new Error(`unknown workload ${values.workload}; known: ${[...WORKLOADS.keys()].join(', ')}`);
const faults = values.faults?.split(',').map((f) => {
  if (!(FAULT_KINDS as readonly string[]).includes(f))
    throw new Error(`unknown fault ${f}; known: ${FAULT_KINDS.join(', ')}`);
  return f as FaultKind;
});
const base = values.dir ?? mkdtempSync(join(tmpdir(), 'omega-chaos-'));
let failed = 0;
for (let k = 0; k < Number(values.seeds); k++) {
  const seed = Number(values.seeds) === 1 ? values.seed : `${values.seed}-${k}`;
  const report = await runChaos({
    seed,
    dir: join(base, seed),
    workload,
    durationMs: Number(values.minutes) * 60_000,
    clients: Number(values.clients),
    ...(faults !== undefined ? { faults } : {}),
    beyondF: !values['no-beyond-f'],
    log: (line) => console.error(`[${seed}] ${line}`),
  });
  writeFileSync(join(base, seed, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(formatReport(report));
  if (!report.ok) failed++;
}
console.log(`results in ${base}`);
process.exit(failed === 0 ? 0 : 1);
