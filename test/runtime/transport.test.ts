/**
 * The mesh transport on loopback with real TLS 1.3 (ephemeral ports). Byzantine peers are raw TLS
 * clients holding a committee member's real key, so they pass authentication and then misbehave.
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { OmegaError, isOmegaError } from '../../src/errors.js';
import { generateReplicaIdentity, type ReplicaIdentity } from '../../src/runtime/identity.js';
import {
  MESH_ALPN,
  MeshTransport,
  encodeFrame,
  type CommitteeMember,
  type MeshLimits,
  type MeshOptions,
  type MisbehaviorReport,
} from '../../src/runtime/transport/index.js';

const CHAIN = 'omega-transport-test';
const LIMITS: Partial<MeshLimits> = {
  frameBytesMax: 64 * 1024,
  helloTimeoutMs: 2_000,
  pingIntervalMs: 200,
  idleTimeoutMs: 3_000,
  reconnectBaseMs: 20,
  reconnectMaxMs: 200,
};

const identities = new Map<number, ReplicaIdentity>();
function identity(i: number): ReplicaIdentity {
  let id = identities.get(i);
  if (id === undefined) {
    id = generateReplicaIdentity(deterministicRandom(`transport-test-replica-${i}`));
    identities.set(i, id);
  }
  return id;
}

function jitter(seed: string): () => number {
  const rng = deterministicRandom(seed);
  return () => new DataView(rng(4).buffer).getUint32(0) / 2 ** 32;
}

interface Received {
  from: number;
  channel: number;
  body: string;
}

interface Node {
  index: number;
  mesh: MeshTransport;
  port: number;
  inbox: Received[];
  reports: MisbehaviorReport[];
  downs: Array<{ peer: number; code: string }>;
}

class Cluster {
  readonly ports = new Map<number, number>();
  readonly nodes = new Map<number, Node>();
  readonly committee: CommitteeMember[];

  constructor(
    readonly n: number,
    readonly overrides: Partial<MeshOptions> = {},
  ) {
    this.committee = Array.from({ length: n }, (_, i) => ({
      index: i + 1,
      publicKey: identity(i + 1).publicKey,
    }));
  }

  resolve = (i: number) => {
    const port = this.ports.get(i);
    return port === undefined ? undefined : { host: '127.0.0.1', port };
  };

  /** Creates, listens and connects node `i` (optionally with another identity or committee). */
  async start(i: number, extra: Partial<MeshOptions> = {}): Promise<Node> {
    const node: Partial<Node> & { inbox: Received[]; reports: MisbehaviorReport[]; downs: Node['downs'] } = {
      index: i,
      inbox: [],
      reports: [],
      downs: [],
    };
    const mesh = new MeshTransport({
      chainId: CHAIN,
      self: { index: i, identity: identity(i) },
      committee: this.committee,
      resolve: this.resolve,
      limits: LIMITS,
      random: jitter(`jitter-${i}`),
      events: {
        message: (from, channel, body) =>
          node.inbox.push({ from, channel, body: Buffer.from(body).toString() }),
        misbehavior: (r) => node.reports.push(r),
        peerDown: (peer, reason) => node.downs.push({ peer, code: reason.code }),
      },
      ...this.overrides,
      ...extra,
    });
    node.mesh = mesh;
    node.port = await mesh.listen();
    this.ports.set(i, node.port);
    mesh.connect();
    this.nodes.set(i, node as Node);
    return node as Node;
  }

  node(i: number): Node {
    return this.nodes.get(i)!;
  }

  async startAll(indices: number[]): Promise<void> {
    for (const i of indices) await this.start(i);
  }

  async waitConnected(indices: number[]): Promise<void> {
    await waitFor(
      () =>
        indices.every(
          (i) => this.node(i).mesh.connectedPeers().join() === indices.filter((j) => j !== i).join(),
        ),
      `mesh ${indices.join(',')} fully connected`,
    );
  }

  async close(): Promise<void> {
    for (const n of this.nodes.values()) await n.mesh.close();
  }
}

