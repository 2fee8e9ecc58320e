/**
 * Threshold-signed replies (docs/replies.md): what certifying one block costs a replica, and what
 * checking one certified reply costs a client, each next to its floor measured in the same run.
 *
 *   replica, per block   = results tree + partial sign + optimistic combine of t+1 (which verifies once)
 *     floor              = hash-to-G1 + G1 mul (sign) + t+1 decodes + G1 MSM + hash-to-G1 + 2 pairings
 *                          (the mandatory arithmetic of one partial and one verified combination, mcl)
 *   client, per reply    = verifyCertifiedReply (decode, bind, Merkle path, one BLS verification, noble)
 *     floor              = noble shortSignatures.verify of the same signature (hash + 2 pairings)
 *
 * End to end (issue 6 target ≤ 1.3×): certified ping (pinned SDK, one certified reply) on a 4-replica
 * in-process cluster with a dealt service key, against a plain ping (f+1 Ed25519 replies) on the same
 * kind of cluster without a service key, both in this run.
 *
 * Also: the per-reply cost on the replica with block batching (100 results share one signature) and
 * without (one signature per result, what a per-reply threshold signature would cost), and the same
 * per-block work through the worker pool the replica uses.
 *
 * `npm run bench -- replies` (BENCH_MIN_MS=… to change the time per measurement).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import type { Measurement, Row } from './harness.js';
import { measure, printTable } from './harness.js';
import { encodeResult, type RequestResult } from '../src/core/machine/index.js';
import {
  blockResultLeaf,
  blockResultsSignBytes,
  blockResultsTree,
  encodeCertificate,
  verifyCertifiedReply,
} from '../src/core/replies/index.js';
import { BLS_SIG_DST } from '../src/crypto/bls/encoding.js';
import { MerkleTree } from '../src/crypto/merkle.js';
import { loadMclBackend, loadMclPointOps } from '../src/crypto/bls/mcl.js';
import { inThreadBls } from '../src/crypto/bls/service.js';
import { BLS_FR, combine, partialSign, thresholdKeyFromCommitments } from '../src/crypto/bls/threshold.js';
import { G2 } from '../src/crypto/group.js';
import { lagrangeCoefficients } from '../src/crypto/poly.js';
import { deterministicRandom } from '../src/crypto/rand.js';
import { deal } from '../src/crypto/vss.js';
import { createBlsPool } from '../src/runtime/crypto-pool.js';
import { fixedServiceKey, startReplica } from '../src/runtime/replica/index.js';
import { OmegaClient, nobleServiceVerify } from '../src/sdk/index.js';
import { makeTestCluster, silentLogger } from '../test/runtime/replica-helpers.js';

const CHAIN = 'omega-bench';

/**
 * An operation and its floor measured back to back in 5 rounds; the round with the median ratio is
 * reported (on a shared 2-core VM only neighbouring measurements are comparable).
 */
async function versus(
  name: string,
  op: () => unknown,
  floorName: string,
  floor: () => unknown,
  target?: number,
): Promise<Row> {
  const minTimeMs = Number(process.env.BENCH_MIN_MS ?? 1000) / 3;
  const pairs: { o: Measurement; f: Measurement }[] = [];
  for (let round = 0; round < 5; round++) {
    const f = await measure(floorName, floor, { minTimeMs, minSamples: 3 });
    const o = await measure(name, op, { minTimeMs, minSamples: 3 });
    pairs.push({ o, f });
  }
  pairs.sort((x, y) => x.o.msPerOp / x.f.msPerOp - y.o.msPerOp / y.f.msPerOp);
  const { o, f } = pairs[2]!;
  return target === undefined ? { name, m: o, floor: f } : { name, m: o, floor: f, target };
}

function results(height: number, count: number): RequestResult[] {
  const rng = deterministicRandom(`bench/replies/${count}`);
  return Array.from({ length: count }, (_, index) => ({
    envelopeHash: rng(32),
    requestId: rng(16),
    principal: rng(32),
    height,
    index,
    status: { ok: true, output: rng(16) },
  }));
}

