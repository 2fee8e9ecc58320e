/**
 * The replicated state machine (ARCHITECTURE.md §3 `core/machine`; docs/machine.md).
 *
 * Every replica feeds the same decided blocks, in height order, to its own {@link ReplicatedMachine} and
 * gets byte-identical results and state. Determinism rules (research/protocol-design.md §9): time is the
 * block time, never a local clock; no randomness; no floating point; maps are iterated only where the
 * insertion order is itself replicated; the snapshot is a canonical encoding (sorted entries) and the
 * state hash covers it.
 *
 * Invalid requests inside a block (garbage bytes, bad signatures, replays, closed windows) produce an
 * error result with a stable code and leave the state untouched: a Byzantine proposer can put anything
 * in a block, and the verdict on each request is a pure function of (state, block), so every correct
 * replica reaches the same one.
 *
 * Design note: the machine is a mutable object with `apply(block)` rather than a persistent
 * `apply(state, block) → state` value, because the deduplication set may hold up to a million entries
 * and must not be copied per block; `snapshot()`/`restore()` give the value semantics where the runtime
 * needs them (state transfer, crash recovery).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { Reader, Writer } from '../../codec.js';
import { lengthPrefixed, utf8 } from '../../crypto/bytes.js';
import { OmegaError, invariant, isOmegaError } from '../../errors.js';
import type { Ed25519Verify, Envelope } from './envelope.js';
import { checkEnvelope, decodeEnvelope, envelopeHash } from './envelope.js';
import { MACHINE_LIMITS, PRINCIPAL_BYTES, REQUEST_ID_BYTES } from './limits.js';
import type {
  MachineModule,
  ModuleDirectory,
  ModuleFactory,
  ModuleInit,
  OperationHandler,
} from './module.js';
import { OP_TAGS, findOperation } from './operations.js';
import type { RequestResult, ResultStatus } from './result.js';

/** A decided block as the machine sees it: height, block time, and the ordered request bytes. */
export interface Block {
  /** Must be exactly the machine's height + 1. */
  readonly height: number;
  /** Block time in ms since the epoch, agreed by consensus; never smaller than the previous block's. */
  readonly timeMs: number;
  readonly requests: readonly Uint8Array[];
}

/** What the machine needs from its environment: the cluster's chain id and an Ed25519 verifier. */
export interface MachineConfig {
  readonly chainId: string;
  readonly verify: Ed25519Verify;
  /**
   * Replicas' Ed25519 identity keys (committee index = position + 1): operations with access
   * `committee` are accepted only from these principals. Default: none.
   */
  readonly committee?: readonly Uint8Array[];
  /** Byzantine replicas tolerated (for modules' thresholds). Default floor((n − 1) / 3). */
  readonly f?: number;
  /** The modules of this machine, in snapshot order. Default: none (only `ping`). */
  readonly modules?: readonly ModuleFactory[];
  /**
   * Overrides `MACHINE_LIMITS.seenRequestsMax` (tests and small deployments). Part of the transition
   * function: every replica of a cluster must use the same value.
   */
  readonly seenRequestsMax?: number;
}

/** Version 2 adds the module sections; a version 1 snapshot (no modules) is still read. */
export const SNAPSHOT_VERSION = 2;
/** Domain-separation tag of the state hash. */
export const STATE_HASH_TAG = 'omega/machine-state/v1';

const ZERO_PRINCIPAL = new Uint8Array(PRINCIPAL_BYTES);
const ZERO_REQUEST_ID = new Uint8Array(REQUEST_ID_BYTES);
const SECOND_MS = 1000;

export class ReplicatedMachine {
  private heightValue = 0;
  private timeMsValue = 0;
  /**
   * (principal ‖ requestId) as a binary string (one char per byte, so string order is byte order) →
   * notAfterMs. Invariant: every notAfterMs ≥ timeMs.
   */
  private readonly seen = new Map<string, number>();
  /** floor(notAfterMs / 1000) → keys: lets a block prune expired ids without scanning the whole set. */
  private readonly expiry = new Map<number, string[]>();

