/**
 * Threshold-signed replies on a real in-process 4-replica cluster (SQLite stores, TLS mesh, HTTP API)
 * with a service key dealt by a trusted dealer (test only; the DKG provides it in production):
 * a client pinning the service key gets `ok` from one certified reply, the combined block signature
 * verifies with plain @noble/curves (an independent verifier), and a replica that sends bad partials
 * or none does not stop certification — the bad one is named by every honest replica.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeResult } from '../../src/core/machine/index.js';
import {
  blockResultLeaf,
  blockResultsSignBytes,
  decodeCertificate,
  verifyCertifiedReply,
} from '../../src/core/replies/index.js';
import type { ThresholdBlsService } from '../../src/crypto/bls/service.js';
import { BLS_SIG_CIPHERSUITE } from '../../src/crypto/bls/encoding.js';
import { loadBlsBackend } from '../../src/crypto/bls/load.js';
import { thresholdKeyFromCommitments, type ThresholdPublicKey } from '../../src/crypto/bls/threshold.js';
import { G2 } from '../../src/crypto/group.js';
import { merkleLeafHash, rootFromInclusionProof } from '../../src/crypto/merkle.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { deal } from '../../src/crypto/vss.js';
import { createBlsPool } from '../../src/runtime/crypto-pool.js';
import {
  fixedServiceKey,
  startReplica,
  type ReplicaLogger,
  type ReplyTestHooks,
  type RunningReplica,
  type StartReplicaOptions,
} from '../../src/runtime/replica/index.js';
import { OmegaClient } from '../../src/sdk/index.js';
import { clientFor, makeTestCluster, type TestCluster } from './replica-helpers.js';

const SEED = 'replica-replies';
const FAST = { tickMs: 10, meshLimits: { reconnectMaxMs: 500 } } as const;

interface Logged {
  readonly replica: number;
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

interface Setup {
  cluster: TestCluster;
  replicas: RunningReplica[];
  key: ThresholdPublicKey;
  bls: ThresholdBlsService;
  hooks: ReplyTestHooks[];
  warnings: Logged[];
  options: (i: number) => StartReplicaOptions;
  pinned: OmegaClient;
}

let shared: Promise<Setup> | undefined;

function setup(): Promise<Setup> {
  shared ??= (async () => {
    const cluster = await makeTestCluster(4, 'replies');
    const mcl = await loadBlsBackend({ prefer: 'mcl' });
    // Trusted dealer, test only: t = f = 1, so any 2 of the 4 partials combine.
    const dealing = deal(G2, { threshold: 1, parties: 4 }, deterministicRandom(`${SEED}/dealer`));
    const key = thresholdKeyFromCommitments(
      mcl,
      dealing.commitments.map((c) => G2.encode(c)),
      { threshold: 1, parties: 4 },
    );
    // One shared worker for the four in-process replicas keeps the test light on the 2 CI cores.
    const bls = await createBlsPool({ size: 1, prefer: 'mcl' });
    const hooks: ReplyTestHooks[] = [{}, {}, {}, {}];
    const warnings: Logged[] = [];
    const logger = (replica: number): ReplicaLogger => ({
      info() {},
      warn: (message, fields) => warnings.push({ replica, message, fields }),
      error: (message, fields) => warnings.push({ replica, message, fields }),
    });
    const options = (i: number): StartReplicaOptions => ({
      ...FAST,
      logger: logger(i + 1),
      serviceKeys: fixedServiceKey({ epoch: 3, key, share: dealing.shares[i] }),
      bls,
      replyHooks: hooks[i]!,
    });
    const replicas = await Promise.all(cluster.configs.map((c, i) => startReplica(c, options(i))));
    const deadline = Date.now() + 15_000;
    while (!replicas.every((r) => r.node.isReady()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const base = cluster.configs[0]!.cluster;
    const random = deterministicRandom(`${SEED}/client`);
    const pinned = new OmegaClient({
      cluster: {
        chainId: base.chainId,
        f: base.f,
        servicePublicKey: key.publicKey,
        replicas: replicas.map((r) => ({
          index: r.index,
          url: r.apiUrl,
          publicKey: base.replicas[r.index - 1]!.publicKey,
        })),
      },
      secretKey: random(32),
      random,
      timeoutMs: 10_000,
      hedgeMs: 500,
    });
    return { cluster, replicas, key, bls, hooks, warnings, options, pinned };
  })();
  return shared;
}

afterAll(async () => {
  if (shared === undefined) return;
  const { cluster, replicas, bls } = await shared;
  await Promise.all(replicas.map((r) => r.close()));
  await bls.close();
  cluster.remove();
});

function okCertified(o: Awaited<ReturnType<OmegaClient['ping']>>) {
  expect(o.outcome, JSON.stringify(o)).toBe('ok');
  if (o.outcome !== 'ok') throw new Error('not ok');
  expect(o.result.certificate).toBeDefined();
  return o.result;
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('threshold-signed replies: in-process 4-replica cluster with a dealt service key', () => {
  it('a client pinning the service key gets ok from one certified reply', async () => {
    const { pinned, warnings } = await setup();
    const payload = Uint8Array.from([1, 2, 3]);
    const result = okCertified(await pinned.ping(payload));
    expect(result.output).toEqual(payload);
    // One certified reply suffices: the outcome carries the one replica's reply that proved it.
    expect(result.signatures).toHaveLength(1);
    expect(warnings.filter((w) => w.message.startsWith('replies:'))).toEqual([]);
  }, 30_000);

  it('status shows the blocks awaiting certification as a queue', async () => {
    const { replicas } = await setup();
    for (const r of replicas) expect(r.status().queues.certifying).toBeGreaterThanOrEqual(0);
  });

  it('independent verifier: the combined block signature verifies with plain @noble/curves BLS', async () => {
    const { pinned, key } = await setup();
    const result = okCertified(await pinned.ping(Uint8Array.from([9])));
    const cert = decodeCertificate(result.certificate!);
    expect(cert.epoch).toBe(3);
    expect(cert.height).toBe(result.height);
    // Rebuild the signed statement from the reply alone: RFC 9162 root from the leaf and its path.
    const root = rootFromInclusionProof(merkleLeafHash(blockResultLeaf(result.resultBytes)), cert.proof)!;
    const message = blockResultsSignBytes({
      chainId: 'omega-replies',
      epoch: cert.epoch,
      height: cert.height,
      size: cert.proof.size,
      root,
    });
    const short = bls12_381.shortSignatures;
    expect(short.verify(cert.signature, short.hash(message, BLS_SIG_CIPHERSUITE), key.publicKey)).toBe(true);
    message[message.length - 1]! ^= 1;
    expect(short.verify(cert.signature, short.hash(message, BLS_SIG_CIPHERSUITE), key.publicKey)).toBe(false);
  }, 30_000);

  it('every replica serves the same certificate for a decided envelope (BLS signatures are unique)', async () => {
    const { pinned, replicas, key } = await setup();
    const built = pinned.buildEnvelope('ping', Uint8Array.from([4]));
    const replies = await Promise.all(replicas.map((r) => r.node.submit(built.bytes)));
    const signatures = new Set<string>();
    for (const reply of replies) {
      expect(reply.certificate).toBeDefined();
      const { result, certificate } = verifyCertifiedReply(
        key.publicKey,
        'omega-replies',
        built.hash,
        { resultBytes: reply.resultBytes, certificate: reply.certificate! },
        (pk, m, s) => bls12_381.shortSignatures.verify(s, bls12_381.shortSignatures.hash(m), pk),
      );
      expect(result.status).toEqual({ ok: true, output: Uint8Array.from([4]) });
      signatures.add(Buffer.from(certificate.signature).toString('hex'));
    }
    expect(signatures.size).toBe(1);
  }, 30_000);

  it('a replica sending bad partials: replies are still certified and every honest replica names it', async () => {
    const { pinned, hooks, warnings } = await setup();
    hooks[0]!.partials = 'bad';
    // Wait for all four partials before the first combine, so replica 1's bad partial is always among
    // the t+1 lowest indices tried first (otherwise the optimistic path may never look at it).
    for (const h of hooks) h.combineAfterPartials = 4;
    try {
      const before = warnings.length;
      okCertified(await pinned.ping(Uint8Array.from([5])));
      await until('every honest replica to name replica 1', () =>
        [2, 3, 4].every((r) =>
          warnings
            .slice(before)
            .some(
              (w) =>
                w.replica === r &&
                w.message === 'replies: bad partial signatures' &&
                JSON.stringify(w.fields?.culprits) === '[1]',
            ),
        ),
      );
      // No honest replica is ever blamed.
      for (const w of warnings.slice(before)) {
        const culprits = (w.fields?.culprits ?? []) as number[];
        expect(
          culprits.every((c) => c === 1),
          JSON.stringify(w),
        ).toBe(true);
      }
    } finally {
      hooks[0]!.partials = undefined;
      for (const h of hooks) h.combineAfterPartials = undefined;
    }
  }, 30_000);

  it('a replica withholding its partials: replies are still certified (t+1 = 2 of the other 3)', async () => {
    const { pinned, hooks } = await setup();
    hooks[3]!.partials = 'withhold';
    try {
      const outcomes = await Promise.all([6, 7, 8].map((b) => pinned.ping(Uint8Array.from([b]))));
      for (const o of outcomes) okCertified(o);
    } finally {
      hooks[3]!.partials = undefined;
    }
  }, 30_000);

  it('a client without the pinned key still counts f+1 Ed25519 replies (the certificate is extra)', async () => {
    const { cluster, replicas } = await setup();
    const urls = new Map(replicas.map((r) => [r.index, r.apiUrl]));
    const o = await clientFor(cluster.configs, urls, `${SEED}/unpinned`).ping(Uint8Array.from([10]));
    expect(o.outcome).toBe('ok');
    if (o.outcome === 'ok') expect(o.result.signatures.length).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('a restarted replica serves the certificate of a block certified before it stopped (stored signature)', async () => {
    const { cluster, replicas, pinned, options, key } = await setup();
    const built = pinned.buildEnvelope('ping', Uint8Array.from([11]));
    const first = await replicas[1]!.node.submit(built.bytes);
    expect(first.certificate).toBeDefined();
    const height = decodeResult(first.resultBytes).height;
    await until('replica 3 to certify the block', () => replicas[2]!.status().height >= height);
    // Let replica 3 combine too (its certificate is what it will serve after the restart).
    const own = await replicas[2]!.node.submit(built.bytes);
    expect(own.certificate).toBeDefined();
    await replicas[2]!.close();
    replicas[2] = await startReplica(cluster.configs[2]!, options(2));
    const again = await replicas[2].node.submit(built.bytes);
    expect(again.resultBytes).toEqual(first.resultBytes);
    expect(again.certificate).toEqual(own.certificate);
    const verify = (pk: Uint8Array, m: Uint8Array, s: Uint8Array) =>
      bls12_381.shortSignatures.verify(s, bls12_381.shortSignatures.hash(m), pk);
    expect(() =>
      verifyCertifiedReply(
        key.publicKey,
        'omega-replies',
        built.hash,
        { resultBytes: again.resultBytes, certificate: again.certificate! },
        verify,
      ),
    ).not.toThrow();
  }, 40_000);
});
