/**
 * The replica process (docs/replica.md): glues the pure consensus core (src/core/consensus) and state
 * machine (src/core/machine) to SQLite storage, the TLS mesh and the HTTP API.
 *
 * Everything that changes the consensus state runs on one synchronous event queue (invariant 1 of
 * docs/replica.md): storage calls are synchronous and durable on return, so executing the effects of one
 * `step` in list order gives the effect contract of docs/consensus.md §3 directly — persist is fsync'd
 * before the broadcast that follows it, and decide is durable and applied before the next persist.
 */
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../api/server.js';
import { ReplicaMetrics } from '../../api/metrics.js';
import { memoizedEd25519Verify, nodeEd25519Signer, nodeEd25519Verify } from '../../api/ed25519.js';
import type {
  ClusterInfo,
  ReplicaNode,
  ReplicaStatus,
  ServiceKeysInfo,
  SignedReply,
} from '../../api/node.js';
import { Reader, Writer } from '../../codec.js';
import {
  CONSENSUS_LIMITS,
  DEFAULT_TIMEOUTS,
  blockHash,
  decodeMessage,
  decodeWal,
  encodeBlock,
  encodeMessage,
  encodeWal,
  fixedSchedule,
  genesisTip,
  makeCommittee,
  readBlock,
  readCertificate,
  restoreState,
  step,
  writeCertificate,
  type Block,
  type Certificate,
  type ConsensusConfig,
  type ConsensusEvent,
  type ConsensusMessage,
  type ConsensusState,
  type DecidedBlock,
  type Effect,
  type PrefixTip,
  type Timeout,
  type TimeoutConfig,
} from '../../core/consensus/index.js';
import {
  ReplicatedMachine,
  checkEnvelope,
  encodeResult,
  envelopeHash,
  replySignBytes,
  type RequestResult,
} from '../../core/machine/index.js';
import { toHex } from '../../crypto/bytes.js';
import { OmegaError, isOmegaError } from '../../errors.js';
import type { ClusterConfig, LoadedReplicaConfig } from '../config.js';
import { loadStoredIdentity, type ReplicaIdentity } from '../identity.js';
import { SqliteStorage } from '../storage/sqlite.js';
import { systemRandom } from '../storage/seal.js';
import type { BlsBackend } from '../../crypto/bls/backend.js';
import { loadBlsBackend } from '../../crypto/bls/load.js';
import { SERVICE_KEYS_MODULE, ServiceKeysModule, keyFingerprint } from '../../core/service-keys/module.js';
import { blsBackendPreferenceFromEnv } from '../crypto-pool.js';
import { DkgDriver, type DkgProgress } from './service-keys.js';
import { FrostDriver } from './frost-driver.js';
import { OwnRequests } from './own-requests.js';
import { REGISTRY_MODULE, RegistryModule } from '../../core/registry/module.js';
import { nodeKeySignatureVerify } from '../registry/verify.js';

/** The registry module of a cluster: its genesis administrators and policy come from cluster.json. */
export function registryModuleFor(cluster: ClusterConfig) {
  return RegistryModule.factory({
    config: { verifyKeySignature: nodeKeySignatureVerify, verifyEd25519: nodeEd25519Verify },
    genesis: {
      admins: cluster.registry.admins,
      policy: {
        adminThreshold: cluster.registry.adminThreshold,
        certLifetimeMs: cluster.registry.certLifetimeMs,
        crlLifetimeMs: cluster.registry.crlLifetimeMs,
      },
    },
  });
}
import { MeshTransport, type MeshLimits } from '../transport/mesh.js';
import { GossipBatcher, MEMPOOL_CHANNEL, decodeGossip } from './mempool.js';
import type { ThresholdBlsService } from '../../crypto/bls/service.js';
import { createBlsPool } from '../crypto-pool.js';
import {
  REPLIES_CHANNEL,
  REPLIES_LIMITS,
  ReplyCertifier,
  lazyBlsService,
  type ReplyTestHooks,
} from './replies.js';
import type { ServiceKeySource } from './service-key.js';

/** Mesh channel of proposals, votes and vote bundles. */
export const CONSENSUS_CHANNEL = 1;
/** Mesh channel of block sync requests and responses. */
export const SYNC_CHANNEL = 2;