  private readonly init: ModuleInit;
  private readonly memberByKey = new Map<string, number>();
  private modules: { readonly name: string; readonly module: MachineModule }[] = [];
  private handlers = new Map<number, OperationHandler>();

  private constructor(private readonly config: MachineConfig) {
    const committee = config.committee ?? [];
    this.init = {
      chainId: config.chainId,
      committee,
      f: config.f ?? Math.max(0, Math.floor((committee.length - 1) / 3)),
    };
    committee.forEach((key, k) => this.memberByKey.set(String.fromCharCode(...key), k + 1));
    this.handlers.set(OP_TAGS.ping, (_ctx, body) => body.slice());
  }

  /** The state before the first block (height 0, time 0, nothing seen, every module at genesis). */
  static genesis(config: MachineConfig): ReplicatedMachine {
    const m = new ReplicatedMachine(config);
    m.install(
      (config.modules ?? []).map((factory) => ({ name: factory.name, module: factory.genesis(m.init) })),
    );
    return m;
  }

  /**
   * Rebuilds a machine from {@link snapshot} bytes. Strict: wrong version, wrong chain, unsorted or
   * duplicate entries, or entries outside [timeMs, timeMs + validityWindowMsMax] are rejected.
   */
  static restore(config: MachineConfig, snapshot: Uint8Array): ReplicatedMachine {
    const m = new ReplicatedMachine(config);
    const r = new Reader(snapshot);
    const version = r.u8();
    if (version !== SNAPSHOT_VERSION && version !== 1)
      throw new OmegaError('UNSUPPORTED_VERSION', `snapshot version ${version}`);
    const chainId = r.string(MACHINE_LIMITS.chainIdBytesMax);
    if (chainId !== config.chainId) throw new OmegaError('WRONG_CHAIN', 'snapshot is for another chain');
    m.heightValue = r.u64Number();
    m.timeMsValue = r.u64Number();
    let previous = '';
    r.array(MACHINE_LIMITS.seenRequestsMax, (rr) => {
      const key = seenKey(rr.fixed(PRINCIPAL_BYTES), rr.fixed(REQUEST_ID_BYTES));
      const notAfterMs = rr.u64Number();
      if (key <= previous)
        throw new OmegaError('NON_CANONICAL', 'snapshot entries must be sorted and unique');
      if (notAfterMs < m.timeMsValue || notAfterMs > m.timeMsValue + MACHINE_LIMITS.validityWindowMsMax) {
        throw new OmegaError('OUT_OF_RANGE', 'snapshot entry outside the live window');
      }
      previous = key;
      m.remember(key, notAfterMs);
    });
    const factories = config.modules ?? [];
    const sections = new Map<string, Uint8Array>();
    if (version >= 2) {
      r.array(MACHINE_LIMITS.modulesMax, (rr) => {
        const name = rr.string(MACHINE_LIMITS.chainIdBytesMax);
        if (sections.has(name)) throw new OmegaError('NON_CANONICAL', `snapshot section ${name} repeated`);
        sections.set(name, rr.bytes(MACHINE_LIMITS.moduleSnapshotBytesMax));
      });
    }
    r.end();
    const installed = factories.map((factory) => {
      const section = sections.get(factory.name);
      sections.delete(factory.name);
      return {
        name: factory.name,
        module: section === undefined ? factory.genesis(m.init) : factory.restore(m.init, section),
      };
    });
    if (sections.size > 0) {
      throw new OmegaError(
        'INVALID_ENCODING',
        `snapshot has unknown sections: ${[...sections.keys()].join(', ')}`,
      );
    }
    m.install(installed);
    return m;
  }

  private readonly directory: ModuleDirectory = { get: (name) => this.module(name) };

