/**
 * The replica's side of the bootstrap DKG (docs/service-keys.md): after every applied block it looks at
 * the replicated DKG session (src/core/service-keys) and posts this replica's transactions — its epoch
 * key, its deal, its complaints — as ordinary envelopes signed with its identity key, into its own
 * mempool. When the session is done it derives its three key shares from the transcript and its epoch
 * key, in memory only.
 *
 * Secrets: the epoch secret key is the only DKG secret at rest, sealed (storage `putSecret`) *before* its
 * public key is posted, so a crash can never leave a posted key whose secret is lost. Shares are never
 * stored: a restarted replica recomputes them from the log with that key (issue 6, "restart without
 * transfer of secrets"). Epoch keys of aborted attempts are erased once a session is done.
 *
 * Critical mass (Scribe §3.2): the epoch key is posted only while this replica is connected to every
 * other member, and the session deals only once all n epoch keys are in the log.
 */
import { RISTRETTO255 } from '../../crypto/group.js';
import { toHex } from '../../crypto/bytes.js';
import type { RandomSource } from '../../crypto/rand.js';
import type { EpochKeyPair } from '../../crypto/share-encryption.js';
import { generateEpochKey } from '../../crypto/share-encryption.js';
import { shareIndex } from '../../crypto/field.js';
import type { OperationName } from '../../core/machine/index.js';
import type { OwnRequests } from './own-requests.js';
import type { ServiceKeys, ServiceKeysModule } from '../../core/service-keys/module.js';
import type { DkgPhase, DkgShares } from '../../core/sessions/dkg/index.js';
import {
  complaintsFor,
  deriveShares,
  makeDealBody,
  makeEpochKeyBody,
} from '../../core/sessions/dkg/index.js';
import { isOmegaError } from '../../errors.js';
import type { Storage } from '../storage/types.js';
import type { ServiceKeySource, ServiceSigningKey } from './service-key.js';

/** Sealed-secret name prefix of DKG epoch keys: `dkg/<session id hex>/epoch-key`. */
const EPOCH_KEY_PREFIX = 'dkg/';
const EPOCH_KEY_SUFFIX = '/epoch-key';

export interface DkgDriverDeps {
  readonly index: number;
  readonly storage: Pick<Storage, 'putSecret' | 'getSecret' | 'deleteSecret' | 'secretNames'>;
  /** The machine's service-keys module (replicated state). */
  readonly module: () => ServiceKeysModule;
  /** Posts this replica's own transactions. */
  readonly own: OwnRequests;
  /** Whether this replica is connected to every other member (critical mass). */
  readonly allConnected: () => boolean;
  readonly random: RandomSource;
  readonly log: {
    info(message: string, fields?: Record<string, unknown>): void;
    warn(message: string, fields?: Record<string, unknown>): void;
    error(message: string, fields?: Record<string, unknown>): void;
  };
}

/** A public summary of the DKG for status and the API. */
export interface DkgProgress {
  readonly phase: DkgPhase;
  readonly attempt: number;
  readonly sessionId: string;
  /** Members whose epoch key is in the log. */
  readonly epochKeys: number;
  readonly candidates: readonly number[];
  readonly disqualified: readonly { readonly dealer: number; readonly reason: string }[];
  readonly flagged: readonly { readonly member: number; readonly reason: string }[];
  /** Whether this replica holds its shares (derived and checked against the public shares). */
  readonly holdsShares: boolean;
}

export class DkgDriver implements ServiceKeySource {
  private sharesValue: { readonly sessionId: string; readonly shares: DkgShares } | undefined;
  private announced = false;

  constructor(private readonly deps: DkgDriverDeps) {}

  /** Called at start (after the machine is rebuilt) and after every applied block. Never throws for bad peers. */
  step(): void {
    const module = this.deps.module();
    const session = module.session;
    const sid = toHex(session.sessionId);
    const me = this.deps.index;
    switch (session.phase) {
      case 'waiting-for-members': {
        if (session.epochKeys()[me - 1] !== undefined || !this.deps.allConnected()) return;
        const key = this.epochKey(sid, true)!;
        this.post(sid, 'epoch-key', 'dkg.epoch-key', () => makeEpochKeyBody(session, key));
        return;
      }
      case 'dealing': {
        if (session.candidates().includes(me)) return;
        if (session.epochKeys()[me - 1] === undefined) return; // a member that missed the bootstrap
        this.post(sid, 'deal', 'dkg.deal', () => makeDealBody(session, me, this.deps.random));
        return;
      }
      case 'complaints': {
        const key = this.epochKey(sid, false);
        if (key === undefined) return;
        const bodies = complaintsFor(session, me, key.secretKey);
        bodies.forEach((body, k) => this.post(sid, `complaint-${k}`, 'dkg.complaint', () => body));
        return;
      }
      case 'done':
        this.onDone(module, sid);
        return;
      case 'aborted':
        return;
    }
  }

