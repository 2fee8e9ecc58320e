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
 * Also: the per-reply cost on the replica with block batching (100 results share one signature) and
 * without (one signature per result, what a per-reply threshold signature would cost), and the same
 * per-block work through the worker pool the replica uses.
 *
 * `npm run bench -- replies` (BENCH_MIN_MS=… to change the time per measurement).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import type { Row } from './harness.js';
import { measure, printTable } from './harness.js';
import { encodeResult, type RequestResult } from '../src/core/machine/index.js';
import {
  blockResultsSignBytes,
  blockResultsTree,
  encodeCertificate,
  verifyCertifiedReply,
} from '../src/core/replies/index.js';
import { BLS_SIG_DST } from '../src/crypto/bls/encoding.js';
import { loadMclBackend, loadMclPointOps } from '../src/crypto/bls/mcl.js';
import { inThreadBls } from '../src/crypto/bls/service.js';
import { BLS_FR, combine, partialSign, thresholdKeyFromCommitments } from '../src/crypto/bls/threshold.js';
import { G2 } from '../src/crypto/group.js';
import { lagrangeCoefficients } from '../src/crypto/poly.js';
import { deterministicRandom } from '../src/crypto/rand.js';
import { deal } from '../src/crypto/vss.js';
import { createBlsPool } from '../src/runtime/crypto-pool.js';

const CHAIN = 'omega-bench';

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

  // Floor: the mandatory arithmetic of one partial signature and one verified 2-of-n combination.
  const negG2 = ops.g2Neg(ops.g2Generator);
  const pk = ops.g2Parse(key.publicKey);
  const lambdas = lagrangeCoefficients(BLS_FR, [s1!.index, s2!.index]);
  const floorFor = (message: Uint8Array, own: Uint8Array, peer: Uint8Array) => (): unknown => {
    ops.g1MulSecret(ops.hashToG1(message, BLS_SIG_DST), s1!.value);
    const sigma = ops.g1Msm([ops.g1Parse(own), ops.g1Parse(peer)], lambdas);
    return ops.pairingProductIsOne([
      [sigma, negG2],
      [ops.hashToG1(message, BLS_SIG_DST), pk],
    ]);
  };
  const own1 = partialSign(mcl, s1!, one.message).signature;
  const own100 = partialSign(mcl, s1!, hundred.message).signature;

  const rows: Row[] = [];
  const block1 = await measure('replica: certify a block of 1 result (mcl)', blockWork(one.rs, one.peer));
  const floor1 = await measure('sign + 2-of-4 combine floor', floorFor(one.message, own1, one.peer));
  rows.push({ name: block1.name, m: block1, floor: floor1, target: 1.3 });
  const block100 = await measure(
    'replica: certify a block of 100 results (mcl)',
    blockWork(hundred.rs, hundred.peer),
  );
  const floor100 = await measure(
    'sign + 2-of-4 combine floor',
    floorFor(hundred.message, own100, hundred.peer),
  );
  rows.push({ name: block100.name, m: block100, floor: floor100, target: 1.3 });
  const perReplyBatched = {
    ...block100,
    name: 'replica: per reply, batched (100 per block)',
    msPerOp: block100.msPerOp / 100,
    opsPerSec: block100.opsPerSec * 100,
  };
  rows.push({
    name: perReplyBatched.name,
    m: perReplyBatched,
    floor: { ...block1, name: 'per reply, unbatched (1 per block)' },
  });

  // The same per-block work through the pool the replica uses (structured clone + worker hop).
  const pool = await createBlsPool({ size: 1, prefer: 'mcl' });
  const local = inThreadBls(mcl);
  try {
    const viaPool = async (svc: typeof pool): Promise<unknown> => {
      const own = await svc.partialSign(s1!, one.message);
      return svc.combine(key, one.message, [own, { index: s2!.index, signature: one.peer }]);
    };
    const p = await measure('replica: sign + combine via the worker pool', () => viaPool(pool));
    const l = await measure('the same in-thread', () => viaPool(local));
    rows.push({ name: p.name, m: p, floor: l });
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
  const sdk = await measure('SDK: verify one certified reply (noble)', () =>
    verifyCertifiedReply(key.publicKey, CHAIN, r.envelopeHash, reply, nobleVerify),
  );
  const sdkFloor = await measure('noble BLS verify (hash + 2 pairings)', () =>
    short.verify(
      short.Signature.fromBytes(hundred.signature),
      short.hash(hundred.message, BLS_SIG_DST),
      pkPoint,
    ),
  );
  rows.push({ name: sdk.name, m: sdk, floor: sdkFloor, target: 1.3 });
  const sdkMcl = await measure('SDK-equivalent check with mcl (replica-side backend)', () =>
    verifyCertifiedReply(key.publicKey, CHAIN, r.envelopeHash, reply, (p, m, s) =>
      mcl.verifyG1(p, m, BLS_SIG_DST, s),
    ),
  );
  rows.push({ name: sdkMcl.name, m: sdkMcl, floor: sdk });
  printTable('Threshold-signed replies (n = 4, t = 1)', rows);
}