export async function run(): Promise<void> {
  const n = 4;
  const t = 1;
  const mcl = await loadMclBackend();
  const ops = await loadMclPointOps();
  const dealing = deal(G2, { threshold: t, parties: n }, deterministicRandom('bench/replies/dealer'));
  const key = thresholdKeyFromCommitments(
    mcl,
    dealing.commitments.map((c) => G2.encode(c)),
    { threshold: t, parties: n },
  );
  const [s1, s2] = dealing.shares;

  /** One replica's work for a block of `k` results: tree, own partial, combine with one peer partial. */
  const blockWork = (rs: RequestResult[], peer: Uint8Array) => (): unknown => {
    const tree = blockResultsTree(rs);
    const message = blockResultsSignBytes({
      chainId: CHAIN,
      epoch: 1,
      height: 1,
      size: rs.length,
      root: tree.root,
    });
    const own = partialSign(mcl, s1!, message);
    return combine(mcl, key, message, [own, { index: s2!.index, signature: peer }]);
  };
  const prepared = (k: number) => {
    const rs = results(1, k);
    const tree = blockResultsTree(rs);
    const message = blockResultsSignBytes({ chainId: CHAIN, epoch: 1, height: 1, size: k, root: tree.root });
    const peer = partialSign(mcl, s2!, message).signature;
    const { signature } = combine(mcl, key, message, [
      partialSign(mcl, s1!, message),
      { index: s2!.index, signature: peer },
    ]);
    return { rs, tree, message, peer, signature };
  };
  const one = prepared(1);
  const hundred = prepared(100);

  // Floor: the mandatory work of one block — the RFC 9162 tree over the (already encoded) leaves, one
  // partial signature, one verified 2-of-n combination — on decoded points of the same backend.
  const negG2 = ops.g2Neg(ops.g2Generator);
  const pk = ops.g2Parse(key.publicKey);
  const lambdas = lagrangeCoefficients(BLS_FR, [s1!.index, s2!.index]);
  const floorFor =
    (message: Uint8Array, own: Uint8Array, peer: Uint8Array, leaves: readonly Uint8Array[]) =>
    (): unknown => {
      MerkleTree.fromLeaves(leaves);
      ops.g1MulSecret(ops.hashToG1(message, BLS_SIG_DST), s1!.value);
      const sigma = ops.g1Msm([ops.g1Parse(own), ops.g1Parse(peer)], lambdas);
      return ops.pairingProductIsOne([
        [sigma, negG2],
        [ops.hashToG1(message, BLS_SIG_DST), pk],
      ]);
    };
  const own1 = partialSign(mcl, s1!, one.message).signature;
  const own100 = partialSign(mcl, s1!, hundred.message).signature;
  const leavesOf = (rs: RequestResult[]) => rs.map((r) => blockResultLeaf(encodeResult(r)));

  const rows: Row[] = [];
  const block1 = await versus(
    'replica: certify a block of 1 result (mcl)',
    blockWork(one.rs, one.peer),
    'tree + sign + 2-of-4 combine floor',
    floorFor(one.message, own1, one.peer, leavesOf(one.rs)),
    1.3,
  );
  const block100 = await versus(
    'replica: certify a block of 100 results (mcl)',
    blockWork(hundred.rs, hundred.peer),
    'tree + sign + 2-of-4 combine floor',
    floorFor(hundred.message, own100, hundred.peer, leavesOf(hundred.rs)),
    1.3,
  );
  rows.push(block1, block100);
  const perReply: Measurement = {
    ...block100.m,
    name: 'replica: per reply, batched (100 per block)',
    msPerOp: block100.m.msPerOp / 100,
    opsPerSec: block100.m.opsPerSec * 100,
  };
  rows.push({
    name: perReply.name,
    m: perReply,
    floor: { ...block1.m, name: 'per reply, unbatched (1 per block)' },
  });

  // The same per-block work through the pool the replica uses (structured clone + worker hop).
  const pool = await createBlsPool({ size: 1, prefer: 'mcl' });
  const local = inThreadBls(mcl);
  try {
    const viaPool = async (svc: typeof pool): Promise<unknown> => {
      const own = await svc.partialSign(s1!, one.message);
      return svc.combine(key, one.message, [own, { index: s2!.index, signature: one.peer }]);
    };
    rows.push(
      await versus(
        'replica: sign + combine via the worker pool',
        () => viaPool(pool),
        'the same in-thread',
        () => viaPool(local),
      ),
    );
  } finally {
    await pool.close();
  }

  // Client side: the SDK's check of one certified reply with @noble/curves (browser-safe, pure JS).
  const short = bls12_381.shortSignatures;
  const pkPoint = bls12_381.G2.Point.fromBytes(key.publicKey);
  const nobleVerify = (_pk: Uint8Array, m: Uint8Array, s: Uint8Array): boolean =>
    short.verify(short.Signature.fromBytes(s), short.hash(m, BLS_SIG_DST), pkPoint);
  const r = hundred.rs[37]!;
  const reply = {
    resultBytes: encodeResult(r),
    certificate: encodeCertificate({
      epoch: 1,
      height: 1,
      proof: hundred.tree.proof(37),
      signature: hundred.signature,
    }),
  };
  const sdkRow = await versus(
    'SDK: verify one certified reply (noble)',
    () => verifyCertifiedReply(key.publicKey, CHAIN, r.envelopeHash, reply, nobleVerify),
    'noble BLS verify (hash + 2 pairings)',
    () =>
      short.verify(
        short.Signature.fromBytes(hundred.signature),
        short.hash(hundred.message, BLS_SIG_DST),
        pkPoint,
      ),
    1.3,
  );
  rows.push(sdkRow);
  const sdk = sdkRow.m;
  // The SDK remembers verified block signatures: the other replies of the same block cost no pairing.
  const cached = nobleServiceVerify(key.publicKey);
  verifyCertifiedReply(key.publicKey, CHAIN, r.envelopeHash, reply, cached);
  const others = hundred.rs.map((x) => ({
    hash: x.envelopeHash,
    reply: {
      resultBytes: encodeResult(x),
      certificate: encodeCertificate({
        epoch: 1,
        height: 1,
        proof: hundred.tree.proof(x.index),
        signature: hundred.signature,
      }),
    },
  }));
  let next = 0;
  const hit = await measure('SDK: verify a reply of an already verified block (per reply)', () => {
    const o = others[next++ % others.length]!;
    return verifyCertifiedReply(key.publicKey, CHAIN, o.hash, o.reply, cached);
  });
  rows.push({ name: hit.name, m: hit, floor: sdk });
  const sdkMcl = await measure('SDK-equivalent check with mcl (replica-side backend)', () =>
    verifyCertifiedReply(key.publicKey, CHAIN, r.envelopeHash, reply, (p, m, s) =>
      mcl.verifyG1(p, m, BLS_SIG_DST, s),
    ),
  );
  rows.push({ name: sdkMcl.name, m: sdkMcl, floor: sdk });
  printTable('Threshold-signed replies (n = 4, t = 1)', rows);
  await runCluster();
}

