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
import type { ShareVerdict } from '../signing/frost-desk.js';
import { FrostDesk } from '../signing/frost-desk.js';
import type { FrostGroup } from '../../crypto/frost.js';
import { frostGroupFromCommitments } from '../../crypto/frost.js';
import { ED25519 } from '../../crypto/group.js';

export const SERVICE_KEYS_MODULE = 'service-keys';
const SNAPSHOT_VERSION = 1;
/** Output byte of an applied `frost.share`: its index here. */
export const SHARE_VERDICTS: readonly ShareVerdict[] = ['accepted', 'signed', 'bad-share'];

/** The FROST signing package of the DKG's certificate key. */
export function certificateGroup(result: DkgResult): FrostGroup {
  const c = result.certificate;
  return frostGroupFromCommitments(
    c.threshold,
    c.publicShares.length,
    c.commitments.map((p) => ED25519.decode(p)),
  );
}
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
  /** The FROST signing desk of the certificate key; exists once the DKG is done. */
  private deskValue: FrostDesk | undefined;

  private constructor(
    private readonly init: ModuleInit,
    private readonly options: ServiceKeysOptions,
    private sessionValue: DkgSession,
    desk?: FrostDesk,
  ) {
    this.deskValue = desk;
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
      [OP_TAGS['frost.commit'], (ctx, body) => (this.ready().applyCommit(member(ctx.member), body), none)],
      [
        OP_TAGS['frost.share'],
        (ctx, body) =>
          Uint8Array.of(SHARE_VERDICTS.indexOf(this.ready().applyShare(member(ctx.member), body))),
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
        const result = session.result();
        const desk = r.optional((rr) => {
          if (result === undefined)
            throw new OmegaError('INVALID_ENCODING', 'a FROST desk before the DKG is done');
          return FrostDesk.restore(certificateGroup(result), rr);
        });
        r.end();
        if (result !== undefined && desk === undefined) {
          throw new OmegaError('INVALID_ENCODING', 'service-keys snapshot lacks the FROST desk');
        }
        const expected = paramsFor(init, options, session.params.attempt);
        if (!equalParams(session.params, expected)) {
          throw new OmegaError(
            'INVALID_ENCODING',
            'service-keys snapshot is for another committee or settings',
          );
        }
        return new ServiceKeysModule(init, options, session, desk);
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

  /** The FROST desk of the certificate key, once the DKG is done. */
  get desk(): FrostDesk | undefined {
    return this.deskValue;
  }

  /** Asks for a FROST signature with the certificate key (the registry's certificates and CRLs). */
  requestCertificateSignature(purpose: string, message: Uint8Array): number {
    return this.ready().request(purpose, message);
  }

  beginBlock(block: BlockInfo): void {
    this.sessionValue.onBlock(block);
    if (this.sessionValue.phase === 'aborted') {
      const attempt = this.sessionValue.params.attempt + 1;
      this.sessionValue = DkgSession.start(paramsFor(this.init, this.options, attempt), this.options.backend);
      this.sessionValue.onBlock(block);
    }
    const result = this.sessionValue.result();
    if (result !== undefined && this.deskValue === undefined) {
      this.deskValue = new FrostDesk(certificateGroup(result));
    }
    this.deskValue?.beginBlock(block.timeMs);
  }

  snapshot(): Uint8Array {
    const session = this.sessionValue.snapshot();
    const w = new Writer(session.length + 1024).u8(SNAPSHOT_VERSION).bytes(session);
    w.optional(this.deskValue, (ww, desk) => desk.snapshot(ww));
    return w.finish();
  }

  private ready(): FrostDesk {
    if (this.deskValue === undefined) {
      throw new OmegaError('SERVICE_KEYS_NOT_READY', 'the certificate key does not exist yet');
    }
    return this.deskValue;
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
