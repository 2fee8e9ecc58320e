/**
 * Machine modules (docs/machine.md, "Modules"): each service of the state machine (service keys, the
 * registry, ...) is a module that owns a part of the replicated state, the handlers of its operations,
 * and the canonical encoding of its part of the snapshot. The machine itself keeps only what every
 * request needs (height, block time, the replay-protection set) and dispatches by operation tag.
 *
 * Contract of a module (all of it is part of the deterministic transition function):
 * - A handler is a function of (module state, context, body) only. It rejects a body by throwing an
 *   `OmegaError` and must then leave its state exactly as it was (validate first, then mutate):
 *   the machine turns the error into an error result, and a Byzantine proposer can put anything in a
 *   block. Any other exception is a bug and stops the replica (ARCHITECTURE.md D14).
 * - `beginBlock` runs once per applied block before its requests (deadlines by block time).
 * - `snapshot()` is canonical: two modules with the same state give the same bytes, and
 *   `factory.restore(init, snapshot())` gives a module with the same state.
 */
/** What a handler may know about the request being applied. Everything here is replicated. */
export interface OperationContext {
  readonly principal: Uint8Array;
  readonly requestId: Uint8Array;
  /** Height and time of the block being applied (block time, never a local clock). */
  readonly height: number;
  readonly timeMs: number;
  /** The principal's 1-based committee index when the principal is a replica's identity key. */
  readonly member: number | undefined;
  /** The machine's other modules (a module may use another's public methods, e.g. the registry asks the service-keys module for a FROST signature). */
  readonly modules: ModuleDirectory;
}

/** Access to the machine's modules by name. */
export interface ModuleDirectory {
  get<M extends MachineModule>(name: string): M | undefined;
}

/** A handler: returns the operation's output bytes, or throws an `OmegaError` (state untouched). */
export type OperationHandler = (ctx: OperationContext, body: Uint8Array) => Uint8Array;

/** The block being applied, as modules see it in `beginBlock`. */
export interface BlockInfo {
  readonly height: number;
  readonly timeMs: number;
  /** The machine's other modules; modules run `beginBlock` in the configured order. */
  readonly modules: ModuleDirectory;
}

/** Facts about the cluster every module may use: same on every replica (cluster configuration). */
export interface ModuleInit {
  readonly chainId: string;
  /** Replicas' Ed25519 identity keys; the committee index of `committee[k]` is k + 1. */
  readonly committee: readonly Uint8Array[];
  /** Byzantine replicas tolerated. */
  readonly f: number;
}

/** A module instance: one part of the replicated state. */
export interface MachineModule {
  /** Handlers by operation tag (tags from OP_TAGS; one module per tag). */
  readonly handlers: ReadonlyMap<number, OperationHandler>;
  beginBlock?(block: BlockInfo): void;
  snapshot(): Uint8Array;
}

/** How the machine creates a module at genesis and from a snapshot section. */
export interface ModuleFactory<M extends MachineModule = MachineModule> {
  /** Stable section name in the snapshot. */
  readonly name: string;
  genesis(init: ModuleInit): M;
  /** Strict: throws an `OmegaError` for bytes that are not a canonical snapshot of this module. */
  restore(init: ModuleInit, snapshot: Uint8Array): M;
}
