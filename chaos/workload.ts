/**
 * Workloads of the chaos harness: what the clients send and how the checkers read the answers. A new
 * operation plugs in as one more {@link Workload}: it plans requests (operation tag + body + the model
 * the checkers see), turns an accepted output into the model's output string, and names the checkers
 * that apply to it (chaos/checkers.ts). The registry workload (register / revoke / lookup / issue over a
 * small key space, checked with `checkLinearizable(…, registryModel)` and `checkNoIssueAfterRevoke`)
 * is added when those operations exist in src/core/machine/operations.ts.
 */
import type { OperationName } from '../src/core/machine/operations.js';
import { toHex } from '../src/crypto/bytes.js';
import { checkEchoes, type CheckResult } from './checkers.js';
import type { HistoryEvent, OpModel } from './history.js';

/** A seeded source of floats in [0, 1) (chaos/rng.ts). */
export type Rng = () => number;

export interface PlannedOp {
  readonly model: OpModel;
  readonly operation: OperationName | number;
  readonly body: Uint8Array;
}

export interface Workload {
  readonly name: string;
  /** The next request of client `client` (its `seq`-th). */
  next(rng: Rng, client: number, seq: number): PlannedOp;
  /** The model's view of an accepted output. */
  output(op: PlannedOp, output: Uint8Array): string;
  /** Checkers specific to this workload (the generic ones always run). */
  check(history: readonly HistoryEvent[]): CheckResult[];
}

/**
 * Ordered null requests: each ping carries a unique payload (client, sequence number, random filler), so
 * an echo that belongs to another request is detected (checkEchoes).
 */
export const pingWorkload: Workload = {
  name: 'ping',
  next(rng, client, seq) {
    const body = new Uint8Array(16);
    const view = new DataView(body.buffer);
    view.setUint32(0, client);
    view.setUint32(4, seq);
    view.setUint32(8, Math.floor(rng() * 2 ** 32));
    view.setUint32(12, Math.floor(rng() * 2 ** 32));
    return { model: { f: 'ping', value: toHex(body) }, operation: 'ping', body };
  },
  output: (_op, output) => toHex(output),
  check: (history) => [checkEchoes(history)],
};

export const WORKLOADS: ReadonlyMap<string, Workload> = new Map([[pingWorkload.name, pingWorkload]]);
