/**
 * CI swarm, n = 7 (f = 2): 100 seeds, each with exactly f Byzantine replicas of kinds drawn from the seed
 * (see swarm-n4.test.ts for the checkers). A failure prints the command that replays it.
 */
import { expect, it } from 'vitest';
import { swarmFailures } from './swarm.js';

it('swarm: 100 seeds, n = 7, f = 2 Byzantine, mixed faults: every checker passes', () => {
  const failures = swarmFailures(7, 0, 100);
  expect(failures, failures.join('\n')).toEqual([]);
}, 300_000);
