/**
 * CI swarm, n = 4 (f = 1): 100 seeds, each with exactly f Byzantine replicas of kinds drawn from the seed,
 * network faults and crashes drawn from the seed; a safety phase with faults, then a liveness phase.
 * Checkers: agreement, validity, integrity, no conflicting signatures by correct replicas, the effect
 * order and persist-before-send, liveness after healing. A failure prints the command that replays it.
 */
import { expect, it } from 'vitest';
import { swarmFailures } from './swarm.js';

it('swarm: 100 seeds, n = 4, f = 1 Byzantine, mixed faults: every checker passes', () => {
  const failures = swarmFailures(4, 0, 100);
  expect(failures, failures.join('\n')).toEqual([]);
}, 300_000);