/** Structured log sink; fields never carry secrets. */
export interface ReplicaLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Options of {@link startReplica}; every field has a production default. */
export interface StartReplicaOptions {
  /** Default: JSON lines on stderr. */
  readonly logger?: ReplicaLogger;
  /** Milliseconds per consensus tick (timeouts are in ticks). Default 20. */
  readonly tickMs?: number;
  /** Consensus timeouts in ticks. Default DEFAULT_TIMEOUTS. Must be the same on every replica only for liveness tuning. */
  readonly timeouts?: TimeoutConfig;
  /** Write a machine snapshot every this many heights. Default 100. */
  readonly snapshotEvery?: number;
  /** How long submit() waits for a decision before DECISION_TIMEOUT. Default 10,000 ms. */
  readonly decisionTimeoutMs?: number;
  /** Most admitted, undecided envelopes. Default 10,000. */
  readonly mempoolMax?: number;
  /** Recently decided replies kept for re-sent envelopes. Default 10,000. */
  readonly recentRepliesMax?: number;
  /** Overrides of the mesh limits (tests shorten reconnect backoff). */
  readonly meshLimits?: Partial<MeshLimits>;
  /** Log HTTP requests (fastify logger). Default false. */
  readonly apiLog?: boolean;
  /** Wall clock for block times; default Date.now (injectable for tests). */
  readonly now?: () => number;
  /** Fault injection for tests only: this replica misbehaves as a FROST signer. */
  readonly testFrostFault?: 'withhold' | 'corrupt';
  /**
   * The service signing key (docs/replies.md); default the replica's bootstrap DKG. Once a key exists,
   * every non-empty block's results are threshold-signed and replies carry a certificate; before,
   * replies are Ed25519-signed only. Tests inject a dealt key here.
   */
  readonly serviceKeys?: ServiceKeySource;
  /** Threshold BLS for reply signing; default a one-worker pool started with the replica (and closed with it). */
  readonly bls?: ThresholdBlsService;
  /** How long submit() waits for the block signature before answering uncertified. Default 2,000 ms. */
  readonly certificateWaitMs?: number;
  /** Test hooks of the reply certifier (misbehaving partials). Never set in production. */
  readonly replyHooks?: ReplyTestHooks;
}

/** A started replica. */
export interface RunningReplica {
  readonly index: number;
  /** The URL the API is actually bound to (e.g. http://127.0.0.1:7001). */
  readonly apiUrl: string;
  /** The port the mesh listener is bound to. */
  readonly meshPort: number;
  /** The ReplicaNode the API serves (for in-process use and the contract suite). */
  readonly node: ReplicaNode;
  status(): ReplicaStatus;
  /** Graceful stop: the API, then the mesh and timers, then storage. Idempotent. */
  close(): Promise<void>;
}

/** Grace period for in-flight HTTP replies when the replica closes. */
const CLOSE_GRACE_MS = 500;

const DEFAULTS = {
  tickMs: 20,
  snapshotEvery: 100,
  decisionTimeoutMs: 10_000,
  mempoolMax: 10_000,
  recentRepliesMax: 10_000,
  /** Bytes of blocks served in one sync response: stays under the core's maxMessageBytes. */
  syncResponseBytesMax: CONSENSUS_LIMITS.maxMessageBytes - 64 * 1024,
  /** Least time between two sync responses to one peer. */
  syncServeIntervalMs: 50,
  /** Synced blocks buffered ahead of the current height. */
  syncBufferMax: 2 * CONSENSUS_LIMITS.maxSyncBlocks,
  /** Events queued before a message from the network is dropped (the core rebroadcasts). */
  eventQueueMax: 100_000,
} as const;

/** The default logger: one JSON object per line on stderr. */
export function jsonLogger(name: string): ReplicaLogger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) => {
    process.stderr.write(
      `${JSON.stringify({ ...fields, t: new Date().toISOString(), level, name, message })}\n`,
    );
  };
  return {
    info: (m, f) => line('info', m, f),
    warn: (m, f) => line('warn', m, f),
    error: (m, f) => line('error', m, f),
  };
}

export function encodeCertificate(c: Certificate): Uint8Array {
  const w = new Writer(64 + c.signatures.length * 66);
  writeCertificate(w, c);
  return w.finish();
}

export function decodeStoredBlock(block: Uint8Array, certificate: Uint8Array): DecidedBlock {
  const rb = new Reader(block);
  const b = readBlock(rb);
  rb.end();
  const rc = new Reader(certificate);
  const c = readCertificate(rc);
  rc.end();
  return { block: b, certificate: c };
}

interface Waiter {
  resolve(reply: SignedReply): void;
  reject(error: OmegaError): void;
  timer: NodeJS.Timeout;
}

interface PendingEnvelope {
  readonly bytes: Uint8Array;
  readonly notAfterMs: number;
  readonly waiters: Set<Waiter>;
}

/**
 * Starts a replica from its loaded configuration: opens the store, unseals the identity, rebuilds the
 * machine (latest snapshot + replay of later blocks), restores consensus from the block-store tip and the
 * WAL record, then starts the mesh, the ticker and the API.
 */
export async function startReplica(
  config: LoadedReplicaConfig,
  options: StartReplicaOptions = {},
): Promise<RunningReplica> {
  const storage = await SqliteStorage.open({
    path: config.storePath,
    operatorSecret: { kind: 'keyFile', key: config.operatorKey },
  });
  let replica: Replica;
  try {
    const identity = loadStoredIdentity(storage);
    if (identity === undefined) throw new OmegaError('INVALID_CONFIG', `no identity in ${config.storePath}`);
    // The DKG checks G2 points on the main loop; the fast backend by default (OMEGA_BLS_BACKEND overrides).
    const bls = await loadBlsBackend({ prefer: blsBackendPreferenceFromEnv(process.env) });
    replica = new Replica(config, options, storage, identity, bls);
  } catch (e) {
    storage.close();
    throw e;
  }
  try {
    return await replica.start();
  } catch (e) {
    await replica.close();
    throw e;
  }
}

