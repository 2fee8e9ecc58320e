/**
 * A real replica facing a scripted peer on the mesh (the peer holds replica 4's pinned identity): it
 * serves block sync from its store with certificates that verify against the committee, and a peer that
 * sends undecodable bytes or a message on the wrong channel is disconnected and reported, while the other
 * replicas keep deciding.
 */
import { afterAll, expect, it } from 'vitest';
import { nodeEd25519Verify } from '../../src/api/ed25519.js';
import {
  decodeMessage,
  encodeMessage,
  genesisTip,
  makeCommittee,
  verifyDecidedBlock,
  blockHash,
  type ConsensusMessage,
  type PrefixTip,
} from '../../src/core/consensus/index.js';
import { loadStoredIdentity } from '../../src/runtime/identity.js';
import {
  CONSENSUS_CHANNEL,
  SYNC_CHANNEL,
  startReplica,
  type ReplicaLogger,
  type RunningReplica,
} from '../../src/runtime/replica/index.js';
import { SqliteStorage } from '../../src/runtime/storage/sqlite.js';
import { MeshTransport } from '../../src/runtime/transport/mesh.js';
import { clientFor, makeTestCluster, silentLogger, type TestCluster } from './replica-helpers.js';

let cluster: TestCluster | undefined;
const replicas: RunningReplica[] = [];
let fake: MeshTransport | undefined;

afterAll(async () => {
  await fake?.close();
  await Promise.all(replicas.map((r) => r.close()));
  cluster?.remove();
});

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
}

it('serves verified block sync to a peer, and disconnects and reports a peer that sends garbage or uses the wrong channel', async () => {
  cluster = await makeTestCluster(4, 'peer');
  const c = cluster;
  const warnings: Record<string, unknown>[] = [];
  const capture: ReplicaLogger = {
    info() {},
    warn: (message, fields) => warnings.push({ ...fields, event: message }),
    error() {},
  };
  for (const [k, config] of c.configs.slice(0, 3).entries()) {
    replicas.push(
      await startReplica(config, {
        logger: k === 0 ? capture : silentLogger,
        tickMs: 10,
        meshLimits: { reconnectMaxMs: 200 },
      }),
    );
  }
  const client = clientFor(
    c.configs,
    new Map(replicas.map((r) => [r.index, r.apiUrl])),
    'replica-peer',
    8_000,
  );
  expect(await until(() => replicas.every((r) => r.node.isReady()), 10_000)).toBe(true);
  for (let i = 0; i < 2; i++) expect((await client.ping(Uint8Array.from([i]))).outcome).toBe('ok');

  // The scripted peer: replica 4's identity, listening where replica 4 would (lower indices dial it).
  const cfg4 = c.configs[3]!;
  const store = await SqliteStorage.open({
    path: cfg4.storePath,
    operatorSecret: { kind: 'keyFile', key: cfg4.operatorKey },
  });
  const identity = loadStoredIdentity(store)!;
  store.close();
  const received: { channel: number; message: ConsensusMessage }[] = [];
  const up = new Set<number>();
  const downs: number[] = [];
  fake = new MeshTransport({
    chainId: cfg4.cluster.chainId,
    self: { index: 4, identity },
    committee: cfg4.cluster.replicas.map((r) => ({ index: r.index, publicKey: r.publicKey })),
    resolve: (i) => cfg4.cluster.replicas[i - 1]?.mesh,
    listenHost: cfg4.replica.listen.mesh.host,
    listenPort: cfg4.replica.listen.mesh.port,
    events: {
      message: (from, channel, body) => {
        // Only the consensus and sync channels carry consensus messages (the others: mempool gossip,
        // reply signature partials).
        if (from === 1 && (channel === CONSENSUS_CHANNEL || channel === SYNC_CHANNEL))
          received.push({ channel, message: decodeMessage(body) });
      },
      peerUp: (p) => up.add(p),
      peerDown: (p) => {
        up.delete(p);
        downs.push(p);
      },
    },
  });
  await fake.start();
  expect(await until(() => up.has(1), 10_000)).toBe(true);

  // Block sync served from storage: contiguous blocks from height 1, each with a valid certificate.
  fake.send(1, SYNC_CHANNEL, encodeMessage({ kind: 'sync-request', fromHeight: 1, maxCount: 64 }));
  expect(await until(() => received.some((r) => r.message.kind === 'sync-response'), 5_000)).toBe(true);
  const response = received.find((r) => r.message.kind === 'sync-response')!;
  expect(response.channel).toBe(SYNC_CHANNEL);
  if (response.message.kind !== 'sync-response') throw new Error('unreachable');
  expect(response.message.blocks.length).toBeGreaterThanOrEqual(1);
  const committee = makeCommittee(cfg4.cluster.replicas.map((r) => ({ publicKey: r.publicKey, power: 1 })));
  let tip: PrefixTip = genesisTip({
    chainId: cfg4.cluster.chainId,
    publicKey: identity.publicKey,
    sign: () => new Uint8Array(64),
    verify: nodeEd25519Verify,
    timeouts: { propose: 1, prevote: 1, precommit: 1, delta: 1, rebroadcast: 1 },
    genesisTimeMs: cfg4.cluster.genesisTimeMs,
  });
  for (const { block, certificate } of response.message.blocks) {
    verifyDecidedBlock(cfg4.cluster.chainId, committee, tip, block, certificate, nodeEd25519Verify);
    tip = { height: block.header.height, hash: blockHash(block), timeMs: block.header.timeMs };
  }

  // Garbage on the consensus channel: disconnected and reported with the decoder's code.
  fake.send(1, CONSENSUS_CHANNEL, Uint8Array.from([0xff, 1, 2, 3]));
  expect(
    await until(
      () =>
        warnings.some(
          (w) => w.event === 'peer misbehaviour' && w.peer === 4 && w.code === 'INVALID_ENCODING',
        ),
      5_000,
    ),
  ).toBe(true);
  expect(await until(() => downs.includes(1), 5_000)).toBe(true);

  // A well-formed message on the wrong channel (sync request on the consensus channel): also reported.
  expect(await until(() => up.has(1), 10_000)).toBe(true);
  const before = warnings.length;
  fake.send(1, CONSENSUS_CHANNEL, encodeMessage({ kind: 'sync-request', fromHeight: 1, maxCount: 1 }));
  expect(await until(() => warnings.length > before, 5_000)).toBe(true);
  expect(
    warnings.slice(before).some((w) => w.event === 'peer misbehaviour' && w.code === 'INVALID_ENCODING'),
  ).toBe(true);

  // The three correct replicas keep deciding.
  expect((await client.ping(Uint8Array.from([9]))).outcome).toBe('ok');
}, 60_000);
