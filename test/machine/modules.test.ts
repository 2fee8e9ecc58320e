import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../src/codec.js';
import { OmegaError } from '../../src/errors.js';
import type { MachineModule, ModuleFactory, OperationHandler } from '../../src/core/machine/index.js';
import { OP_TAGS, ReplicatedMachine } from '../../src/core/machine/index.js';
import { client, config, envelope } from './helpers.js';

const T = 1_030_000;

/** A test module owning a counter: the epoch-key tag adds its body's first byte; 0 is rejected. */
class Counter implements MachineModule {
  blocks = 0;
  constructor(public total: number) {}
  readonly handlers = new Map<number, OperationHandler>([
    [
      OP_TAGS['dkg.epoch-key'],
      (ctx, body) => {
        const v = body[0] ?? 0;
        if (v === 0) throw new OmegaError('OUT_OF_RANGE', 'zero');
        this.total += v;
        return Uint8Array.of(ctx.member ?? 0);
      },
    ],
  ]);
  beginBlock(): void {
    this.blocks += 1;
  }
  snapshot(): Uint8Array {
    return new Writer().u32(this.total).finish();
  }
}

const counterFactory: ModuleFactory<Counter> = {
  name: 'counter',
  genesis: () => new Counter(0),
  restore: (_init, bytes) => {
    const r = new Reader(bytes);
    const c = new Counter(r.u32());
    r.end();
    return c;
  },
};

const replica = client('replica-1');
const outsider = client('outsider');
const modular = { ...config, committee: [replica.publicKey], modules: [counterFactory] };

describe('machine modules', () => {
  it('dispatches a module operation, passes the committee index, and runs beginBlock once per block', () => {
    const m = ReplicatedMachine.genesis(modular);
    const [r] = m.apply({
      height: 1,
      timeMs: T,
      requests: [envelope(replica, { operation: OP_TAGS['dkg.epoch-key'], body: Uint8Array.of(5) })],
    });
    expect(r!.status).toEqual({ ok: true, output: Uint8Array.of(1) });
    expect(m.module<Counter>('counter')!.total).toBe(5);
    m.apply({ height: 2, timeMs: T, requests: [] });
    expect(m.module<Counter>('counter')!.blocks).toBe(2);
  });

  it('committee-only operations from another principal are NOT_COMMITTEE_MEMBER and change nothing', () => {
    const m = ReplicatedMachine.genesis(modular);
    const [r] = m.apply({
      height: 1,
      timeMs: T,
      requests: [envelope(outsider, { operation: OP_TAGS['dkg.epoch-key'], body: Uint8Array.of(5) })],
    });
    expect(r!.status).toEqual({ ok: false, code: 'NOT_COMMITTEE_MEMBER' });
    expect(m.module<Counter>('counter')!.total).toBe(0);
  });

  it('a known tag no installed module handles is UNKNOWN_OPERATION', () => {
    const m = ReplicatedMachine.genesis({ ...config, committee: [replica.publicKey] });
    const [r] = m.apply({
      height: 1,
      timeMs: T,
      requests: [envelope(replica, { operation: OP_TAGS['dkg.deal'], body: Uint8Array.of(5) })],
    });
    expect(r!.status).toEqual({ ok: false, code: 'UNKNOWN_OPERATION' });
  });

  it('a handler rejection is an error result with its code', () => {
    const m = ReplicatedMachine.genesis(modular);
    const [r] = m.apply({
      height: 1,
      timeMs: T,
      requests: [envelope(replica, { operation: OP_TAGS['dkg.epoch-key'], body: Uint8Array.of(0) })],
    });
    expect(r!.status).toEqual({ ok: false, code: 'OUT_OF_RANGE' });
  });

  it('module state is in the snapshot and the state hash, and restores identically', () => {
    const m = ReplicatedMachine.genesis(modular);
    const before = m.stateHash();
    m.apply({
      height: 1,
      timeMs: T,
      requests: [envelope(replica, { operation: OP_TAGS['dkg.epoch-key'], body: Uint8Array.of(9) })],
    });
    expect(m.stateHash()).not.toEqual(before);
    const restored = ReplicatedMachine.restore(modular, m.snapshot());
    expect(restored.module<Counter>('counter')!.total).toBe(9);
    expect(restored.stateHash()).toEqual(m.stateHash());
    // A snapshot with a section this machine has no module for is refused, not silently dropped.
    expect(() => ReplicatedMachine.restore(config, m.snapshot())).toThrow(/unknown sections/);
  });

  it('a machine without modules restores a version-1 snapshot (no sections)', () => {
    const m = ReplicatedMachine.genesis(modular);
    const v2 = ReplicatedMachine.genesis(config).snapshot();
    const v1 = v2.slice(0, v2.length - 4);
    v1[0] = 1;
    const restored = ReplicatedMachine.restore(modular, v1);
    expect(restored.module<Counter>('counter')!.total).toBe(0);
    expect(restored.height).toBe(m.height);
  });
});