class Replica implements ReplicaNode {
  private readonly log: ReplicaLogger;
  private readonly index: number;
  private readonly chainId: string;
  private readonly tickMs: number;
  private readonly now: () => number;
  private readonly signReply: (message: Uint8Array) => Uint8Array;
  // No prom-client process collectors (process-wide and unstoppable, docs/api.md "Metrics"); the GC
  // observer behind heap_after_major_gc is this replica's own and is disconnected in close().
  private readonly metrics = new ReplicaMetrics({ processMetrics: false, heapAfterGc: true });
  /**
   * Envelope signatures (API, mempool, gossip, apply) share one memo of successful checks, so a request
   * costs one native verification per replica instead of up to four (src/api/ed25519.ts).
   */
  private readonly verifyEnvelope = memoizedEd25519Verify();
  private readonly mesh: MeshTransport;
  private readonly indexByKey = new Map<string, number>();
  private machine: ReplicatedMachine;
  private state: ConsensusState;
  private readonly queue: ConsensusEvent[] = [];
  private draining = false;
  private tick = 0;
  private ticker: NodeJS.Timeout | undefined;
  private timers: { at: number; timeout: Timeout }[] = [];
  private readonly mempool = new Map<string, PendingEnvelope>();
  /** Forwards client-admitted envelopes to peers (mempool.ts). */
  private readonly gossip: GossipBatcher;
  /** Envelope hash → result bytes of recent decisions (signed when served, so unread ones cost nothing). */
  private readonly recent = new Map<string, Uint8Array>();
  private readonly syncBuffer = new Map<number, DecidedBlock>();
  /** The latest `persist` record not yet written (execute: written before the next send or decide). */
  private pendingWal: Parameters<typeof encodeWal>[0] | undefined;
  private readonly syncServedMs = new Map<number, number>();
  /** A get-value held back while the mempool is empty, answered by the first admission or the deadline. */
  private pendingValue:
    | { readonly height: number; readonly round: number; readonly tip: PrefixTip; readonly deadline: number }
    | undefined;
  private readonly emptyBlockDelayTicks: number;
  /**
   * The highest tip each peer's messages claim (height − 1 of its proposals and votes). The mesh
   * authenticates the sender, so f Byzantine peers can only inflate their own entries; {@link lag} takes
   * the (f+1)-th largest claim, which some correct peer has reached.
   */
  private readonly peerTips = new Map<number, number>();
  private heightStartedMs: number;
  private lastDecisionTimeMs: number | null = null;
  private api: FastifyInstance | undefined;
  /** Threshold-signed replies (docs/replies.md); undefined without a service key source. */
  private replies: ReplyCertifier | undefined;
  private ownedBls: ThresholdBlsService | undefined;
  private readonly dkg: DkgDriver;
  private readonly frost: FrostDriver;
  private closed = false;
  private failed: unknown;

