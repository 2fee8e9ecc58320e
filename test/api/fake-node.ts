/**
 * An in-memory ReplicaNode for API tests: a single replica whose "log" decides each submitted
 * envelope immediately in its own block, applies it with the real ReplicatedMachine and signs the
 * result with a real Ed25519 identity key. Records every submission, so tests can assert that bad
 * input never reached the node.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { OmegaError } from '../../src/errors.js';
import {
  ReplicatedMachine,
  encodeResult,
  envelopeHash,
  replySignBytes,
} from '../../src/core/machine/index.js';
import { toHex } from '../../src/crypto/bytes.js';
import type {
  ClusterInfo,
  ReplicaNode,
  ReplicaStatus,
  ServiceKeysInfo,
  SignedReply,
} from '../../src/api/node.js';
import { nodeEd25519Signer, nodeEd25519Verify } from '../../src/api/ed25519.js';
import { CHAIN } from '../machine/helpers.js';

export type SubmitBehaviour = 'apply' | 'timeout' | 'overloaded' | 'bug';

export class FakeNode implements ReplicaNode {
  readonly submitted: Uint8Array[] = [];
  readonly machine = ReplicatedMachine.genesis({ chainId: CHAIN, verify: nodeEd25519Verify });
  readonly publicKey: Uint8Array;
  ready = true;
  behaviour: SubmitBehaviour = 'apply';
  /** Block time of the next block. */
  timeMs = 1_030_000;
  private readonly sign: (m: Uint8Array) => Uint8Array;
  /** Recent replies by envelope hash (the ReplicaNode contract: re-sent envelopes are not re-proposed). */
  private readonly recent = new Map<string, SignedReply>();

  constructor(readonly index = 1) {
    const seed = deterministicRandom(`replica-${index}`)(32);
    this.sign = nodeEd25519Signer(seed);
    this.publicKey = ed25519.getPublicKey(seed);
  }

  info(): ClusterInfo {
    return {
      chainId: CHAIN,
      replicaIndex: this.index,
      n: 4,
      f: 1,
      replicas: [{ index: this.index, publicKey: this.publicKey }],
    };
  }

  status(): ReplicaStatus {
    return {
      height: this.machine.height,
      round: 0,
      peers: [
        { index: 2, connected: true },
        { index: 3, connected: false },
      ],
      lastDecisionTimeMs: this.machine.height === 0 ? null : this.machine.timeMs,
      lagHeights: 0,
      queues: { mempool: 3 },
    };
  }

  isReady(): boolean {
    return this.ready;
  }

  /** What `GET /v1/service-keys` serves; tests replace it. */
  serviceKeysInfo: ServiceKeysInfo = {
    phase: 'waiting-for-members',
    attempt: 0,
    sessionId: '00'.repeat(32),
    epoch: 0,
    threshold: 1,
    epochKeys: 2,
    candidates: [],
    disqualified: [],
    flagged: [],
    holdsShares: false,
    frost: null,
    keys: null,
  };

  serviceKeys(): ServiceKeysInfo {
    return this.serviceKeysInfo;
  }

  submit(envelope: Uint8Array): Promise<SignedReply> {
    this.submitted.push(envelope);
    switch (this.behaviour) {
      case 'timeout':
        return Promise.reject(new OmegaError('DECISION_TIMEOUT', 'not decided within 10 s'));
      case 'overloaded':
        return Promise.reject(new OmegaError('OVERLOADED', 'mempool full'));
      case 'bug':
        return Promise.reject(new Error('boom: secret internal detail'));
      case 'apply': {
        const key = toHex(envelopeHash(envelope));
        const cached = this.recent.get(key);
        if (cached !== undefined) return Promise.resolve(cached);
        const [result] = this.machine.apply({
          height: this.machine.height + 1,
          timeMs: this.timeMs,
          requests: [envelope],
        });
        const resultBytes = encodeResult(result!);
        const reply = {
          resultBytes,
          replicaIndex: this.index,
          signature: this.sign(replySignBytes(CHAIN, resultBytes)),
        };
        this.recent.set(key, reply);
        return Promise.resolve(reply);
      }
    }
  }
}
