/**
 * Four in-process replicas behind real HTTP servers on loopback (ephemeral ports), sharing an
 * in-memory "log": every envelope any replica submits is ordered into the next block, which every
 * replica applies with its own real ReplicatedMachine and signs with its own Ed25519 key. Byzantine
 * and faulty behaviours are per replica.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import type { FastifyInstance } from 'fastify';
import { toHex } from '../../src/crypto/bytes.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { OmegaError } from '../../src/errors.js';
import {
  ReplicatedMachine,
  decodeResult,
  encodeResult,
  envelopeHash,
  replySignBytes,
} from '../../src/core/machine/index.js';
import type {
  ClusterInfo,
  ReplicaNode,
  ReplicaStatus,
  ServiceKeysInfo,
  SignedReply,
} from '../../src/api/node.js';
import { createApiServer } from '../../src/api/server.js';
import { nodeEd25519Signer, nodeEd25519Verify } from '../../src/api/ed25519.js';
import type { ClusterConfig } from '../../src/sdk/index.js';

export const CHAIN = 'omega-sdk-test';

export type Behaviour =
  | 'honest'
  /** Returns a different result (another output), correctly signed by itself. */
  | 'forge'
  /** Returns the honest result with a corrupted signature. */
  | 'bad-signature'
  /** Returns a correctly signed result for another request id. */
  | 'unbound'
  /** Claims the request has a bad signature (a deterministic code; a lie). */
  | 'lie-reject'
  /** Accepts the request and never answers. */
  | 'hang'
  /** Answers DECISION_TIMEOUT. */
  | 'timeout'
  /** Not listening at all (connection refused). */
  | 'down';

class FakeReplica implements ReplicaNode {
  behaviour: Behaviour = 'honest';
  readonly machine = ReplicatedMachine.genesis({ chainId: CHAIN, verify: nodeEd25519Verify });
  readonly publicKey: Uint8Array;
  readonly decided = new Map<string, Uint8Array>();
  private readonly waiters = new Map<string, ((r: Uint8Array) => void)[]>();
  private readonly hung: (() => void)[] = [];
  private readonly sign: (m: Uint8Array) => Uint8Array;

  constructor(
    readonly index: number,
    private readonly cluster: FakeCluster,
  ) {
    const seed = deterministicRandom(`sdk-replica-${index}`)(32);
    this.sign = nodeEd25519Signer(seed);
    this.publicKey = ed25519.getPublicKey(seed);
  }

  info(): ClusterInfo {
    return {
      chainId: CHAIN,
      replicaIndex: this.index,
      n: this.cluster.replicas.length,
      f: 1,
      replicas: this.cluster.replicas.map((r) => ({ index: r.index, publicKey: r.publicKey })),
    };
  }

  serviceKeys(): ServiceKeysInfo {
    return {
      phase: 'waiting-for-members',
      attempt: 0,
      sessionId: '00'.repeat(32),
      epoch: 0,
      threshold: 1,
      epochKeys: 0,
      candidates: [],
      disqualified: [],
      flagged: [],
      holdsShares: false,
      frost: null,
      keys: null,
    };
  }

  status(): ReplicaStatus {
    return {
      height: this.machine.height,
      round: 0,
      peers: [],
      lastDecisionTimeMs: null,
      lagHeights: 0,
      queues: {},
    };
  }

  isReady(): boolean {
    return true;
  }

  async submit(envelope: Uint8Array): Promise<SignedReply> {
    if (this.behaviour === 'lie-reject') throw new OmegaError('BAD_SIGNATURE', 'lying');
    if (this.behaviour === 'timeout') throw new OmegaError('DECISION_TIMEOUT', 'not decided in time');
    const key = toHex(envelopeHash(envelope));
    let resultBytes = this.decided.get(key);
    if (resultBytes === undefined) {
      const waiting = new Promise<Uint8Array>((resolve) => {
        const list = this.waiters.get(key) ?? [];
        list.push(resolve);
        this.waiters.set(key, list);
      });
      this.cluster.propose(envelope);
      resultBytes = await waiting;
    }
    if (this.behaviour === 'hang') {
      await new Promise<void>((resolve) => this.hung.push(resolve));
      throw new OmegaError('DECISION_TIMEOUT', 'shutting down');
    }
    return this.reply(resultBytes);
  }

