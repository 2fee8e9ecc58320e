/**
 * The service-keys module of the replicated state machine (docs/service-keys.md): it runs the bootstrap
 * Log-DKG (src/core/sessions/dkg, docs/dkg.md) over the log and keeps its public outcome — the service
 * signing key, the IBE master key and the certificate key, with their commitments and public shares —
 * as replicated state. Secrets never enter this module: each replica's shares are derived outside the
 * machine, from the transcript kept here and the replica's own epoch key.
 *
 * Sessions: attempt 0 starts at genesis; when a session aborts (fewer than t+1 qualified dealers, or
 * dealing did not complete within its window) the next block starts attempt + 1 under a new session id,
 * so stale transactions of the old attempt are rejected (wrong session) and every replica restarts at the
 * same point of the log.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { Reader, Writer } from '../../codec.js';
import type { BlsBackend } from '../../crypto/bls/backend.js';
import { concatBytes, utf8 } from '../../crypto/bytes.js';
import { OmegaError, invariant } from '../../errors.js';
import type {
  BlockInfo,
  MachineModule,
  ModuleFactory,
  ModuleInit,
  OperationHandler,
} from '../machine/module.js';
import { OP_TAGS } from '../machine/operations.js';
import type { DkgParams, DkgPhase, DkgResult } from '../sessions/dkg/index.js';
import { DkgSession } from '../sessions/dkg/index.js';

export const SERVICE_KEYS_MODULE = 'service-keys';
const SNAPSHOT_VERSION = 1;
/** Snapshot limit of one DKG session (transcripts of n ≤ 64 dealers). */
const SESSION_SNAPSHOT_BYTES_MAX = 16 * 1024 * 1024;

/** Deployment parameters of the bootstrap DKG (same on every replica: part of the transition function). */
export interface ServiceKeysOptions {
  readonly backend: BlsBackend;
  /** Block-time length of the complaint window (default 5,000 ms). */
  readonly complaintWindowMs?: number;
  /** Block-time limit for dealing once every epoch key is in (default 60,000 ms). */
  readonly dealingWindowMs?: number;
}

/** The public service keys of one key epoch, as clients and the runtime see them. */
export interface ServiceKeys {
  readonly epoch: number;
  /** Id of the DKG session that produced them. */
  readonly sessionId: Uint8Array;
  readonly result: DkgResult;
}

/** A short, printable fingerprint of a public key: first 16 bytes of SHA-256("omega/key-fingerprint/v1" ‖ purpose ‖ key), hex in groups of 4. */
export function keyFingerprint(purpose: string, publicKey: Uint8Array): string {
  const digest = sha256(
    concatBytes(utf8('omega/key-fingerprint/v1\0'), utf8(purpose), Uint8Array.of(0), publicKey),
  );
  const hex = [...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return hex.match(/.{4}/g)!.join(':');
}

export class ServiceKeysModule implements MachineModule {
  readonly handlers: ReadonlyMap<number, OperationHandler>;
  private block: BlockInfo = { height: 0, timeMs: 0 };

  private constructor(
    private readonly init: ModuleInit,
    private readonly options: ServiceKeysOptions,
    private sessionValue: DkgSession,
  ) {
    const member = (m: number | undefined): number => {
      // The machine checks access 'committee' before calling: a missing index here is a bug.
      invariant(m !== undefined, 'DKG transaction without a committee index');
      return m;
    };
    const none = new Uint8Array(0);
    this.handlers = new Map<number, OperationHandler>([
      [
        OP_TAGS['dkg.epoch-key'],
        (ctx, body) => (this.sessionValue.applyEpochKey(member(ctx.member), body, ctx), none),
      ],
      [
        OP_TAGS['dkg.deal'],
        (ctx, body) => (this.sessionValue.applyDeal(member(ctx.member), body, ctx), none),
      ],
      [
        OP_TAGS['dkg.complaint'],
        (ctx, body) => (this.sessionValue.applyComplaint(member(ctx.member), body, ctx), none),
      ],
    ]);
  }

  static factory(options: ServiceKeysOptions): ModuleFactory<ServiceKeysModule> {
    return {
      name: SERVICE_KEYS_MODULE,
      genesis: (init) =>
        new ServiceKeysModule(init, options, DkgSession.start(paramsFor(init, options, 0), options.backend)),
      restore: (init, bytes) => {
        const r = new Reader(bytes);
        const version = r.u8();
        if (version !== SNAPSHOT_VERSION) {
          throw new OmegaError('UNSUPPORTED_VERSION', `service-keys snapshot version ${version}`);
        }
        const session = DkgSession.restore(r.bytes(SESSION_SNAPSHOT_BYTES_MAX), options.backend);
        r.end();
        const expected = paramsFor(init, options, session.params.attempt);
        if (!equalParams(session.params, expected)) {
          throw new OmegaError(
            'INVALID_ENCODING',
            'service-keys snapshot is for another committee or settings',
          );
        }
        return new ServiceKeysModule(init, options, session);
      },
    };
  }

  /** The current DKG session (the latest attempt). */
  get session(): DkgSession {
    return this.sessionValue;
  }

  get phase(): DkgPhase {
    return this.sessionValue.phase;
  }

  /** The service keys once the bootstrap DKG is done, else undefined. */
  keys(): ServiceKeys | undefined {
    const result = this.sessionValue.result();
    if (result === undefined) return undefined;
    return { epoch: this.sessionValue.params.epoch, sessionId: this.sessionValue.sessionId, result };
  }

  beginBlock(block: BlockInfo): void {
    this.block = block;
    this.sessionValue.onBlock(block);
    if (this.sessionValue.phase === 'aborted') {
      const attempt = this.sessionValue.params.attempt + 1;
      this.sessionValue = DkgSession.start(paramsFor(this.init, this.options, attempt), this.options.backend);
      this.sessionValue.onBlock(block);
    }
  }

  /** Height of the last block seen (for logs). */
  get lastBlock(): BlockInfo {
    return this.block;
  }

  snapshot(): Uint8Array {
    const session = this.sessionValue.snapshot();
    return new Writer(session.length + 8).u8(SNAPSHOT_VERSION).bytes(session).finish();
  }
}

/** DKG parameters of attempt `attempt` of the bootstrap session (epoch 0) for this cluster. */
export function paramsFor(init: ModuleInit, options: ServiceKeysOptions, attempt: number): DkgParams {
  return {
    chainId: init.chainId,
    epoch: 0,
    attempt,
    committee: init.committee,
    threshold: init.f,
    complaintWindowMs: options.complaintWindowMs ?? 5_000,
    dealingWindowMs: options.dealingWindowMs ?? 60_000,
  };
}

function equalParams(a: DkgParams, b: DkgParams): boolean {
  return (
    a.chainId === b.chainId &&
    a.epoch === b.epoch &&
    a.attempt === b.attempt &&
    a.threshold === b.threshold &&
    a.complaintWindowMs === b.complaintWindowMs &&
    a.dealingWindowMs === b.dealingWindowMs &&
    a.committee.length === b.committee.length &&
    a.committee.every(
      (k, i) => k.length === b.committee[i]!.length && k.every((x, j) => x === b.committee[i]![j]),
    )
  );
}