  /** The module installed under `name` (from `MachineConfig.modules`), or undefined. */
  module<M extends MachineModule>(name: string): M | undefined {
    return this.modules.find((x) => x.name === name)?.module as M | undefined;
  }

  private install(modules: { readonly name: string; readonly module: MachineModule }[]): void {
    const names = new Set<string>();
    for (const { name, module } of modules) {
      invariant(!names.has(name), `module ${name} installed twice`);
      names.add(name);
      for (const [tag, handler] of module.handlers) {
        invariant(findOperation(tag) !== undefined, `module ${name} handles unknown tag ${tag}`);
        invariant(!this.handlers.has(tag), `operation tag ${tag} handled twice`);
        this.handlers.set(tag, handler);
      }
    }
    this.modules = modules;
  }

  /** Height of the last applied block (0 before the first). */
  get height(): number {
    return this.heightValue;
  }

  /** Time of the last applied block. */
  get timeMs(): number {
    return this.timeMsValue;
  }

  /** Number of remembered (principal, requestId) pairs. */
  get seenCount(): number {
    return this.seen.size;
  }

  /**
   * Applies a decided block; returns one result per request, in block order.
   *
   * Preconditions (guaranteed by consensus, asserted here because a violation is a bug, not bad input):
   * `block.height === height + 1` and `block.timeMs >= timeMs`.
   */
  apply(block: Block): RequestResult[] {
    invariant(
      Number.isSafeInteger(block.height) && block.height === this.heightValue + 1,
      `block height ${block.height} must follow ${this.heightValue}`,
    );
    invariant(
      Number.isSafeInteger(block.timeMs) && block.timeMs >= this.timeMsValue,
      `block time ${block.timeMs} must not precede ${this.timeMsValue}`,
    );
    this.heightValue = block.height;
    this.timeMsValue = block.timeMs;
    this.prune();
    const info = { height: block.height, timeMs: block.timeMs, modules: this.directory };
    for (const { module } of this.modules) module.beginBlock?.(info);
    return block.requests.map((bytes, index) => this.applyRequest(bytes, index));
  }

  /** Canonical encoding of the whole replicated state (docs/machine.md, "Snapshot"). */
  snapshot(): Uint8Array {
    const keys = [...this.seen.keys()].sort();
    const w = new Writer(64 + keys.length * 56);
    w.u8(SNAPSHOT_VERSION).string(this.config.chainId).u64(this.heightValue).u64(this.timeMsValue);
    w.u32(keys.length);
    for (const key of keys) {
      w.fixed(seenKeyBytes(key), PRINCIPAL_BYTES + REQUEST_ID_BYTES);
      w.u64(this.seen.get(key)!);
    }
    w.u32(this.modules.length);
    for (const { name, module } of this.modules) w.string(name).bytes(module.snapshot());
    return w.finish();
  }

  /** SHA-256(lengthPrefixed("omega/machine-state/v1", snapshot)). */
  stateHash(): Uint8Array {
    return sha256(lengthPrefixed(utf8(STATE_HASH_TAG), this.snapshot()));
  }

  private applyRequest(bytes: Uint8Array, index: number): RequestResult {
    let envelope: Envelope;
    try {
      envelope = checkEnvelope(bytes, this.config);
    } catch (e) {
      if (!isOmegaError(e)) throw e;
      return this.rejected(bytes, index, e);
    }
    const base = {
      envelopeHash: envelope.hash,
      requestId: envelope.requestId,
      principal: envelope.principal,
      height: this.heightValue,
      index,
    };
    const error = (code: OmegaError['code']): RequestResult => ({ ...base, status: { ok: false, code } });
    // The validity window is checked against the block time (inclusive at both ends), never a clock.
    if (this.timeMsValue < envelope.notBeforeMs) return error('REQUEST_NOT_YET_VALID');
    if (this.timeMsValue > envelope.notAfterMs) return error('REQUEST_EXPIRED');
    const key = seenKey(envelope.principal, envelope.requestId);
    if (this.seen.has(key)) return error('DUPLICATE_REQUEST');
    if (this.seen.size >= (this.config.seenRequestsMax ?? MACHINE_LIMITS.seenRequestsMax))
      return error('CAPACITY_EXHAUSTED');
    // From here the request counts as applied, whatever the operation says: a retry is a replay.
    this.remember(key, envelope.notAfterMs);
    const status = this.execute(envelope);
    return { ...base, status };
  }