  /** The shares of the current service keys, if this replica holds them. Secret: never log or send. */
  shares(): DkgShares | undefined {
    return this.sharesValue?.shares;
  }

  /** ServiceKeySource: the signing key for threshold-signed replies, once the DKG is done. */
  current(): ServiceSigningKey | undefined {
    const keys = this.deps.module().keys();
    if (keys === undefined) return undefined;
    const shares =
      this.sharesValue?.sessionId === toHex(keys.sessionId) ? this.sharesValue.shares : undefined;
    return {
      epoch: keys.epoch,
      key: keys.result.signing,
      share: shares === undefined ? undefined : { index: shareIndex(this.deps.index), value: shares.signing },
    };
  }

  progress(): DkgProgress {
    const session = this.deps.module().session;
    return {
      phase: session.phase,
      attempt: session.params.attempt,
      sessionId: toHex(session.sessionId),
      epochKeys: session.epochKeys().filter((k) => k !== undefined).length,
      candidates: session.candidates(),
      disqualified: session.disqualified(),
      flagged: session.flagged(),
      holdsShares: this.sharesValue !== undefined,
    };
  }

  private onDone(module: ServiceKeysModule, sid: string): void {
    const keys: ServiceKeys | undefined = module.keys();
    if (keys === undefined || this.sharesValue?.sessionId === sid) return;
    const key = this.epochKey(sid, false);
    if (key === undefined) {
      // This replica's epoch key is gone (disk lost): it cannot recompute its shares. Share recovery from
      // t+1 others is the proactive-security issue's job; the replica still orders and serves.
      if (!this.announced)
        this.deps.log.error('DKG done but this replica has no epoch key for it', { session: sid });
      this.announced = true;
      return;
    }
    try {
      this.sharesValue = {
        sessionId: sid,
        shares: deriveShares(module.session, this.deps.index, key.secretKey),
      };
    } catch (e) {
      if (!isOmegaError(e)) throw e;
      // Only possible if this replica's share from some QUAL dealer is bad and it failed to complain in time.
      this.deps.log.error('DKG done but this replica could not derive valid shares', {
        session: sid,
        code: e.code,
      });
      return;
    }
    // Epoch keys of aborted attempts protect nothing any more: erase them (forward secrecy, §2.3).
    for (const name of this.deps.storage.secretNames()) {
      if (name.startsWith(EPOCH_KEY_PREFIX) && name.endsWith(EPOCH_KEY_SUFFIX) && name !== secretName(sid)) {
        this.deps.storage.deleteSecret(name);
      }
    }
    this.deps.log.info('service keys ready; this replica holds its shares', {
      session: sid,
      qual: keys.result.qual,
    });
  }

  /** This replica's epoch key for a session: loaded from the sealed store, or created and sealed first. */
  private epochKey(sid: string, create: boolean): EpochKeyPair | undefined {
    const stored = this.deps.storage.getSecret(secretName(sid));
    if (stored !== undefined) {
      const secretKey = RISTRETTO255.field.decode(stored);
      return { secretKey, publicKey: RISTRETTO255.encode(RISTRETTO255.mulBase(secretKey)) };
    }
    if (!create) return undefined;
    const key = generateEpochKey(this.deps.random);
    // Sealed and durable before the public key can leave the process.
    this.deps.storage.putSecret(secretName(sid), RISTRETTO255.field.encode(key.secretKey));
    return key;
  }

  /** Posts one of this replica's DKG transactions unless an earlier post of it may still be decided. */
  private post(sid: string, kind: string, operation: OperationName, body: () => Uint8Array): void {
    if (this.deps.own.post(`dkg/${sid}/${kind}`, operation, body)) {
      this.deps.log.info('DKG transaction posted', { session: sid, kind });
    }
  }
}

function secretName(sid: string): string {
  return `${EPOCH_KEY_PREFIX}${sid}${EPOCH_KEY_SUFFIX}`;
}