  private reply(honest: Uint8Array): SignedReply {
    let resultBytes = honest;
    if (this.behaviour === 'forge' || this.behaviour === 'unbound') {
      const r = decodeResult(honest);
      resultBytes = encodeResult({
        ...r,
        ...(this.behaviour === 'unbound' ? { requestId: new Uint8Array(16).fill(9) } : {}),
        status: { ok: true, output: new TextEncoder().encode('forged by replica') },
      });
    }
    const signature = this.sign(replySignBytes(CHAIN, resultBytes));
    if (this.behaviour === 'bad-signature') signature[0]! ^= 1;
    return { resultBytes, replicaIndex: this.index, signature };
  }

  onBlock(requests: Uint8Array[], timeMs: number): void {
    const results = this.machine.apply({ height: this.machine.height + 1, timeMs, requests });
    results.forEach((result, i) => {
      const key = toHex(envelopeHash(requests[i]!));
      const bytes = encodeResult(result);
      if (!this.decided.has(key)) this.decided.set(key, bytes);
      for (const resolve of this.waiters.get(key) ?? []) resolve(bytes);
      this.waiters.delete(key);
    });
  }

  /** Forgets cached replies, as a replica that restarted would: a re-sent envelope is proposed again. */
  forgetReplies(): void {
    this.decided.clear();
  }

  release(): void {
    for (const r of this.hung.splice(0)) r();
  }
}

export class FakeCluster {
  readonly replicas: FakeReplica[] = [];
  readonly servers: FastifyInstance[] = [];
  readonly urls: string[] = [];
  private readonly listening: string[] = [];
  /** Block time source; tests move it to test validity windows. */
  clock: () => number = () => Date.now();
  /** Envelopes proposed for the next block (deduplicated by bytes within a block, as a mempool would). */
  private pending: Uint8Array[] = [];
  private scheduled = false;

  private constructor() {}

  static async start(n = 4): Promise<FakeCluster> {
    const c = new FakeCluster();
    for (let i = 1; i <= n; i++) c.replicas.push(new FakeReplica(i, c));
    for (const r of c.replicas) {
      const app = await createApiServer(r, { logger: false, metrics: undefined });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      c.servers.push(app);
      c.urls.push(`http://127.0.0.1:${address.port}`);
      c.listening.push(`http://127.0.0.1:${address.port}`);
    }
    return c;
  }

  config(): ClusterConfig {
    return {
      chainId: CHAIN,
      f: 1,
      replicas: this.replicas.map((r, i) => ({ index: r.index, url: this.urls[i]!, publicKey: r.publicKey })),
    };
  }

  set(index: number, behaviour: Behaviour): void {
    this.replicas[index - 1]!.behaviour = behaviour;
    if (behaviour === 'down') {
      // A closed port: connection refused.
      this.urls[index - 1] = 'http://127.0.0.1:1';
    }
  }

  /** Every replica honest and reachable again. */
  reset(): void {
    this.replicas.forEach((r, i) => {
      r.behaviour = 'honest';
      this.urls[i] = this.listening[i]!;
    });
  }

  propose(envelope: Uint8Array): void {
    if (!this.pending.some((p) => toHex(p) === toHex(envelope))) this.pending.push(envelope);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const block = this.pending;
      this.pending = [];
      const timeMs = this.clock();
      for (const r of this.replicas) r.onBlock(block, timeMs);
    });
  }

  async stop(): Promise<void> {
    for (const r of this.replicas) r.release();
    // Drop keep-alive and aborted-but-open client connections, so close() does not wait for them.
    const closing = this.servers.map((s) => s.close());
    for (const s of this.servers) s.server.closeAllConnections();
    await Promise.all(closing);
  }
}