async function waitFor(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every node broadcasts one tagged message; waits until each received the others' tags. */
async function exchange(c: Cluster, indices: number[], tag: string): Promise<void> {
  for (const i of indices) c.node(i).mesh.broadcast(1, Buffer.from(`${tag} from ${i}`));
  await waitFor(
    () =>
      indices.every((i) =>
        indices
          .filter((j) => j !== i)
          .every((j) => c.node(i).inbox.some((m) => m.from === j && m.body === `${tag} from ${j}`)),
      ),
    `exchange ${tag} among ${indices.join(',')}`,
  );
}

/** A raw TLS client holding replica `as`'s real key: authenticates, then does whatever the test says. */
function rawClient(
  port: number,
  as: number,
  options: { alpn?: string[]; session?: Buffer } = {},
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const id = identity(as);
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      key: id.privateKeyPem,
      cert: id.certificatePem,
      minVersion: 'TLSv1.3',
      rejectUnauthorized: false,
      ALPNProtocols: options.alpn ?? [MESH_ALPN],
      ...(options.session === undefined ? {} : { session: options.session }),
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.once('close', () => resolve());
    socket.on('error', () => undefined);
    socket.resume(); // read (and discard) so the peer's FIN is seen
  });
}

function hello(from: number, to: number, chainId = CHAIN): Uint8Array {
  return encodeFrame({ type: 'hello', protocolVersion: 1, chainId, from, to });
}

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('mesh transport (TLS 1.3 on loopback)', () => {
  it('a 4-replica full mesh connects every pair once and delivers messages with their sender', async () => {
    cluster = new Cluster(4);
    await cluster.startAll([1, 2, 3, 4]);
    await cluster.waitConnected([1, 2, 3, 4]);
    await exchange(cluster, [1, 2, 3, 4], 'round-1');
    cluster.node(2).mesh.send(4, 7, Buffer.from('direct'));
    const big = Buffer.alloc(LIMITS.frameBytesMax! - 6, 0x61);
    cluster.node(4).mesh.send(1, 3, big);
    await waitFor(
      () => cluster!.node(4).inbox.some((m) => m.from === 2 && m.channel === 7 && m.body === 'direct'),
      'direct',
    );
    await waitFor(
      () =>
        cluster!.node(1).inbox.some((m) => m.from === 4 && m.channel === 3 && m.body.length === big.length),
      'max-size body',
    );
    // Per-peer FIFO: 500 numbered messages from 3 to 1 arrive complete and in order.
    for (let k = 0; k < 500; k++) cluster.node(3).mesh.send(1, 5, Buffer.from(String(k)));
    await waitFor(() => cluster!.node(1).inbox.filter((m) => m.channel === 5).length === 500, 'FIFO burst');
    expect(
      cluster
        .node(1)
        .inbox.filter((m) => m.channel === 5)
        .map((m) => Number(m.body)),
    ).toEqual(Array.from({ length: 500 }, (_, k) => k));
    for (const i of [1, 2, 3, 4]) {
      expect(cluster.node(i).reports).toEqual([]);
      for (const j of [1, 2, 3, 4].filter((j) => j !== i))
        expect(cluster.node(i).mesh.stats(j).connects).toBe(1);
    }
  });

  it('authentication: a replica holding a key that is not pinned is refused in both directions', async () => {
    cluster = new Cluster(4);
    await cluster.startAll([1, 3, 4]);
    // The impostor claims index 2 with its own key; everyone else pins replica 2's real key.
    const impostor = generateReplicaIdentity(deterministicRandom('impostor'));
    const committee = cluster.committee.map((m) =>
      m.index === 2 ? { index: 2, publicKey: impostor.publicKey } : m,
    );
    const fake = await cluster.start(2, { self: { index: 2, identity: impostor }, committee });
    await cluster.waitConnected([1, 3, 4]);
    // Replica 1 dialed "2" and found a server without the pinned key; 3 and 4 were dialed by an unknown key.
    await waitFor(
      () => cluster!.node(1).reports.some((r) => r.peer === 2 && r.code === 'PEER_AUTH_FAILED'),
      'node 1 report',
    );
    await waitFor(
      () => cluster!.node(3).reports.some((r) => r.peer === undefined && r.code === 'PEER_AUTH_FAILED'),
      'node 3 report',
    );
    await waitFor(
      () => cluster!.node(4).reports.some((r) => r.peer === undefined && r.code === 'PEER_AUTH_FAILED'),
      'node 4 report',
    );
    fake.mesh.broadcast(1, Buffer.from('forged'));
    await exchange(cluster, [1, 3, 4], 'after-impostor');
    expect(fake.mesh.connectedPeers()).toEqual([]);
    for (const i of [1, 3, 4]) {
      expect(cluster.node(i).mesh.connectedPeers()).not.toContain(2);
      expect(cluster.node(i).inbox.some((m) => m.body === 'forged')).toBe(false);
    }
  });

  it('a peer sending garbage or an oversized frame is disconnected and reported; the others keep exchanging', async () => {
    cluster = new Cluster(4);
    await cluster.startAll([2, 3, 4]);
    await cluster.waitConnected([2, 3, 4]);
    const port4 = cluster.node(4).port;
    const reports = cluster.node(4).reports;

    // Byzantine replica 1 authenticates with its real key, says hello, then sends an unknown frame type.
    let s = await rawClient(port4, 1);
    s.write(hello(1, 4));
    s.write(Buffer.from([0, 0, 0, 1, 0x7f]));
    await closed(s);
    await waitFor(
      () => reports.some((r) => r.peer === 1 && r.code === 'MALFORMED_FRAME'),
      'MALFORMED_FRAME report',
    );

    // An oversized frame: only the 4-byte header is sent; the connection is cut without waiting for a body.
    s = await rawClient(port4, 1);
    s.write(hello(1, 4));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(LIMITS.frameBytesMax! + 1);
    s.write(header);
    await closed(s);
    await waitFor(
      () => reports.some((r) => r.peer === 1 && r.code === 'FRAME_TOO_LARGE'),
      'FRAME_TOO_LARGE report',
    );

    // Data before hello, and a hello for another chain.
    s = await rawClient(port4, 1);
    s.write(encodeFrame({ type: 'data', channel: 1, body: Uint8Array.of(1) }));
    await closed(s);
    s = await rawClient(port4, 1);
    s.write(hello(1, 4, 'another-chain'));
    await closed(s);
    await waitFor(
      () => reports.some((r) => r.peer === 1 && r.code === 'PEER_HELLO_INVALID'),
      'PEER_HELLO_INVALID report',
    );
    expect(reports.filter((r) => r.peer === 1 && r.code === 'MALFORMED_FRAME').length).toBe(2);

    // Not even TLS: plain bytes on the TCP port.
    const plain = net.connect(port4, '127.0.0.1');
    plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed(plain);
    await waitFor(
      () => reports.some((r) => r.peer === undefined && r.code === 'PEER_AUTH_FAILED'),
      'non-TLS report',
    );

    // TLS 1.3 without a client certificate: the handshake completes (requestCert only asks), then the
    // mesh refuses the connection before reading a frame.
    const anonymous = tls.connect({
      host: '127.0.0.1',
      port: port4,
      minVersion: 'TLSv1.3',
      rejectUnauthorized: false,
      ALPNProtocols: [MESH_ALPN],
    });
    anonymous.on('secureConnect', () => anonymous.write(hello(1, 4)));
    await closed(anonymous);
    await waitFor(
      () => reports.some((r) => r.peer === undefined && /no certificate/.test(r.message)),
      'no-certificate report',
    );

    // The wrong dial direction: replica 4's key dialing replica 2 (only the lower index dials).
    s = await rawClient(cluster.node(2).port, 4);
    await closed(s);
    await waitFor(
      () => cluster!.node(2).reports.some((r) => r.peer === 4 && r.code === 'PEER_HELLO_INVALID'),
      'dial rule',
    );

    await exchange(cluster, [2, 3, 4], 'after-garbage');
    expect(cluster.node(4).inbox.some((m) => m.from === 1)).toBe(false);
    // Two of the sessions got past a valid hello before misbehaving; none is left up.
    expect(cluster.node(4).mesh.stats(1)).toMatchObject({ connected: false, connects: 2, receivedFrames: 0 });
  });

  it('a body the consumer rejects gets its sender disconnected and reported; the dialer reconnects', async () => {
    cluster = new Cluster(3, {});
    await cluster.start(1);
    await cluster.start(2, {
      events: {
        message: (from, channel) => {
          if (channel === 9) throw new OmegaError('INVALID_ENCODING', `undecodable vote from ${from}`);
        },
        misbehavior: (r) => cluster!.node(2).reports.push(r),
      },
    });
    await cluster.start(3);
    await cluster.waitConnected([1, 2, 3]);
    cluster.node(1).mesh.send(2, 9, Buffer.from('garbage vote'));
    await waitFor(
      () => cluster!.node(2).reports.some((r) => r.peer === 1 && r.code === 'INVALID_ENCODING'),
      'report',
    );
    await waitFor(() => cluster!.node(1).mesh.stats(2).connects === 2, 'replica 1 redialed replica 2');
    expect(cluster.node(1).downs).toContainEqual({ peer: 2, code: 'PEER_DISCONNECTED' });
  });

  it('reconnects with backoff after a peer restarts, and queued frames flow again', async () => {
    cluster = new Cluster(4);
    await cluster.startAll([1, 2, 3, 4]);
    await cluster.waitConnected([1, 2, 3, 4]);
    await cluster.node(3).mesh.close();
    cluster.ports.delete(3);
    await waitFor(
      () => [1, 2, 4].every((i) => !cluster!.node(i).mesh.connectedPeers().includes(3)),
      'all saw 3 go',
    );
    for (const i of [1, 2, 4]) expect(cluster.node(i).downs.map((d) => d.peer)).toContain(3);
    cluster.node(1).mesh.send(3, 1, Buffer.from('sent while 3 was down'));
    await new Promise((r) => setTimeout(r, 100)); // a few failed redials (no address) happen meanwhile
    const restarted = await cluster.start(3); // same identity, new ephemeral port
    await cluster.waitConnected([1, 2, 3, 4]);
    await waitFor(
      () => restarted.inbox.some((m) => m.from === 1 && m.body === 'sent while 3 was down'),
      'queued frame',
    );
    await exchange(cluster, [1, 2, 3, 4], 'after-restart');
    expect(cluster.node(1).mesh.stats(3).connects).toBe(2);
    expect(cluster.node(4).mesh.stats(3).connects).toBe(2);
  });

  it('send queues are bounded: drop-oldest keeps the newest frames, counted', async () => {
    cluster = new Cluster(2, { limits: { ...LIMITS, sendQueueFramesMax: 10 } });
    const a = await cluster.start(1);
    for (let k = 0; k < 50; k++) a.mesh.send(2, 1, Buffer.from(`m${k}`));
    expect(a.mesh.stats(2)).toMatchObject({ queuedFrames: 10, droppedFrames: 40, connected: false });
    const b = await cluster.start(2);
    await waitFor(() => b.inbox.length === 10, 'queue flushed');
    expect(b.inbox.map((m) => m.body)).toEqual(Array.from({ length: 10 }, (_, k) => `m${k + 40}`));
    expect(a.mesh.stats(2)).toMatchObject({ queuedFrames: 0, sentFrames: 10, connected: true });
  });

  it('send queues are bounded: the reject policy refuses with SEND_QUEUE_FULL (frames and bytes)', async () => {
    cluster = new Cluster(3, {
      overflow: 'reject',
      limits: { ...LIMITS, sendQueueFramesMax: 4, sendQueueBytesMax: 1000 },
    });
    const a = await cluster.start(1);
    for (let k = 0; k < 4; k++) a.mesh.send(2, 1, Buffer.from(`m${k}`));
    let error: unknown;
    try {
      a.mesh.send(2, 1, Buffer.from('one too many'));
    } catch (e) {
      error = e;
    }
    expect(isOmegaError(error, 'SEND_QUEUE_FULL')).toBe(true);
    expect(() => a.mesh.send(3, 1, Buffer.alloc(995))).toThrow(/SEND_QUEUE_FULL/);
    expect(a.mesh.broadcast(1, Buffer.from('b'))).toEqual([2]);
    expect(a.mesh.stats(2)).toMatchObject({ queuedFrames: 4, rejectedFrames: 2 });
    expect(a.mesh.stats(3)).toMatchObject({ queuedFrames: 1, rejectedFrames: 1 });
  });

  it('a connection that never says hello is dropped after helloTimeoutMs (PEER_TIMEOUT, not misbehaviour)', async () => {
    cluster = new Cluster(2, { limits: { ...LIMITS, helloTimeoutMs: 300 } });
    const b = await cluster.start(2);
    const s = await rawClient(b.port, 1);
    const t0 = Date.now();
    await closed(s);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(b.reports).toEqual([]);
  });

  it('liveness: a peer that stops answering is pinged, then dropped after idleTimeoutMs (PEER_TIMEOUT)', async () => {
    cluster = new Cluster(2, { limits: { ...LIMITS, pingIntervalMs: 100, idleTimeoutMs: 500 } });
    const b = await cluster.start(2);
    // Replica 1 (its real key) says hello, then goes silent while its TCP stack still acknowledges.
    const s = await rawClient(b.port, 1);
    let received = 0;
    s.on('data', (chunk: Buffer) => (received += chunk.length));
    s.write(hello(1, 2));
    await waitFor(() => b.mesh.connectedPeers().includes(1), 'replica 1 up');
    const t0 = Date.now();
    await waitFor(
      () => b.downs.some((d) => d.peer === 1 && d.code === 'PEER_TIMEOUT'),
      'idle timeout',
      5_000,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    // hello (from 2) plus at least two pings arrived: the silence was the peer's, not ours.
    expect(received).toBeGreaterThan(hello(2, 1).length + 2 * 9);
    expect(b.reports).toEqual([]);
    await closed(s);
  });

  it('TLS sessions are never resumed: every connection proves its key with a full handshake', async () => {
    cluster = new Cluster(2);
    const b = await cluster.start(2);
    const first = await rawClient(b.port, 1);
    const session = await new Promise<Buffer>((resolve) => {
      first.once('session', resolve);
      first.write(hello(1, 2));
    });
    await waitFor(() => b.mesh.connectedPeers().includes(1), 'replica 1 up');
    first.destroy();
    const second = await rawClient(b.port, 1, { session });
    expect(second.isSessionReused()).toBe(false);
    second.write(hello(1, 2));
    await waitFor(() => b.mesh.stats(1).connects === 2, 'second full-handshake connection up');
    expect(b.reports).toEqual([]);
    second.destroy();
  });

  it('rejects bad arguments with documented codes', async () => {
    cluster = new Cluster(2);
    const a = await cluster.start(1);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isOmegaError(e) ? e.code : String(e);
      }
      return undefined;
    };
    expect(code(() => a.mesh.send(9, 1, Uint8Array.of(1)))).toBe('UNKNOWN_PEER');
    expect(code(() => a.mesh.send(1, 1, Uint8Array.of(1)))).toBe('INVALID_ARGUMENT');
    expect(code(() => a.mesh.send(2, 256, Uint8Array.of(1)))).toBe('OUT_OF_RANGE');
    expect(code(() => a.mesh.send(2, 1, 'text' as any))).toBe('INVALID_ARGUMENT');
    expect(code(() => a.mesh.send(2, 1, new Uint8Array(LIMITS.frameBytesMax!)))).toBe('LIMIT_EXCEEDED');
    // An address book entry with an impossible port is retried with backoff, not a crash.
    cluster.ports.set(2, 70_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.mesh.stats(2).connected).toBe(false);
    const base: MeshOptions = {
      chainId: CHAIN,
      self: { index: 1, identity: identity(1) },
      committee: cluster.committee,
      resolve: () => undefined,
      events: { message: () => undefined },
    };
    expect(code(() => new MeshTransport({ ...base, chainId: '' }))).toBe('INVALID_ARGUMENT');
    expect(code(() => new MeshTransport({ ...base, self: { index: 2, identity: identity(1) } }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(code(() => new MeshTransport({ ...base, self: { index: 5, identity: identity(1) } }))).toBe(
      'UNKNOWN_PEER',
    );
    expect(
      code(
        () =>
          new MeshTransport({
            ...base,
            committee: [...cluster!.committee, { index: 3, publicKey: identity(1).publicKey }],
          }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(code(() => new MeshTransport({ ...base, limits: { frameBytesMax: 1 << 30 } }))).toBe(
      'OUT_OF_RANGE',
    );
    expect(
      code(() => new MeshTransport({ ...base, limits: { idleTimeoutMs: 100, pingIntervalMs: 200 } })),
    ).toBe('INVALID_ARGUMENT');
    await a.mesh.close();
    expect(code(() => a.mesh.send(2, 1, Uint8Array.of(1)))).toBe('TRANSPORT_CLOSED');
  });
});