  constructor(
    private readonly config: LoadedReplicaConfig,
    private readonly options: StartReplicaOptions,
    private readonly storage: SqliteStorage,
    identity: ReplicaIdentity,
    bls: BlsBackend,
  ) {
    const cluster = config.cluster;
    this.index = config.replica.index;
    this.chainId = cluster.chainId;
    this.log = options.logger ?? jsonLogger(`replica-${this.index}`);
    this.tickMs = options.tickMs ?? DEFAULTS.tickMs;
    const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
    // Half the round-0 propose timeout: the others still wait for this proposal, so holding it back
    // changes no round; an empty block then keeps heights (and proposer rotation) moving.
    this.emptyBlockDelayTicks = Math.max(1, Math.floor(timeouts.propose / 2));
    this.now = options.now ?? (() => Date.now());
    const me = cluster.replicas[this.index - 1];
    if (me === undefined || toHex(me.publicKey) !== toHex(identity.publicKey)) {
      throw new OmegaError(
        'INVALID_CONFIG',
        `the stored identity is not replica ${this.index} of the cluster`,
      );
    }
    for (const r of cluster.replicas) this.indexByKey.set(toHex(r.publicKey), r.index);
    const sign = nodeEd25519Signer(identity.seed);
    this.signReply = sign;
    const consensusConfig: ConsensusConfig = {
      chainId: cluster.chainId,
      publicKey: identity.publicKey,
      sign,
      verify: nodeEd25519Verify,
      timeouts,
      genesisTimeMs: cluster.genesisTimeMs,
    };
    const committee = makeCommittee(cluster.replicas.map((r) => ({ publicKey: r.publicKey, power: 1 })));

    // Rebuild the machine: latest snapshot, then every later block in order (invariant 4).
    const machineConfig = {
      chainId: cluster.chainId,
      verify: this.verifyEnvelope,
      committee: cluster.replicas.map((r) => r.publicKey),
      f: cluster.f,
      modules: [
        // DKG windows are part of the transition function: the defaults, the same on every replica.
        ServiceKeysModule.factory({ backend: bls }),
        // After service-keys: its beginBlock sees the desk's finished signatures of this block.
        registryModuleFor(cluster),
      ],
    };
    const snap = storage.latestSnapshot();
    this.machine =
      snap === undefined
        ? ReplicatedMachine.genesis(machineConfig)
        : ReplicatedMachine.restore(machineConfig, snap.snapshot);
    let tip: PrefixTip = genesisTip(consensusConfig);
    const last = storage.lastHeight();
    for (let h = this.machine.height + 1; h <= last;) {
      const batch = storage.getBlocks(h, 256, 64 << 20);
      if (batch.length === 0) throw new OmegaError('STORAGE_CORRUPT', `block ${h} missing from the store`);
      for (const stored of batch) {
        const { block } = decodeStoredBlock(stored.block, stored.certificate);
        // The replayed results refill the recent-replies cache: a client re-sending an envelope decided
        // just before a crash still gets its original answer.
        const results = this.machine.apply({
          height: block.header.height,
          timeMs: block.header.timeMs,
          requests: block.requests,
        });
        for (const result of results) this.reply(result);
        h = stored.height + 1;
      }
    }
    if (last > 0) {
      const stored = storage.getBlock(last);
      if (stored === undefined) throw new OmegaError('STORAGE_CORRUPT', `tip block ${last} missing`);
      const { block } = decodeStoredBlock(stored.block, stored.certificate);
      tip = { height: last, hash: blockHash(block), timeMs: block.header.timeMs };
      this.lastDecisionTimeMs = block.header.timeMs;
    }
    const walBytes = storage.getConsensusState();
    // restoreState never lets this replica sign below its last-signed key: no double signing after restart.
    this.state = restoreState(
      consensusConfig,
      fixedSchedule(committee),
      tip,
      walBytes === undefined ? undefined : decodeWal(walBytes),
    );
    this.heightStartedMs = this.now();

    this.mesh = new MeshTransport({
      chainId: cluster.chainId,
      self: { index: this.index, identity },
      committee: cluster.replicas.map((r) => ({ index: r.index, publicKey: r.publicKey })),
      resolve: (i) => cluster.replicas[i - 1]?.mesh,
      listenHost: config.replica.listen.mesh.host,
      listenPort: config.replica.listen.mesh.port,
      ...(options.meshLimits ? { limits: options.meshLimits } : {}),
      events: {
        message: (from, channel, body) => this.onMeshMessage(from, channel, body),
        peerUp: (peer) => this.log.info('peer up', { peer }),
        peerDown: (peer, reason) => this.log.info('peer down', { peer, code: reason.code }),
        misbehavior: (r) =>
          this.log.warn('peer misbehaviour', { peer: r.peer, code: r.code, detail: r.message }),
      },
    });
    this.gossip = new GossipBatcher((body) => this.mesh.broadcast(MEMPOOL_CHANNEL, body));
    const own = new OwnRequests({
      chainId: this.chainId,
      identityPublicKey: identity.publicKey,
      sign,
      admit: (envelope) => this.admitOwn(envelope),
      now: this.now,
      random: systemRandom,
    });
    this.dkg = new DkgDriver({
      index: this.index,
      storage,
      module: () => this.serviceKeysModule(),
      own,
      allConnected: () => this.mesh.connectedPeers().length === cluster.replicas.length - 1,
      random: systemRandom,
      log: this.log,
    });
    this.frost = new FrostDriver({
      index: this.index,
      storage,
      module: () => this.serviceKeysModule(),
      shares: () => this.dkg.shares(),
      own,
      random: systemRandom,
      log: this.log,
      ...(options.testFrostFault === undefined ? {} : { fault: options.testFrostFault }),
    });
  }

  private serviceKeysModule(): ServiceKeysModule {
    const m = this.machine.module<ServiceKeysModule>(SERVICE_KEYS_MODULE);
    if (m === undefined) throw new OmegaError('INVALID_CONFIG', 'the machine has no service-keys module');
    return m;
  }

  /** The DKG's progress and the service keys (API `GET /v1/service-keys`, `omega status`). */
  serviceKeys(): ServiceKeysInfo {
    const p: DkgProgress = this.dkg.progress();
    const keys = this.serviceKeysModule().keys();
    const view = (purpose: string, publicKey: Uint8Array) => ({
      publicKey,
      fingerprint: keyFingerprint(purpose, publicKey),
    });
    return {
      ...p,
      epoch: this.serviceKeysModule().session.params.epoch,
      threshold: this.config.cluster.f,
      frost: this.frostProgress(),
      keys:
        keys === undefined
          ? null
          : {
              qual: keys.result.qual,
              signing: view('signing', keys.result.signing.publicKey),
              ibe: view('ibe', keys.result.ibe.publicKey),
              certificate: view('certificate', keys.result.certificate.publicKey),
            },
    };
  }

  registryPki(): { caCertificate: Uint8Array | null; crl: Uint8Array | null } {
    const registry = this.machine.module<RegistryModule>(REGISTRY_MODULE)?.registry;
    return { caCertificate: registry?.caCertificate() ?? null, crl: registry?.latestCrl() ?? null };
  }