  private execute(envelope: Envelope): ResultStatus {
    try {
      const spec = findOperation(envelope.operation);
      const handler = this.handlers.get(envelope.operation);
      if (spec === undefined || handler === undefined) {
        throw new OmegaError('UNKNOWN_OPERATION', `operation tag ${envelope.operation} has no handler here`);
      }
      const member = this.memberByKey.get(String.fromCharCode(...envelope.principal));
      if (spec.access === 'committee' && member === undefined) {
        throw new OmegaError('NOT_COMMITTEE_MEMBER', `${spec.name} may only be sent by a replica`);
      }
      const output = handler(
        {
          principal: envelope.principal,
          requestId: envelope.requestId,
          height: this.heightValue,
          timeMs: this.timeMsValue,
          member,
          modules: this.directory,
        },
        envelope.body,
      );
      if (output.length > MACHINE_LIMITS.outputBytesMax) return { ok: false, code: 'LIMIT_EXCEEDED' };
      return { ok: true, output };
    } catch (e) {
      // An OmegaError is the operation's deterministic verdict; anything else is a bug and must stop
      // the replica rather than let it diverge.
      if (!isOmegaError(e)) throw e;
      return { ok: false, code: e.code };
    }
  }

  /** Error result for bytes that failed the stateless check; ids are filled when the bytes decode. */
  private rejected(bytes: Uint8Array, index: number, e: OmegaError): RequestResult {
    let requestId: Uint8Array = ZERO_REQUEST_ID;
    let principal: Uint8Array = ZERO_PRINCIPAL;
    let hash: Uint8Array | undefined;
    try {
      const decoded = decodeEnvelope(bytes);
      requestId = decoded.requestId;
      principal = decoded.principal;
      hash = decoded.hash;
    } catch {
      // Undecodable bytes keep the zero ids; the envelope hash still binds the result to them.
    }
    return {
      envelopeHash: hash ?? envelopeHash(bytes instanceof Uint8Array ? bytes : new Uint8Array(0)),
      requestId,
      principal,
      height: this.heightValue,
      index,
      status: { ok: false, code: e.code },
    };
  }

  private remember(key: string, notAfterMs: number): void {
    this.seen.set(key, notAfterMs);
    const bucket = Math.floor(notAfterMs / SECOND_MS);
    const keys = this.expiry.get(bucket);
    if (keys === undefined) this.expiry.set(bucket, [key]);
    else keys.push(key);
  }

  /**
   * Forgets every id whose window closed before the current block time: such a request can never be
   * accepted again (it is REQUEST_EXPIRED before dedup is consulted), so remembering it buys nothing.
   * Exact, so a machine restored from a snapshot holds exactly the same set as one that never stopped.
   */
  private prune(): void {
    const current = Math.floor(this.timeMsValue / SECOND_MS);
    for (const [bucket, keys] of this.expiry) {
      if (bucket > current) continue;
      const kept: string[] = [];
      for (const key of keys) {
        const notAfterMs = this.seen.get(key);
        invariant(notAfterMs !== undefined, 'expiry index names a forgotten key');
        if (notAfterMs < this.timeMsValue) this.seen.delete(key);
        else kept.push(key);
      }
      if (kept.length === 0) this.expiry.delete(bucket);
      else this.expiry.set(bucket, kept);
    }
  }
}

function seenKey(principal: Uint8Array, requestId: Uint8Array): string {
  return String.fromCharCode(...principal, ...requestId);
}

function seenKeyBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}
