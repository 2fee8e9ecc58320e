/**
 * ReplyCertifier (src/runtime/replica/replies.ts) with four instances wired by a scripted in-memory
 * network, so message order is exact: bad partials in the first t+1 are named and certification still
 * completes; a replica without a share certifies from others' partials; a replica that missed every
 * partial gets the combined signature from a peer; a peer signing another statement is ignored and
 * named; malformed messages throw (the mesh disconnects the sender); stored signatures survive a restart.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BlsBackend } from '../../src/crypto/bls/backend.js';
import { loadBlsBackend } from '../../src/crypto/bls/load.js';
import { inThreadBls } from '../../src/crypto/bls/service.js';
import { thresholdKeyFromCommitments, type ThresholdPublicKey } from '../../src/crypto/bls/threshold.js';
import { toHex } from '../../src/crypto/bytes.js';
import { G2 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { deal, type SecretShare } from '../../src/crypto/vss.js';
import { encodeResult, type RequestResult } from '../../src/core/machine/index.js';
import {
  decodeRepliesMessage,
  encodeRepliesMessage,
  verifyCertifiedReply,
} from '../../src/core/replies/index.js';
import { isOmegaError } from '../../src/errors.js';
import {
  REPLIES_NAMESPACE,
  ReplyCertifier,
  fixedServiceKey,
  type ReplyTestHooks,
} from '../../src/runtime/replica/index.js';
import type { BatchOp } from '../../src/runtime/storage/types.js';

const SEED = 'reply-certifier';
const CHAIN = 'omega-certifier-test';
let mcl: BlsBackend;
let key: ThresholdPublicKey;
let shares: readonly SecretShare[];

beforeAll(async () => {
  mcl = await loadBlsBackend({ prefer: 'mcl' });
  const dealing = deal(G2, { threshold: 1, parties: 4 }, deterministicRandom(`${SEED}/dealer`));
  key = thresholdKeyFromCommitments(
    mcl,
    dealing.commitments.map((c) => G2.encode(c)),
    { threshold: 1, parties: 4 },
  );
  shares = dealing.shares;
});

class MapStore {
  readonly map = new Map<string, Uint8Array>();
  get(namespace: string, k: Uint8Array): Uint8Array | undefined {
    return this.map.get(`${namespace}/${toHex(k)}`);
  }
  batch(ops: readonly BatchOp[]): void {
    for (const op of ops) {
      if (op.op === 'put') this.map.set(`${op.namespace}/${toHex(op.key)}`, op.value.slice());
      if (op.op === 'delete') this.map.delete(`${op.namespace}/${toHex(op.key)}`);
    }
  }
}

interface Logged {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** n certifiers and a network whose deliveries the test triggers (and may drop). */
function network(
  options: { shareOf?: (i: number) => SecretShare | undefined; hooks?: ReplyTestHooks[] } = {},
) {
  const queue: { from: number; to: number; body: Uint8Array }[] = [];
  const logs: Logged[][] = [[], [], [], []];
  const stores = [new MapStore(), new MapStore(), new MapStore(), new MapStore()];
  const bls = inThreadBls(mcl);
  const make = (i: number) =>
    new ReplyCertifier({
      index: i,
      chainId: CHAIN,
      keys: fixedServiceKey({ epoch: 5, key, share: options.shareOf ? options.shareOf(i) : shares[i - 1] }),
      bls,
      send: (to, body) => queue.push({ from: i, to, body }),
      broadcast: (body) => {
        for (let to = 1; to <= 4; to++) if (to !== i) queue.push({ from: i, to, body });
      },
      storage: stores[i - 1]!,
      log: {
        info: () => {},
        warn: (message, fields) =>
          logs[i - 1]!.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
        error: (message, fields) =>
          logs[i - 1]!.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
      },
      ...(options.hooks?.[i - 1] ? { hooks: options.hooks[i - 1] } : {}),
    });
  const certifiers = [1, 2, 3, 4].map(make);
  /** Lets pool promises run (in-thread: microtasks) without delivering anything. */
  const tick = () => new Promise((r) => setTimeout(r, 0));
  /** Delivers queued messages matching `which` (all by default) until none is left, then settles. */
  const deliver = async (which: (m: { from: number; to: number }) => boolean = () => true) => {
    for (let round = 0; round < 50; round++) {
      await tick();
      const batch = queue.filter(which);
      if (batch.length === 0) return;
      for (const m of batch) queue.splice(queue.indexOf(m), 1);
      for (const m of batch) certifiers[m.to - 1]!.onMessage(m.from, m.body);
    }
  };
  return { certifiers, queue, logs, stores, deliver, tick, make };
}