/** Ping latency and concurrent throughput on a fresh 4-replica in-process cluster. */
async function pingCluster(certified: boolean): Promise<{ one: Measurement; many: Measurement }> {
  const cluster = await makeTestCluster(4, certified ? 'bench-certified' : 'bench-plain');
  const mcl = await loadMclBackend();
  const dealing = deal(G2, { threshold: 1, parties: 4 }, deterministicRandom('bench/replies/cluster'));
  const key = thresholdKeyFromCommitments(
    mcl,
    dealing.commitments.map((c) => G2.encode(c)),
    { threshold: 1, parties: 4 },
  );
  const replicas = await Promise.all(
    cluster.configs.map((c, i) =>
      startReplica(c, {
        logger: silentLogger,
        tickMs: 10,
        // Each replica starts its own one-worker pool, as in production.
        ...(certified ? { serviceKeys: fixedServiceKey({ epoch: 1, key, share: dealing.shares[i] }) } : {}),
      }),
    ),
  );
  try {
    const deadline = Date.now() + 15_000;
    while (!replicas.every((r) => r.node.isReady()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const base = cluster.configs[0]!.cluster;
    const random = deterministicRandom(`bench/replies/client/${certified}`);
    const client = new OmegaClient({
      cluster: {
        chainId: base.chainId,
        f: base.f,
        ...(certified ? { servicePublicKey: key.publicKey } : {}),
        replicas: replicas.map((r) => ({
          index: r.index,
          url: r.apiUrl,
          publicKey: base.replicas[r.index - 1]!.publicKey,
        })),
      },
      secretKey: random(32),
      random,
    });
    const label = certified
      ? 'certified ping (pinned key, 1 certified reply)'
      : 'plain ping (f+1 Ed25519 replies)';
    let k = 0;
    const ping = async (): Promise<void> => {
      const o = await client.ping(Uint8Array.from([k++ & 0xff]));
      if (o.outcome !== 'ok') throw new Error(`ping ${o.outcome}`);
      if (certified && o.result.certificate === undefined) throw new Error('uncertified ok');
    };
    const one = await measure(`${label}, one at a time`, ping);
    const batch = 64;
    const burst = await measure(
      `${label}, ${batch} concurrent (per batch)`,
      () => Promise.all(Array.from({ length: batch }, ping)),
      { minSamples: 3 },
    );
    const many = {
      ...burst,
      name: `${label}, ${batch} concurrent (per request)`,
      msPerOp: burst.msPerOp / batch,
      opsPerSec: (1000 * batch) / burst.msPerOp,
    };
    return { one, many };
  } finally {
    await Promise.all(replicas.map((r) => r.close()));
    cluster.remove();
  }
}

export async function runCluster(): Promise<void> {
  const plain = await pingCluster(false);
  const certified = await pingCluster(true);
  printTable('Certified vs plain ping, 4 in-process replicas, loopback, tickMs 10', [
    { name: plain.one.name, m: plain.one },
    { name: certified.one.name, m: certified.one, floor: plain.one, target: 1.3 },
    { name: plain.many.name, m: plain.many },
    { name: certified.many.name, m: certified.many, floor: plain.many, target: 1.3 },
  ]);
}
