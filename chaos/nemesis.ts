/**
 * The nemesis (Jepsen's name for the fault injector): faults drawn from a seeded generator and applied
 * to a {@link ChaosCluster}, each recorded in the history with the set of replicas faulty after it.
 *
 * Safety runs keep at most f replicas faulty at a time: one fault is injected, held, healed, and the
 * cluster is given time to recover before the next. The beyond-f phase deliberately takes f+1 replicas
 * down to check that the cluster stops instead of answering wrongly (checkNoProgressBeyondF).
 */
import type { ChaosCluster } from './cluster.js';
import type { HistoryFile } from './history.js';
import type { Rng } from './workload.js';

export type FaultKind = 'kill' | 'pause' | 'partition' | 'oneway' | 'delay' | 'wipe' | 'corrupt';
export const FAULT_KINDS: readonly FaultKind[] = [
  'kill',
  'pause',
  'partition',
  'oneway',
  'delay',
  'wipe',
  'corrupt',
];

/** What happened when a replica was restarted on a wiped or corrupted store. */
export interface StorageFaultOutcome {
  readonly kind: 'wipe' | 'corrupt';
  readonly replica: number;
  /** `refused`: the process exited with an error; `started`: it ran on the damaged store. */
  readonly result: 'refused' | 'started';
  readonly message: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Nemesis {
  private readonly down = new Set<number>();
  readonly storageOutcomes: StorageFaultOutcome[] = [];
  readonly counts = new Map<string, number>();

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly rng: Rng,
    private readonly history: HistoryFile,
    private readonly clock: () => number,
    private readonly log: (line: string) => void,
  ) {}

  private record(action: string, targets: number[], extra: { height?: number; note?: string } = {}): void {
    this.counts.set(action, (this.counts.get(action) ?? 0) + 1);
    this.history.add({
      type: 'fault',
      t: this.clock(),
      action,
      targets,
      down: [...this.down].sort((a, b) => a - b),
      ...extra,
    });
    this.log(`nemesis: ${action} ${targets.join(',')} (down: ${[...this.down].join(',') || 'none'})`);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng() * items.length)]!;
  }

  private between(lo: number, hi: number): number {
    return Math.round(lo + this.rng() * (hi - lo));
  }

  /** One fault on one replica: inject, hold for `holdMs`, heal. Leaves the replica running and linked. */
  async one(kind: FaultKind, target: number, holdMs: number): Promise<void> {
    const c = this.cluster;
    switch (kind) {
      case 'kill':
        this.down.add(target);
        await c.stop(target, 'SIGKILL');
        this.record('kill', [target]);
        await sleep(holdMs);
        await c.start(target);
        this.down.delete(target);
        this.record('restart', [target]);
        return;
      case 'pause':
        this.down.add(target);
        c.pause(target);
        this.record('pause', [target]);
        await sleep(holdMs);
        c.resume(target);
        this.down.delete(target);
        this.record('resume', [target]);
        return;
      case 'partition':
        this.down.add(target);
        for (const link of c.linksOf(target)) link.setMode({ kind: 'blackhole' });
        this.record('partition', [target]);
        await sleep(holdMs);
        for (const link of c.linksOf(target)) link.setMode({ kind: 'pass' });
        this.down.delete(target);
        this.record('heal', [target]);
        return;
      case 'oneway': {
        // Asymmetric partition: the target's messages out (or in) are lost on every link it has, the
        // other direction still flows. Link "i-j" is dialed by i, so "forward" is i → j.
        const out = this.rng() < 0.5;
        this.down.add(target);
        for (const link of c.linksOf(target)) {
          const dialer = Number(link.name.split('-')[0]);
          const targetSends = dialer === target ? 'forward' : 'backward';
          const other = targetSends === 'forward' ? 'backward' : 'forward';
          link.setMode({ kind: 'oneway', drop: out ? targetSends : other });
        }
        this.record('oneway', [target], {
          note: out ? 'its messages out are lost' : 'its messages in are lost',
        });
        await sleep(holdMs);
        for (const link of c.linksOf(target)) link.setMode({ kind: 'pass' });
        this.down.delete(target);
        this.record('heal', [target]);
        return;
      }
      case 'delay': {
        // A slow replica is faulty for the f budget (its votes arrive late), though it stays correct.
        const ms = this.between(20, 150);
        this.down.add(target);
        for (const link of c.linksOf(target)) link.setMode({ kind: 'delay', ms, jitterMs: ms / 2 });
        this.record('delay', [target], { note: `${ms} ms ± ${ms / 2}` });
        await sleep(holdMs);
        for (const link of c.linksOf(target)) link.setMode({ kind: 'pass' });
        this.down.delete(target);
        this.record('undelay', [target]);
        return;
      }
      case 'wipe':
      case 'corrupt': {
        this.down.add(target);
        await c.stop(target, 'SIGKILL');
        if (kind === 'wipe') c.wipeData(target);
        else c.corruptData(target, this.rng);
        this.record(kind, [target]);
        let outcome: StorageFaultOutcome;
        try {
          await c.start(target, 20_000);
          outcome = { kind, replica: target, result: 'started', message: 'ran on the damaged store' };
          await sleep(holdMs);
          await c.stop(target, 'SIGKILL');
        } catch (e) {
          const text = e instanceof Error ? e.message : String(e);
          const line = text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('replica')) ?? text;
          outcome = { kind, replica: target, result: 'refused', message: line.slice(0, 300) };
        }
        this.storageOutcomes.push(outcome);
        this.record(`${kind}-${outcome.result}`, [target], { note: outcome.message });
        // The operator restores the store as it was at the crash (a backup taken at that instant), and
        // the replica catches up by block sync.
        c.restoreData(target);
        await c.start(target);
        this.down.delete(target);
        this.record('restore', [target]);
        return;
      }
    }
  }

  /** A random single fault (≤ f faulty at a time). */
  async random(kinds: readonly FaultKind[]): Promise<void> {
    const kind = this.pick(kinds);
    const target = this.between(1, this.cluster.n);
    await this.one(kind, target, this.between(800, 3_000));
  }

  /**
   * Takes f+1 replicas down (SIGKILL), lets in-flight decisions settle, records the stall height, holds,
   * then brings them back one by one.
   */
  async beyondF(holdMs: number): Promise<void> {
    const c = this.cluster;
    const victims: number[] = [];
    while (victims.length < c.f + 1) {
      const v = this.between(1, c.n);
      if (!victims.includes(v)) victims.push(v);
    }
    for (const v of victims) {
      this.down.add(v);
      await c.stop(v, 'SIGKILL');
      this.record('kill', [v]);
    }
    await sleep(1_500);
    this.record('stall', victims, { height: await c.maxHeight() });
    await sleep(holdMs);
    for (const v of victims) {
      await c.start(v);
      this.down.delete(v);
      this.record('restart', [v]);
    }
  }

  /** Heals everything: resumes, un-partitions, restarts whatever is down. */
  async healAll(): Promise<void> {
    const c = this.cluster;
    for (const link of c.proxies.values()) link.setMode({ kind: 'pass' });
    for (let i = 1; i <= c.n; i++) {
      c.resume(i);
      if (!c.isRunning(i)) await c.start(i);
    }
    this.down.clear();
    this.record('heal-all', []);
  }
}