function block(height: number, count = 3): RequestResult[] {
  const rng = deterministicRandom(`${SEED}/block/${height}`);
  return Array.from({ length: count }, (_, index) => ({
    envelopeHash: rng(32),
    requestId: rng(16),
    principal: rng(32),
    height,
    index,
    status: { ok: true, output: rng(4) },
  }));
}

const nobleVerify = (pk: Uint8Array, m: Uint8Array, s: Uint8Array) =>
  bls12_381.shortSignatures.verify(s, bls12_381.shortSignatures.hash(m), pk);

function expectCertified(cert: Uint8Array | undefined, result: RequestResult): void {
  expect(cert).toBeDefined();
  const out = verifyCertifiedReply(
    key.publicKey,
    CHAIN,
    result.envelopeHash,
    { resultBytes: encodeResult(result), certificate: cert! },
    nobleVerify,
  );
  expect(out.certificate.epoch).toBe(5);
}

describe('ReplyCertifier', () => {
  it('four honest replicas certify a block; each serves certificates for every result', async () => {
    const net = network();
    const rs = block(1);
    for (const c of net.certifiers) c.onBlock(1, rs);
    await net.deliver();
    for (const c of net.certifiers) {
      for (const r of rs) expectCertified(await c.certificateFor(encodeResult(r), 0), r);
    }
    expect(net.logs.flat()).toEqual([]);
  });

  it('empty blocks and blocks without a service key are not signed and get no certificate', async () => {
    const net = network();
    for (const c of net.certifiers) c.onBlock(1, []);
    await net.deliver();
    expect(net.queue).toEqual([]);
    const none = new ReplyCertifier({
      index: 1,
      chainId: CHAIN,
      keys: fixedServiceKey(undefined),
      bls: inThreadBls(mcl),
      send: () => expect.fail('nothing to send'),
      broadcast: () => expect.fail('nothing to send'),
      storage: new MapStore(),
      log: { info() {}, warn() {}, error() {} },
    });
    const rs = block(2);
    none.onBlock(2, rs);
    expect(await none.certificateFor(encodeResult(rs[0]!), 50)).toBeUndefined();
  });

  it('a bad partial among the first t+1 is named, and the next good partial completes the signature', async () => {
    const net = network({ hooks: [{ partials: 'bad' }, {}, {}, {}] });
    const rs = block(3);
    const [c1, c2, c3] = net.certifiers;
    c1!.onBlock(3, rs);
    await net.tick();
    // Replica 2 first hears replica 1's bad partial, then makes its own: t+1 = 2 partials, one bad.
    await net.deliver((m) => m.from === 1 && m.to === 2);
    c2!.onBlock(3, rs);
    await net.deliver((m) => m.to === 2 && m.from !== 3);
    expect(await c2!.certificateFor(encodeResult(rs[0]!), 0)).toBeUndefined();
    expect(net.logs[1]).toContainEqual({
      level: 'warn',
      message: 'replies: bad partial signatures',
      fields: { height: 3, culprits: [1] },
    });
    // Replica 3's good partial arrives: now two good ones.
    c3!.onBlock(3, rs);
    await net.deliver((m) => m.from === 3 && m.to === 2);
    expectCertified(await c2!.certificateFor(encodeResult(rs[1]!), 0), rs[1]!);
    // A second partial from the culprit is ignored (first per sender wins; it is already excluded).
    expect(net.logs[1]!.filter((l) => l.message === 'replies: bad partial signatures')).toHaveLength(1);
  });

  it('a replica holding no share still combines others’ partials and serves certificates', async () => {
    const net = network({ shareOf: (i) => (i === 4 ? undefined : shares[i - 1]) });
    const rs = block(4);
    for (const c of net.certifiers) c.onBlock(4, rs);
    await net.deliver();
    expect(net.queue.filter((m) => m.from === 4)).toEqual([]);
    expectCertified(await net.certifiers[3]!.certificateFor(encodeResult(rs[2]!), 0), rs[2]!);
  });

  it('a replica that missed every partial gets the combined signature back for its own partial', async () => {
    const net = network();
    const rs = block(5);
    for (const c of net.certifiers.slice(0, 3)) c.onBlock(5, rs);
    // Replicas 1–3 certify among themselves; everything sent to replica 4 is lost.
    await net.deliver((m) => m.to !== 4);
    net.queue.splice(0, net.queue.length);
    const late = net.certifiers[3]!;
    late.onBlock(5, rs);
    const waiting = late.certificateFor(encodeResult(rs[0]!), 5_000);
    await net.deliver();
    expectCertified(await waiting, rs[0]!);
  });

  it('a peer signing another statement for the height is named and not combined', async () => {
    const net = network();
    const rs = block(6);
    const [c1, c2] = net.certifiers;
    c2!.onBlock(6, rs);
    await net.tick();
    const other = encodeRepliesMessage({
      kind: 'partial',
      epoch: 5,
      height: 6,
      size: 3,
      root: new Uint8Array(32).fill(1),
      index: 1,
      signature: mcl.signG1(new Uint8Array(1), new TextEncoder().encode('x'), shares[0]!.value),
    });
    c2!.onMessage(1, other);
    await net.tick();
    expect(await c2!.certificateFor(encodeResult(rs[0]!), 0)).toBeUndefined();
    expect(net.logs[1]!.map((l) => [l.message, l.fields?.culprits])).toContainEqual([
      'replies: a peer signs another statement for this height',
      [1],
    ]);
    c1!.onBlock(6, rs);
    await net.deliver();
    // The genuine partial of replica 1 still counts (the mismatching one was never recorded).
    expectCertified(await c2!.certificateFor(encodeResult(rs[0]!), 0), rs[0]!);
  });

  it('malformed messages and partials for another share index throw (the mesh disconnects the sender)', () => {
    const net = network();
    const c = net.certifiers[0]!;
    const code = (f: () => void) => {
      try {
        f();
      } catch (e) {
        if (isOmegaError(e)) return [e.code, ...e.culprits];
        throw e;
      }
      return ['none'];
    };
    expect(code(() => c.onMessage(2, Uint8Array.of(1, 1, 0)))).toEqual(['INVALID_ENCODING']);
    const claim = encodeRepliesMessage({
      kind: 'partial',
      epoch: 5,
      height: 1,
      size: 1,
      root: new Uint8Array(32),
      index: 3,
      signature: new Uint8Array(48),
    });
    expect(code(() => c.onMessage(2, claim))).toEqual(['BAD_PARTIAL', 2]);
    expect(decodeRepliesMessage(claim).kind).toBe('partial');
  });

  it('partials from peers ahead are buffered (bounded) and used when the block is decided', async () => {
    const net = network();
    const rs = block(7);
    const [c1, c2] = net.certifiers;
    c1!.onBlock(7, rs);
    await net.deliver((m) => m.to === 2); // replica 2 has not decided height 7 yet: buffered
    c2!.onBlock(7, rs);
    await net.deliver((m) => m.to === 2);
    expectCertified(await c2!.certificateFor(encodeResult(rs[0]!), 0), rs[0]!);
  });

  it('stored signatures survive a restart; a tampered record is not served', async () => {
    const net = network();
    const rs = block(8);
    for (const c of net.certifiers) c.onBlock(8, rs);
    await net.deliver();
    const restarted = net.make(1);
    expectCertified(await restarted.certificateFor(encodeResult(rs[1]!), 0), rs[1]!);
    const store = net.stores[1]!;
    const [k, v] = [...store.map.entries()].find(([name]) => name.startsWith(REPLIES_NAMESPACE))!;
    v[v.length - 1]! ^= 1; // one leaf hash: the stored leaves no longer give the stored root
    store.map.set(k, v);
    const second = net.make(2);
    expect(await second.certificateFor(encodeResult(rs[1]!), 0)).toBeUndefined();
    expect(net.logs[1]!.some((l) => l.message === 'replies: a stored block signature does not decode')).toBe(
      true,
    );
  });
});
