/** Shared by the CI swarm tests: runs seeds `ci-n<n>-<i>` and returns one replay line per failure. */
import { describeRun, paramsFromSeed, simulate } from './cluster.js';

export function swarmFailures(n: number, from: number, count: number): string[] {
  const failures: string[] = [];
  for (let i = from; i < from + count; i++) {
    const r = simulate(paramsFromSeed(`ci-n${n}-${i}`, { n }, { exactlyF: true }));
    const undecided = r.requestsSubmitted - r.requestsDecided;
    if (r.violations.length > 0 || undecided > 0) {
      failures.push(`${describeRun(r)}\n    ${r.violations.slice(0, 5).join('\n    ')}`);
    }
  }
  return failures;
}
