/**
 * The operation registry: operation tag → deterministic handler. Real operations (registry, escrow,
 * vault, IBE, admin) arrive with later issues; this issue defines the registry and the null operation
 * `ping`, used for health checks and for benchmarking the ordered path without application work.
 *
 * A handler is a pure function of its inputs. It rejects a body by throwing an {@link OmegaError}; the
 * machine turns that into an error result with the error's code (never a crash). Any other exception
 * is a bug and propagates (ARCHITECTURE.md D14: stop rather than continue wrong).
 */
import { OmegaError } from '../../errors.js';
import { MACHINE_LIMITS } from './limits.js';

/** What a handler may know about the request being applied. Everything here is replicated. */
export interface OperationContext {
  readonly principal: Uint8Array;
  readonly requestId: Uint8Array;
  /** Height and time of the block being applied (block time, never a local clock). */
  readonly height: number;
  readonly timeMs: number;
}

/** One registered operation. */
export interface Operation {
  readonly tag: number;
  readonly name: string;
  /** Largest body this operation accepts (checked statelessly by `checkEnvelope`). */
  readonly bodyBytesMax: number;
  /** Applies the operation; returns its output bytes (at most `MACHINE_LIMITS.outputBytesMax`). */
  execute(ctx: OperationContext, body: Uint8Array): Uint8Array;
}

/** Operation tags. Stable: a tag is never reused for a different operation. */
export const OP_TAGS = {
  ping: 0x0001,
} as const;

export type OperationName = keyof typeof OP_TAGS;

/** `ping`: echoes its payload. The null operation of the Omega paper's benchmarks (a request ordered and answered, no application work). */
const ping: Operation = {
  tag: OP_TAGS.ping,
  name: 'ping',
  bodyBytesMax: MACHINE_LIMITS.pingBytesMax,
  execute: (_ctx, body) => body.slice(),
};

const REGISTRY: ReadonlyMap<number, Operation> = new Map([[ping.tag, ping]]);

/** The operation with this tag, or undefined. */
export function findOperation(tag: number): Operation | undefined {
  return REGISTRY.get(tag);
}

/** The operation with this tag; throws UNKNOWN_OPERATION if none. */
export function operationFor(tag: number): Operation {
  const op = REGISTRY.get(tag);
  if (op === undefined) {
    throw new OmegaError('UNKNOWN_OPERATION', `operation tag 0x${tag.toString(16).padStart(4, '0')}`);
  }
  return op;
}
