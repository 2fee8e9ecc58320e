/**
 * Four in-process replicas behind real HTTP servers on loopback (ephemeral ports), sharing an
 * in-memory "log": every envelope any replica submits is ordered into the next block, which every
 * replica applies with its own real ReplicatedMachine and signs with its own Ed25519 key. Byzantine
 * and faulty behaviours are per replica.
 *
 * With `{ serviceKey: true }` the cluster also certifies every block as docs/replies.md describes
 * (results tree, signed statement, certificate): the test double signs with the whole service secret,
 * which gives byte-for-byte the signature t+1 partials combine to, so it speaks the real wire protocol
 * and lets tests send forged or altered certified replies.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { BLS_SIG_CIPHERSUITE } from '../../src/crypto/bls/encoding.js';
import { bigintToBytesBE } from '../../src/crypto/bytes.js';
import type { RequestResult } from '../../src/core/machine/index.js';
import { blockResultsSignBytes, blockResultsTree, encodeCertificate } from '../../src/core/replies/index.js';
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
/** The test service key (trusted dealer, test only) and another key a liar certifies with. */
export const SERVICE_SECRET = 0x5eed5eed5eed5eed5eed5eed5eed5eed5eed5eedn;
export const OTHER_SERVICE_SECRET = 0x0bad0bad0bad0bad0bad0bad0bad0bad0bad0badn;
export const SERVICE_EPOCH = 2;
export function servicePublicKeyOf(secret: bigint): Uint8Array {
  return bls12_381.shortSignatures.getPublicKey(bigintToBytesBE(secret, 32)).toBytes();
}

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
  | 'down'
  /** Honest, but answers only after 300 ms (so others' replies are judged first). */
  | 'slow'
  /** Honest result, no certificate. */
  | 'uncertified'
  /** A forged output (Ed25519-signed) with the real certificate of the honest result. */
  | 'cert-altered-result'
  /** A forged output certified correctly, but under another BLS key. */
  | 'cert-other-key'
  /** The real, certified result of another request. */
  | 'cert-other-request'
  /** The honest result with random certificate bytes. */
  | 'cert-garbage';

class FakeReplica implements ReplicaNode {
  behaviour: Behaviour = 'honest';
  readonly machine = ReplicatedMachine.genesis({ chainId: CHAIN, verify: nodeEd25519Verify });
  readonly publicKey: Uint8Array;
  readonly decided = new Map<string, Uint8Array>();
  /** Envelope hash → certificate of its result (when the cluster has a service key). */
  readonly certificates = new Map<string, Uint8Array>();
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
    if (this.behaviour === 'slow') await new Promise((r) => setTimeout(r, 300));
    return this.reply(resultBytes, this.certificates.get(key));
  }

  private reply(honest: Uint8Array, certificate: Uint8Array | undefined): SignedReply {
    const signed = (resultBytes: Uint8Array, cert: Uint8Array | undefined): SignedReply => ({
      resultBytes,
      replicaIndex: this.index,
      signature: this.sign(replySignBytes(CHAIN, resultBytes)),
      ...(cert === undefined ? {} : { certificate: cert }),
    });
    const forged = () =>
      encodeResult({
        ...decodeResult(honest),
        status: { ok: true, output: new TextEncoder().encode('forged') },
      });
    const b = this.behaviour;
    if (b === 'uncertified') return signed(honest, undefined);
    if (b === 'cert-altered-result') return signed(forged(), certificate);
    if (b === 'cert-other-key') {
      // A correct-looking tree of the block's shape around the forged result, signed by another key.
      const result = decodeResult(forged());
      const block = Array.from({ length: result.index + 1 }, (_, k) => ({ ...result, index: k }));
      return signed(encodeResult(result), this.cluster.certify(block, OTHER_SERVICE_SECRET)[result.index]);
    }
    if (b === 'cert-other-request') {
      const other = [...this.decided.entries()].find(([k]) => this.certificates.get(k) !== certificate);
      if (other === undefined) throw new Error('cert-other-request needs an earlier request');
      return signed(other[1], this.certificates.get(other[0]));
    }
    if (b === 'cert-garbage') return signed(honest, deterministicRandom(`garbage-${this.index}`)(120));
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
    return {
      resultBytes,
      replicaIndex: this.index,
      signature,
      ...(certificate === undefined || resultBytes !== honest ? {} : { certificate }),
    };
  }

  onBlock(requests: Uint8Array[], timeMs: number): void {
    const results = this.machine.apply({ height: this.machine.height + 1, timeMs, requests });
    const certificates = this.cluster.serviceSecret === undefined ? [] : this.cluster.certify(results);
    results.forEach((result, i) => {
      const key = toHex(envelopeHash(requests[i]!));
      const bytes = encodeResult(result);
      if (!this.decided.has(key)) {
        this.decided.set(key, bytes);
        if (certificates[i] !== undefined) this.certificates.set(key, certificates[i]);
      }
      for (const resolve of this.waiters.get(key) ?? []) resolve(bytes);
      this.waiters.delete(key);
    });
  }

  /** Forgets cached replies, as a replica that restarted would: a re-sent envelope is proposed again. */
  forgetReplies(): void {
    this.decided.clear();
    this.certificates.clear();
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

  private constructor(readonly serviceSecret: bigint | undefined) {}

  static async start(n = 4, options: { serviceKey?: boolean } = {}): Promise<FakeCluster> {
    const c = new FakeCluster(options.serviceKey === true ? SERVICE_SECRET : undefined);
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
      ...(this.serviceSecret === undefined
        ? {}
        : { servicePublicKey: servicePublicKeyOf(this.serviceSecret) }),
    };
  }

  /** Certificates of a block's results under `secret` (docs/replies.md), one per result. */
  certify(results: readonly RequestResult[], secret = this.serviceSecret!): Uint8Array[] {
    if (results.length === 0) return [];
    const tree = blockResultsTree(results);
    const height = results[0]!.height;
    const message = blockResultsSignBytes({
      chainId: CHAIN,
      epoch: SERVICE_EPOCH,
      height,
      size: results.length,
      root: tree.root,
    });
    const short = bls12_381.shortSignatures;
    const signature = short.Signature.toBytes(
      short.sign(short.hash(message, BLS_SIG_CIPHERSUITE), bigintToBytesBE(secret, 32)),
    );
    return results.map((r) =>
      encodeCertificate({ epoch: SERVICE_EPOCH, height, proof: tree.proof(r.index), signature }),
    );
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