  private readonly committedListeners = new Set<() => void>();

  onCommitted(listener: () => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  registryAudit(fromSeq: number, limit: number): readonly Uint8Array[] {
    return this.machine.module<RegistryModule>(REGISTRY_MODULE)?.registry.auditEntries(fromSeq, limit) ?? [];
  }

  private frostProgress(): ServiceKeysInfo['frost'] {
    const desk = this.serviceKeysModule().desk;
    if (desk === undefined) return null;
    return {
      queued: this.config.cluster.replicas.map((r) => desk.queued(r.index)),
      openJobs: desk.openJobs().length,
      excluded: desk.recentExclusions(),
    };
  }

  /** Admits one of this replica's own envelopes (DKG transactions) into its mempool, with no waiter. */
  private admitOwn(envelope: Uint8Array): void {
    const key = toHex(envelopeHash(envelope));
    if (this.mempool.has(key) || this.recent.has(key)) return;
    const notAfterMs = checkEnvelope(envelope, {
      chainId: this.chainId,
      verify: this.verifyEnvelope,
    }).notAfterMs;
    this.mempool.set(key, { bytes: envelope, notAfterMs, waiters: new Set() });
    this.answerPendingValue();
  }

  async start(): Promise<RunningReplica> {
    {
      // The service signing key comes from the bootstrap DKG (this.dkg) unless a test injects one. The
      // worker pool warms up in the background (starting a worker and loading mcl-wasm takes seconds on
      // a loaded machine): the first blocks after the DKG must not wait for it, or their replies would
      // miss the certificate wait of submit().
      let bls = this.options.bls;
      if (bls === undefined) {
        const pool = lazyBlsService(() => createBlsPool({ size: 1 }));
        pool.warmUp();
        bls = this.ownedBls = pool;
      }
      this.replies = new ReplyCertifier({
        index: this.index,
        chainId: this.chainId,
        keys: this.options.serviceKeys ?? this.dkg,
        bls,
        send: (to, body) => this.sendReplies(to, body),
        broadcast: (body) => void this.mesh.broadcast(REPLIES_CHANNEL, body),
        storage: this.storage,
        log: this.log,
        ...(this.options.replyHooks ? { hooks: this.options.replyHooks } : {}),
      });
    }
    const meshPort = await this.mesh.start();
    this.ticker = setInterval(() => this.onTick(), this.tickMs);
    this.enqueue({ type: 'start' });
    this.dkg.step();
    this.frost.step();
    this.api = await createApiServer(this, {
      metrics: this.metrics,
      verify: this.verifyEnvelope,
      logger: this.options.apiLog === true ? { level: 'info' } : false,
    });
    const listen = this.config.replica.listen.api;
    const apiUrl = await this.api.listen({ host: listen.host, port: listen.port });
    this.log.info('replica started', { height: this.machine.height, apiUrl, meshPort });
    return {
      index: this.index,
      apiUrl,
      meshPort,
      node: this,
      status: () => this.status(),
      close: () => this.close(),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gossip.close();
    if (this.ticker !== undefined) clearInterval(this.ticker);
    // Answer every waiting submission first, so in-flight HTTP requests complete before the API closes.
    for (const p of this.mempool.values()) {
      for (const w of p.waiters) {
        clearTimeout(w.timer);
        w.reject(new OmegaError('DECISION_TIMEOUT', 'the replica is shutting down'));
      }
    }
    this.mempool.clear();
    this.replies?.close();
    this.metrics.close();
    if (this.api !== undefined) {
      const api = this.api;
      // Keep-alive client connections would hold close() open; give in-flight replies a grace period.
      const force = setTimeout(() => api.server.closeAllConnections(), CLOSE_GRACE_MS);
      api.server.closeIdleConnections();
      await api.close();
      clearTimeout(force);
    }
    await this.mesh.close();
    // A graceful stop keeps the newest consensus record (a crash would lose it, which is also safe).
    if (this.failed === undefined) this.flushWal();
    await this.ownedBls?.close();
    this.storage.close();
  }

  // ── ReplicaNode ───────────────────────────────────────────────────────────────────────────────────

  info(): ClusterInfo {
    const c = this.config.cluster;
    return {
      chainId: c.chainId,
      replicaIndex: this.index,
      n: c.replicas.length,
      f: c.f,
      replicas: c.replicas.map((r) => ({ index: r.index, publicKey: r.publicKey })),
    };
  }

  status(): ReplicaStatus {
    const peers = this.config.cluster.replicas
      .filter((r) => r.index !== this.index)
      .map((r) => ({ index: r.index, connected: !this.closed && this.mesh.stats(r.index).connected }));
    return {
      height: this.machine.height,
      round: this.state.round,
      peers,
      lastDecisionTimeMs: this.lastDecisionTimeMs,
      lagHeights: this.lag(),
      queues: {
        mempool: this.mempool.size,
        events: this.queue.length,
        syncBuffer: this.syncBuffer.size,
        // Blocks signed or awaiting partials but not yet certified (docs/replies.md).
        ...(this.replies === undefined ? {} : { certifying: this.replies.stats().pending }),
      },
    };
  }

  /** Heights behind the (f+1)-th highest tip claimed by peers (0 when not behind). */
  private lag(): number {
    const tips = [...this.peerTips.values()].sort((a, b) => b - a);
    const certain = tips[this.config.cluster.f] ?? 0;
    return Math.max(0, certain - this.machine.height);
  }

  isReady(): boolean {
    if (this.closed || this.failed !== undefined) return false;
    const connected = this.mesh.connectedPeers().length;
    // Self plus 2f peers is a quorum; more than a couple of heights behind means catching up first.
    return connected >= 2 * this.config.cluster.f && this.lag() <= 1;
  }

  submit(envelope: Uint8Array): Promise<SignedReply> {
    if (this.closed || this.failed !== undefined) {
      return Promise.reject(new OmegaError('NOT_READY', 'the replica is not running'));
    }
    // The hash names the exact bytes: an envelope already admitted or decided here passed checkEnvelope
    // then, so a copy (another client path, or gossip that arrived first) skips the signature check.
    const key = toHex(envelopeHash(envelope));
    const done = this.recent.get(key);
    if (done !== undefined) return this.answer(done);
    let pending = this.mempool.get(key);
    if (pending === undefined) {
      let notAfterMs: number;
      try {
        notAfterMs = checkEnvelope(envelope, {
          chainId: this.chainId,
          verify: this.verifyEnvelope,
        }).notAfterMs;
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      if (this.mempool.size >= (this.options.mempoolMax ?? DEFAULTS.mempoolMax)) {
        return Promise.reject(new OmegaError('OVERLOADED', 'the mempool is full'));
      }
      pending = { bytes: Uint8Array.from(envelope), notAfterMs, waiters: new Set() };
      this.mempool.set(key, pending);
      this.gossip.add(pending.bytes);
      this.answerPendingValue();
    }
    const entry = pending;
    return new Promise<SignedReply>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          entry.waiters.delete(waiter);
          reject(
            new OmegaError('DECISION_TIMEOUT', 'no decision within the deadline; the outcome is unknown'),
          );
        }, this.options.decisionTimeoutMs ?? DEFAULTS.decisionTimeoutMs),
      };
      entry.waiters.add(waiter);
    });
  }

  // ── the event queue (one consumer) ────────────────────────────────────────────────────────────────

  private enqueue(event: ConsensusEvent): void {
    if (this.closed || this.failed !== undefined) return;
    if (this.queue.length >= DEFAULTS.eventQueueMax && event.type === 'message') return;
    this.queue.push(event);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let ev = this.queue.shift(); ev !== undefined; ev = this.queue.shift()) {
        if (this.closed) break;
        this.process(ev);
      }
    } catch (e) {
      // A broken invariant or a storage failure: stop rather than continue wrong (TigerBeetle).
      this.failed = e;
      this.log.error('replica halted', { error: e instanceof Error ? e.message : String(e) });
      if (this.ticker !== undefined) clearInterval(this.ticker);
    } finally {
      this.draining = false;
    }
  }

  private process(event: ConsensusEvent): void {
    const { state, effects } = step(this.state, event);
    this.state = state;
    for (const effect of effects) this.execute(effect);
    if (event.type === 'committed') this.feedSync();
  }

  private execute(effect: Effect): void {
    // A persist only has to be durable before anything that depends on it leaves the process or is
    // decided (docs/consensus.md §3): hold it until the next send, broadcast or decide, so a run of steps
    // that persist without sending (e.g. `committed` then the proposer's `value`) costs one fsync.
    if (effect.type === 'persist') {
      this.pendingWal = effect.record;
      return;
    }
    if (effect.type === 'decide' || effect.type === 'broadcast' || effect.type === 'send') this.flushWal();
    switch (effect.type) {
      case 'decide':
        this.decide(effect.block, effect.certificate);
        return;
      case 'broadcast':
        this.mesh.broadcast(channelOf(effect.message), encodeMessage(effect.message));
        return;
      case 'send': {
        const to = this.indexByKey.get(toHex(effect.to));
        if (to !== undefined && to !== this.index) {
          try {
            this.mesh.send(to, channelOf(effect.message), encodeMessage(effect.message));
          } catch (e) {
            if (!isOmegaError(e, 'SEND_QUEUE_FULL')) throw e;
          }
        }
        return;
      }
      case 'schedule-timeout':
        this.timers.push({ at: this.tick + effect.afterTicks, timeout: effect.timeout });
        return;
      case 'get-value':
        if (this.mempool.size > 0) {
          this.pendingValue = undefined;
          this.queue.push(this.value(effect.height, effect.round, effect.tip));
        } else {
          // Nothing to propose: wait a little for a request before proposing an empty block, so an idle
          // cluster does not decide a stream of empty blocks (see emptyBlockDelayTicks).
          this.pendingValue = {
            height: effect.height,
            round: effect.round,
            tip: effect.tip,
            deadline: this.tick + this.emptyBlockDelayTicks,
          };
        }
        return;
      case 'evidence':
        this.log.warn('equivocation evidence', { kind: effect.evidence.kind });
        return;
      case 'rejected':
        this.log.warn('consensus input rejected', {
          code: effect.code,
          reason: effect.reason,
          validator: effect.validator,
        });
        return;
    }
  }

  /** Writes the held-back consensus record, if any (see execute). */
  private flushWal(): void {
    const record = this.pendingWal;
    if (record === undefined) return;
    this.pendingWal = undefined;
    this.storage.putConsensusState(encodeWal(record));
  }

  /** Decide: durable in the block store, applied to the machine, replies resolved, then `committed`. */
  private decide(block: Block, certificate: Certificate): void {
    const height = block.header.height;
    this.storage.appendBlock(height, encodeBlock(block), encodeCertificate(certificate));
    const results = this.machine.apply({ height, timeMs: block.header.timeMs, requests: block.requests });
    const every = this.options.snapshotEvery ?? DEFAULTS.snapshotEvery;
    if (height % every === 0) this.storage.putSnapshot(height, this.machine.snapshot());
    this.replies?.onBlock(height, results);
    for (const result of results) this.reply(result);
    this.dkg.step();
    this.frost.step();
    for (const listener of this.committedListeners) listener();
    const nowMs = this.now();
    this.metrics.observeDecision({
      rounds: this.state.round + 1,
      latencyMs: Math.max(0, nowMs - this.heightStartedMs),
    });
    this.heightStartedMs = nowMs;
    this.lastDecisionTimeMs = block.header.timeMs;
    this.syncBuffer.delete(height);
    this.queue.push({ type: 'committed', height });
  }

  private reply(result: RequestResult): void {
    const key = toHex(result.envelopeHash);
    // A DUPLICATE_REQUEST result for a re-proposed envelope must not replace the first, real answer.
    if (!this.recent.has(key)) {
      this.recent.set(key, encodeResult(result));
      if (this.recent.size > (this.options.recentRepliesMax ?? DEFAULTS.recentRepliesMax)) {
        this.recent.delete(this.recent.keys().next().value!);
      }
    }
    const pending = this.mempool.get(key);
    if (pending === undefined) return;
    this.mempool.delete(key);
    const first = this.answer(this.recent.get(key)!);
    for (const w of pending.waiters) {
      clearTimeout(w.timer);
      void first.then(
        (r) => w.resolve(r),
        (e: unknown) => w.reject(e instanceof OmegaError ? e : new OmegaError('INTERNAL', String(e))),
      );
    }
  }

  /** This replica's signed reply, with the block certificate when it comes within certificateWaitMs. */
  private async answer(resultBytes: Uint8Array): Promise<SignedReply> {
    const signed = this.signed(resultBytes);
    const wait = this.options.certificateWaitMs ?? REPLIES_LIMITS.certificateWaitMs;
    const certificate = await this.replies?.certificateFor(resultBytes, wait);
    return certificate === undefined ? signed : { ...signed, certificate };
  }

  private sendReplies(to: number, body: Uint8Array): void {
    try {
      this.mesh.send(to, REPLIES_CHANNEL, body);
    } catch (e) {
      // A full queue or a closed mesh loses one optimisation message, nothing else.
      if (!isOmegaError(e)) throw e;
    }
  }

  private signed(resultBytes: Uint8Array): SignedReply {
    return {
      resultBytes,
      replicaIndex: this.index,
      signature: this.signReply(replySignBytes(this.chainId, resultBytes)),
    };
  }

  /** getValue (line 18): a batch of admitted envelopes within the core's limits, and the block time. */
  private value(height: number, round: number, tip: PrefixTip): ConsensusEvent {
    const nowMs = this.now();
    const requests: Uint8Array[] = [];
    let bytes = 0;
    for (const [key, p] of this.mempool) {
      if (p.notAfterMs < tip.timeMs) {
        // Expired before the last block: it can only be rejected; answer nobody (clients see unknown).
        this.mempool.delete(key);
        continue;
      }
      if (requests.length >= CONSENSUS_LIMITS.maxBatchCount) break;
      if (bytes + p.bytes.length > CONSENSUS_LIMITS.maxBatchBytes) break;
      requests.push(p.bytes);
      bytes += p.bytes.length;
    }
    // valid(v) requires a block time strictly above the previous one (validity.ts).
    return { type: 'value', height, round, requests, timeMs: Math.max(nowMs, tip.timeMs + 1) };
  }

  private answerPendingValue(): void {
    const p = this.pendingValue;
    if (p === undefined) return;
    this.pendingValue = undefined;
    this.enqueue(this.value(p.height, p.round, p.tip));
  }

  private onTick(): void {
    this.tick += 1;
    if (this.pendingValue !== undefined && this.tick >= this.pendingValue.deadline) this.answerPendingValue();
    if (this.timers.length === 0) return;
    const due = this.timers.filter((t) => t.at <= this.tick);
    if (due.length === 0) return;
    this.timers = this.timers.filter((t) => t.at > this.tick);
    for (const t of due) this.enqueue({ type: 'timeout', timeout: t.timeout });
  }

  // ── mesh ──────────────────────────────────────────────────────────────────────────────────────────

  private onMeshMessage(from: number, channel: number, body: Uint8Array): void {
    if (channel === MEMPOOL_CHANNEL) {
      this.onGossip(body);
      return;
    }
    if (channel === REPLIES_CHANNEL) {
      this.replies?.onMessage(from, body);
      return;
    }
    // A body that does not decode throws an OmegaError: the mesh disconnects and reports the peer.
    const message = decodeMessage(body);
    if (channelOf(message) !== channel) {
      throw new OmegaError('INVALID_ENCODING', `a ${message.kind} message on channel ${channel}`);
    }
    switch (message.kind) {
      case 'sync-request':
        this.serveSync(from, message.fromHeight, message.maxCount);
        return;
      case 'sync-response':
        this.onSyncResponse(message.blocks);
        return;
      case 'proposal':
      case 'vote':
      case 'votes':
        this.noteHeight(from, message);
        this.enqueue({ type: 'message', message });
    }
  }

  /**
   * Envelopes a peer admitted (mempool.ts): the same stateless check as the API; a failing one means the
   * peer is faulty, and the throw gets it disconnected and reported by the mesh. A full mempool drops
   * forwarded envelopes silently (their clients asked other replicas too).
   */
  private onGossip(body: Uint8Array): void {
    if (this.closed || this.failed !== undefined) return;
    let admitted = false;
    for (const bytes of decodeGossip(body)) {
      const key = toHex(envelopeHash(bytes));
      if (this.recent.has(key) || this.mempool.has(key)) continue;
      if (this.mempool.size >= (this.options.mempoolMax ?? DEFAULTS.mempoolMax)) break;
      const { notAfterMs } = checkEnvelope(bytes, { chainId: this.chainId, verify: this.verifyEnvelope });
      this.mempool.set(key, { bytes: Uint8Array.from(bytes), notAfterMs, waiters: new Set() });
      admitted = true;
    }
    if (admitted) this.answerPendingValue();
  }

  private noteHeight(from: number, message: ConsensusMessage): void {
    // Only a hint for lagHeights/isReady (see peerTips); block sync itself is driven by the core.
    const h =
      message.kind === 'proposal'
        ? message.proposal.height
        : message.kind === 'vote'
          ? message.vote.height
          : message.kind === 'votes'
            ? (message.votes[0]?.height ?? 0)
            : 0;
    if (h - 1 > (this.peerTips.get(from) ?? 0)) this.peerTips.set(from, h - 1);
  }

  /** Block sync, serving side: contiguous stored blocks with their certificates, within limits. */
  private serveSync(from: number, fromHeight: number, maxCount: number): void {
    if (this.closed) return;
    // Each response may read and send ~1 MiB: serve one request per peer per interval, drop the rest
    // (the core re-requests on the next round; rate-limiting peers is the runtime's job, consensus.md §3).
    const nowMs = this.now();
    if (nowMs - (this.syncServedMs.get(from) ?? -Infinity) < DEFAULTS.syncServeIntervalMs) return;
    this.syncServedMs.set(from, nowMs);
    const count = Math.min(maxCount, CONSENSUS_LIMITS.maxSyncBlocks);
    const stored = this.storage.getBlocks(Math.max(1, fromHeight), count, DEFAULTS.syncResponseBytesMax);
    if (stored.length === 0) return;
    const blocks = stored.map((s) => decodeStoredBlock(s.block, s.certificate));
    try {
      this.mesh.send(from, SYNC_CHANNEL, encodeMessage({ kind: 'sync-response', blocks }));
    } catch (e) {
      if (!isOmegaError(e, 'SEND_QUEUE_FULL')) throw e;
    }
  }

  /** Block sync, fetching side: buffer the blocks and feed them one height at a time. */
  private onSyncResponse(blocks: readonly DecidedBlock[]): void {
    for (const b of blocks) {
      const h = b.block.header.height;
      if (h <= this.machine.height || this.syncBuffer.has(h)) continue;
      if (this.syncBuffer.size >= DEFAULTS.syncBufferMax) break;
      this.syncBuffer.set(h, b);
    }
    this.feedSync();
  }

  /** The core verifies each block (verifyDecidedBlock) and decides it; one height per `committed`. */
  private feedSync(): void {
    for (const h of [...this.syncBuffer.keys()]) if (h <= this.machine.height) this.syncBuffer.delete(h);
    const next = this.syncBuffer.get(this.state.height);
    if (next === undefined || this.state.awaitingCommit !== undefined) return;
    this.syncBuffer.delete(this.state.height);
    this.enqueue({ type: 'decided-block', block: next.block, certificate: next.certificate });
  }
}

function channelOf(message: ConsensusMessage): number {
  return message.kind === 'sync-request' || message.kind === 'sync-response'
    ? SYNC_CHANNEL
    : CONSENSUS_CHANNEL;
}
