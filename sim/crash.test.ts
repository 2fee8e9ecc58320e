/**
 * Crash safety in the simulator: a replica crashed at every effect boundary (losing whatever was not
 * persisted) and restarted from its WAL and block store never signs a conflicting message, and the
 * cluster still decides every request (research/protocol-design.md §1.3 "Crash-restart at every effect
 * boundary"). Also: whole runs with real node:crypto Ed25519 signatures.
 */
import { describe, expect, it } from 'vitest';
import { Simulation, describeRun, paramsFromSeed, simulate } from './cluster.js';

describe('crash-restart at every effect boundary', () => {
  for (const victim of [1, 2]) {
    it(`replica ${victim} crashed before each of its next 40 effects: no conflicting signature, no lost decision, liveness`, () => {
      const failures: string[] = [];
      for (let k = 0; k < 40; k++) {
        const sim = new Simulation(
          paramsFromSeed(`boundary-${victim}`, {
            n: 4,
            byzantine: [],
            loss: 0,
            duplicate: 0,
            partitionRate: 0,
            clogRate: 0,
            crashRate: 0,
            safetyTicks: 150,
            clients: 1,
            requestsPerClient: 4,
          }),
        );
        sim.queue.push(40, () => {
          sim.replicas[victim]!.crashAfterEffects = k;
        });
        const r = sim.run();
        if ((r.stats['faults.crashes'] ?? 0) !== 1) failures.push(`k=${k}: the crash did not happen`);
        if (r.violations.length > 0)
          failures.push(`k=${k}: ${describeRun(r)}\n  ${r.violations.join('\n  ')}`);
      }
      expect(failures, failures.join('\n')).toEqual([]);
    }, 120_000);
  }

  it('frequent random crashes of correct replicas (every run restarts several times) keep every checker green', () => {
    const failures: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = simulate(paramsFromSeed(`crashy-${i}`, { n: 4, byzantine: [], crashRate: 0.02 }));
      if (r.violations.length > 0 || (r.stats['faults.crashes'] ?? 0) === 0) {
        failures.push(`${describeRun(r)}\n  ${r.violations.join('\n  ')}`);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
  }, 120_000);
});

describe('real Ed25519 (node:crypto) signatures end to end', () => {
  it('n = 4 with one Byzantine replica and faults: every checker passes', () => {
    for (let i = 0; i < 3; i++) {
      const r = simulate(paramsFromSeed(`ed25519-${i}`, { n: 4, crypto: 'ed25519' }, { exactlyF: true }));
      expect(r.violations, describeRun(r)).toEqual([]);
      expect(r.requestsDecided, describeRun(r)).toBe(r.requestsSubmitted);
    }
  }, 120_000);
});

describe('block sync in the simulator', () => {
  it('a replica cut off from everyone for the whole safety phase catches up by fetching certified blocks', () => {
    const sim = new Simulation(
      paramsFromSeed('sync-catch-up', {
        n: 4,
        byzantine: [],
        loss: 0,
        duplicate: 0,
        partitionRate: 0,
        clogRate: 0,
        crashRate: 0,
        safetyTicks: 400,
        cut: [
          [3, 0],
          [3, 1],
          [3, 2],
        ],
      }),
    );
    const r = sim.run();
    expect(r.violations, describeRun(r)).toEqual([]);
    expect(r.heights).toBeGreaterThan(10);
    const lagging = sim.replicas[3]!;
    const leader = sim.replicas[0]!;
    expect(r.stats['sync.served'] ?? 0).toBeGreaterThan(0);
    // replica 3 holds every height the others decided while it was cut off, each with its certificate
    const cutOffHeights = leader.blocks.filter((d) => d.block.header.timeMs < 400 * 10).length;
    expect(cutOffHeights).toBeGreaterThan(5);
    expect(lagging.blocks.length).toBeGreaterThanOrEqual(cutOffHeights);
    for (let h = 0; h < cutOffHeights; h++) {
      expect(Buffer.from(lagging.blocks[h]!.certificate.blockHash)).toEqual(
        Buffer.from(leader.blocks[h]!.certificate.blockHash),
      );
    }
  });
});
