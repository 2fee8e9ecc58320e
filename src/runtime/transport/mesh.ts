/**
 * The replica mesh: one mutually authenticated TLS 1.3 connection per pair of replicas
 * (ARCHITECTURE.md D13; docs/transport.md).
 *
 * - **Authentication by pinned keys.** Each replica presents a self-signed certificate carrying its Ed25519
 *   identity key (src/runtime/identity.ts). TLS 1.3 proves possession of that key (the CertificateVerify
 *   signature over the handshake transcript, RFC 8446 §4.4.3); the mesh then compares the key with the one
 *   the cluster configuration pins for that replica and drops the connection on any mismatch. Chain
 *   validation is switched off on purpose: there is no CA, the pinned key *is* the trust anchor, as in SSH.
 * - **One connection per pair.** The lower index dials the higher; an acceptor refuses a dial from a higher
 *   index (PEER_HELLO_INVALID). A new connection from a peer replaces its old one (the peer restarted).
 * - **Hello.** The first frame each way binds the chain id, the protocol version and both indices, so a
 *   replica key reused in another cluster, or a misconfigured index, is refused. A connection is *up* only
 *   after both hellos: the dialer cannot mistake a server that later rejects its certificate for a peer.
 * - **Frames.** u32 length prefix + a `src/codec.ts` payload (frame.ts), maximum size enforced on the
 *   header. A peer that sends garbage, an oversized frame, or a body the consumer rejects is disconnected
 *   and reported with its index and a stable code; other peers are unaffected.
 * - **Bounded send queues.** Per peer, by frames and bytes. Overflow policy `drop-oldest` (the default,
 *   for consensus traffic, which the core rebroadcasts on a timer anyway: the newest round state matters,
 *   stale votes do not) or `reject` (SEND_QUEUE_FULL to the caller). Frames are queued while a peer is
 *   down and flushed on reconnect. Drops and rejections are counted in {@link PeerStats}.
 * - **Reconnect** with capped exponential backoff and jitter (backoff.ts), by the dialing side only.
 * - **Liveness.** A ping after `pingIntervalMs` of send silence; a peer silent for `idleTimeoutMs`, or one
 *   that does not finish TLS + hello within `helloTimeoutMs`, is dropped (PEER_TIMEOUT).
 */
import { constants as cryptoConstants } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { equalBytes } from '../../crypto/bytes.js';
import { OmegaError, isOmegaError, type ErrorCode } from '../../errors.js';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ed25519PublicKeyFromKeyObject,
  type ReplicaIdentity,
} from '../identity.js';
import { TRANSPORT_LIMITS } from '../limits.js';
import { reconnectDelayMs } from './backoff.js';
import { DATA_OVERHEAD_BYTES, FrameDecoder, PROTOCOL_VERSION, encodeFrame, type Frame } from './frame.js';

/**
 * Bytes Node's socket may buffer beyond our queue before flushing pauses for 'drain'. Larger than the
 * stream's 16 KiB high-water mark so a burst of small frames is not cut into a drain cycle every 64 frames.
 */
const SOCKET_BUFFER_BYTES_MAX = 1 << 20;

/** ALPN id of the mesh protocol: a TLS client of another protocol (the HTTP API, say) cannot connect. */
export const MESH_ALPN = 'omega-mesh/1';

/** A member of the committee as the cluster configuration pins it. */
export interface CommitteeMember {
  /** Replica index, 1-based. */
  readonly index: number;
  /** Raw 32-byte Ed25519 identity key. */
  readonly publicKey: Uint8Array;
}

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface MeshLimits {
  readonly frameBytesMax: number;
  readonly sendQueueFramesMax: number;
  readonly sendQueueBytesMax: number;
  readonly helloTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly idleTimeoutMs: number;
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
}

export type OverflowPolicy = 'drop-oldest' | 'reject';

/** Who misbehaved and how (STYLE.md practice 5). `peer` is undefined when the key is not in the committee. */
export interface MisbehaviorReport {
  readonly peer: number | undefined;
  readonly code: ErrorCode;
  readonly message: string;
  readonly remoteAddress: string | undefined;
}

export interface MeshEvents {
  /**
   * A DATA frame from an authenticated peer. If the handler throws an `OmegaError` (its decoder rejected
   * the body), the peer is disconnected and reported with that error's code; any other exception is a bug
   * in the handler and is rethrown.
   */
  readonly message: (from: number, channel: number, body: Uint8Array) => void;
  readonly peerUp?: (peer: number) => void;
  readonly peerDown?: (peer: number, reason: OmegaError) => void;
  readonly misbehavior?: (report: MisbehaviorReport) => void;
}

export interface MeshOptions {
  readonly chainId: string;
  readonly self: { readonly index: number; readonly identity: ReplicaIdentity };
  /** The whole committee, self included. */
  readonly committee: readonly CommitteeMember[];
  /** The address book, asked at every dial (so a peer may move between restarts). */
  readonly resolve: (index: number) => PeerAddress | undefined;
  readonly listenHost?: string;
  /** 0 (the default) picks an ephemeral port; {@link MeshTransport.listen} returns it. */
  readonly listenPort?: number;
  readonly limits?: Partial<MeshLimits>;
  readonly overflow?: OverflowPolicy;
  /** Uniform in [0, 1), for reconnect jitter. Defaults to Math.random (jitter needs no secrecy). */
  readonly random?: () => number;
  readonly events: MeshEvents;
}

export interface PeerStats {
  readonly connected: boolean;
  readonly queuedFrames: number;
  readonly queuedBytes: number;
  /** Frames dropped from the queue by the drop-oldest policy. */
  readonly droppedFrames: number;
  /** Frames refused by the reject policy. */
  readonly rejectedFrames: number;
  readonly sentFrames: number;
  readonly receivedFrames: number;
  /** Times a connection to this peer came up. */
  readonly connects: number;
}

/** Codes that are a peer's fault and are reported as misbehaviour (timeouts and resets are not). */
const MISBEHAVIOR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'FRAME_TOO_LARGE',
  'MALFORMED_FRAME',
  'PEER_AUTH_FAILED',
  'PEER_HELLO_INVALID',
]);

export function defaultMeshLimits(): MeshLimits {
  return {
    frameBytesMax: TRANSPORT_LIMITS.frameBytesMaxDefault,
    sendQueueFramesMax: TRANSPORT_LIMITS.sendQueueFramesMaxDefault,
    sendQueueBytesMax: TRANSPORT_LIMITS.sendQueueBytesMaxDefault,
    helloTimeoutMs: TRANSPORT_LIMITS.helloTimeoutMsDefault,
    pingIntervalMs: TRANSPORT_LIMITS.pingIntervalMsDefault,
    idleTimeoutMs: TRANSPORT_LIMITS.idleTimeoutMsDefault,
    reconnectBaseMs: TRANSPORT_LIMITS.reconnectBaseMsDefault,
    reconnectMaxMs: TRANSPORT_LIMITS.reconnectMaxMsDefault,
  };
}

/** FIFO of encoded frames with O(1) push and shift (Array.prototype.shift is O(n) on large arrays). */
class FrameQueue {
  private items: (Uint8Array | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(frame: Uint8Array): void {
    this.items.push(frame);
  }

  shift(): Uint8Array | undefined {
    if (this.head >= this.items.length) return undefined;
    const frame = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact once the consumed prefix dominates, keeping memory proportional to the live queue.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return frame;
  }
}

class Peer {
  conn: Connection | undefined;
  dialing = false;
  attempt = 0;
  reconnectTimer: NodeJS.Timeout | undefined;
  flushScheduled = false;
  readonly queue = new FrameQueue();
  queueBytes = 0;
  dropped = 0;
  rejected = 0;
  sent = 0;
  received = 0;
  connects = 0;
  constructor(
    readonly index: number,
    readonly publicKey: Uint8Array,
  ) {}
}

class Connection {
  peer: Peer | undefined;
  helloDone = false;
  closed = false;
  blocked = false;
  reason: OmegaError | undefined;
  lastRecvMs = performance.now();
  lastSendMs = performance.now();
  pingSeq = 0;
  helloTimer: NodeJS.Timeout | undefined;
  tick: NodeJS.Timeout | undefined;
  readonly decoder: FrameDecoder;
  constructor(
    readonly socket: tls.TLSSocket,
    readonly outbound: boolean,
    frameBytesMax: number,
  ) {
    this.decoder = new FrameDecoder(frameBytesMax);
  }
}

/** The replica mesh transport. Create, {@link listen} (or {@link start}), send, {@link close}. */
export class MeshTransport {
  private readonly limits: MeshLimits;
  private readonly peers = new Map<number, Peer>();
  private readonly connections = new Set<Connection>();
  private readonly server: tls.Server;
  private readonly random: () => number;
  private readonly overflow: OverflowPolicy;
  private closed = false;
  private listening = false;
  private connecting = false;

  constructor(private readonly options: MeshOptions) {
    this.limits = validateLimits({ ...defaultMeshLimits(), ...(options.limits ?? {}) });
    this.random = options.random ?? Math.random;
    this.overflow = options.overflow ?? 'drop-oldest';
    if (this.overflow !== 'drop-oldest' && this.overflow !== 'reject') {
      throw new OmegaError('INVALID_ARGUMENT', 'overflow must be drop-oldest or reject');
    }
    validateChainId(options.chainId);
    const seenKeys = new Set<string>();
    for (const m of options.committee) {
      checkIndex(m.index);
      if (!(m.publicKey instanceof Uint8Array) || m.publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
        throw new OmegaError('INVALID_LENGTH', `replica ${m.index}: a pinned key is 32 bytes`);
      }
      const hex = Buffer.from(m.publicKey).toString('hex');
      if (this.peers.has(m.index) || seenKeys.has(hex)) {
        throw new OmegaError(
          'INVALID_ARGUMENT',
          `replica ${m.index}: duplicate index or key in the committee`,
        );
      }
      seenKeys.add(hex);
      this.peers.set(m.index, new Peer(m.index, Uint8Array.from(m.publicKey)));
    }
    const me = this.peers.get(options.self.index);
    if (me === undefined)
      throw new OmegaError('UNKNOWN_PEER', `self ${options.self.index} is not in the committee`);
    if (!equalBytes(me.publicKey, options.self.identity.publicKey)) {
      throw new OmegaError('INVALID_ARGUMENT', 'the identity does not match the key pinned for self');
    }
    this.peers.delete(options.self.index);

    this.server = tls.createServer({
      key: options.self.identity.privateKeyPem,
      cert: options.self.identity.certificatePem,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      requestCert: true,
      // Chain validation is replaced by key pinning (module comment); the handshake still verifies
      // the client's CertificateVerify signature with the certificate's key.
      rejectUnauthorized: false,
      ALPNProtocols: [MESH_ALPN],
      handshakeTimeout: this.limits.helloTimeoutMs,
      secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
    });
    // Bound concurrent sockets (handshaking ones included): a few per peer covers restarts and races;
    // unauthenticated floods beyond it are refused by the kernel accept path, not buffered.
    this.server.maxConnections = 4 * options.committee.length;
    this.server.on('secureConnection', (socket) => this.accept(socket));
    this.server.on('tlsClientError', (err, socket) => {
      this.report(
        undefined,
        'PEER_AUTH_FAILED',
        `TLS handshake failed: ${err.message}`,
        socket.remoteAddress,
      );
      socket.destroy();
    });
    this.server.on('error', () => {
      // Listening errors surface through listen()'s promise; later server errors close nothing else.
    });
  }

  /** Starts accepting connections; resolves with the bound port. */
  listen(): Promise<number> {
    this.checkOpen();
    if (this.listening) return Promise.resolve((this.server.address() as AddressInfo).port);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.options.listenPort ?? 0, this.options.listenHost ?? '127.0.0.1', () => {
        this.server.off('error', onError);
        this.listening = true;
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Starts dialing every peer with a higher index (the dial rule). */
  connect(): void {
    this.checkOpen();
    if (this.connecting) return;
    this.connecting = true;
    for (const peer of this.peers.values()) if (peer.index > this.options.self.index) this.dial(peer);
  }

  /** {@link listen} then {@link connect}. */
  async start(): Promise<number> {
    const port = await this.listen();
    this.connect();
    return port;
  }

  /**
   * Queues `body` for `to` on `channel` (0–255). Throws UNKNOWN_PEER, INVALID_ARGUMENT (self),
   * LIMIT_EXCEEDED (frame too large), SEND_QUEUE_FULL (reject policy, queue full), TRANSPORT_CLOSED.
   */
  send(to: number, channel: number, body: Uint8Array): void {
    this.checkOpen();
    const peer = this.peerOrThrow(to);
    this.enqueue(peer, this.encodeData(channel, body));
  }

  /**
   * Queues the same frame for every peer (encoded once). Returns the peers whose queue refused it
   * (reject policy only; drop-oldest never refuses).
   */
  broadcast(channel: number, body: Uint8Array): number[] {
    this.checkOpen();
    const frame = this.encodeData(channel, body);
    const refused: number[] = [];
    for (const peer of this.peers.values()) {
      try {
        this.enqueue(peer, frame);
      } catch (e) {
        if (!isOmegaError(e, 'SEND_QUEUE_FULL')) throw e;
        refused.push(peer.index);
      }
    }
    return refused;
  }

  /**
   * Disconnects `peer` and reports it, for a misbehaviour found above the transport (a body that does not
   * decode, a bad signature). The dialing side reconnects after backoff; the peer's record is the caller's.
   */
  penalize(peer: number, error: OmegaError): void {
    const p = this.peerOrThrow(peer);
    const conn = p.conn;
    this.report(peer, error.code, error.message, conn?.socket.remoteAddress);
    if (conn !== undefined) this.drop(conn, error, false);
  }

  stats(peer: number): PeerStats {
    const p = this.peerOrThrow(peer);
    return {
      connected: p.conn !== undefined,
      queuedFrames: p.queue.length,
      queuedBytes: p.queueBytes,
      droppedFrames: p.dropped,
      rejectedFrames: p.rejected,
      sentFrames: p.sent,
      receivedFrames: p.received,
      connects: p.connects,
    };
  }

  /** Indices of the peers whose connection is up, ascending. */
  connectedPeers(): number[] {
    return [...this.peers.values()]
      .filter((p) => p.conn !== undefined)
      .map((p) => p.index)
      .sort((a, b) => a - b);
  }

  /** Closes the listener and every connection, and stops reconnecting. No events fire afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const peer of this.peers.values()) {
      if (peer.reconnectTimer !== undefined) clearTimeout(peer.reconnectTimer);
      peer.conn = undefined;
    }
    for (const conn of this.connections) this.destroy(conn);
    if (this.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ── connection setup ───────────────────────────────────────────────────────────────────────────

  private dial(peer: Peer): void {
    if (this.closed || peer.conn !== undefined || peer.dialing) return;
    const address = this.options.resolve(peer.index);
    if (address === undefined) {
      this.scheduleReconnect(peer);
      return;
    }
    const identity = this.options.self.identity;
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({
        host: address.host,
        port: address.port,
        key: identity.privateKeyPem,
        cert: identity.certificatePem,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        rejectUnauthorized: false, // replaced by the pin check below (module comment)
        ALPNProtocols: [MESH_ALPN],
      });
    } catch {
      // A malformed address from the address book (bad port, say) throws synchronously: treat it like an
      // unreachable peer and retry after backoff instead of crashing the timer that called us.
      this.scheduleReconnect(peer);
      return;
    }
    peer.dialing = true;
    const conn = this.track(socket, true);
    conn.peer = peer;
    socket.once('secureConnect', () => {
      try {
        this.checkTlsParameters(socket);
        const key = peerKey(socket);
        if (!equalBytes(key, peer.publicKey)) {
          throw new OmegaError(
            'PEER_AUTH_FAILED',
            `the server at ${address.host}:${address.port} does not hold the key pinned for replica ${peer.index}`,
          );
        }
      } catch (e) {
        this.fail(conn, e);
        return;
      }
      this.listenFrames(conn);
      this.write(conn, encodeFrame(this.hello(peer.index)));
    });
  }

  private accept(socket: tls.TLSSocket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const conn = this.track(socket, false);
    try {
      this.checkTlsParameters(socket);
      const key = peerKey(socket);
      const peer = [...this.peers.values()].find((p) => equalBytes(p.publicKey, key));
      if (peer === undefined) {
        throw new OmegaError(
          'PEER_AUTH_FAILED',
          'the client key is not pinned for any replica of the committee',
        );
      }
      conn.peer = peer;
      if (peer.index > this.options.self.index) {
        throw new OmegaError(
          'PEER_HELLO_INVALID',
          `replica ${peer.index} dialed ${this.options.self.index}; the lower index dials`,
        );
      }
    } catch (e) {
      this.fail(conn, e);
      return;
    }
    this.listenFrames(conn);
  }

  private track(socket: tls.TLSSocket, outbound: boolean): Connection {
    const conn = new Connection(socket, outbound, this.limits.frameBytesMax);
    this.connections.add(conn);
    // Consensus traffic is small messages that wait on each other (proposal → votes → votes): Nagle's
    // algorithm would hold a vote back until the previous segment is ACKed, and with delayed ACKs that
    // is up to 40 ms per hop (RFC 896; RFC 1122 §4.2.3.2). The flush path already corks per burst.
    socket.setNoDelay(true);
    conn.helloTimer = setTimeout(() => {
      this.drop(
        conn,
        new OmegaError('PEER_TIMEOUT', `no TLS handshake and hello within ${this.limits.helloTimeoutMs} ms`),
        false,
      );
    }, this.limits.helloTimeoutMs);
    conn.helloTimer.unref();
    socket.on('error', (err: Error) => {
      conn.reason ??= new OmegaError('PEER_DISCONNECTED', `connection error: ${err.message}`, { cause: err });
    });
    socket.on('close', () => this.onClose(conn));
    return conn;
  }

  private checkTlsParameters(socket: tls.TLSSocket): void {
    if (socket.getProtocol() !== 'TLSv1.3') throw new OmegaError('PEER_AUTH_FAILED', 'not TLS 1.3');
    // Every connection proves possession of its key afresh (CertificateVerify); a resumed session would
    // skip that, so none is offered (no tickets) and none is accepted.
    if (socket.isSessionReused()) {
      throw new OmegaError('PEER_AUTH_FAILED', 'TLS session resumption is not accepted');
    }
    if (socket.alpnProtocol !== MESH_ALPN)
      throw new OmegaError('PEER_AUTH_FAILED', 'peer did not negotiate the mesh ALPN id');
  }

  private listenFrames(conn: Connection): void {
    conn.socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
  }

  private hello(to: number): Frame {
    return {
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      chainId: this.options.chainId,
      from: this.options.self.index,
      to,
    };
  }

  // ── frames ─────────────────────────────────────────────────────────────────────────────────────

  private onData(conn: Connection, chunk: Buffer): void {
    if (conn.closed) return;
    conn.lastRecvMs = performance.now();
    let frames: Frame[];
    try {
      frames = conn.decoder.push(chunk);
    } catch (e) {
      this.fail(conn, e);
      return;
    }
    for (const frame of frames) {
      if (conn.closed) return;
      try {
        this.onFrame(conn, frame);
      } catch (e) {
        if (!(e instanceof OmegaError)) throw e;
        this.fail(conn, e);
        return;
      }
    }
  }

  private onFrame(conn: Connection, frame: Frame): void {
    const peer = conn.peer;
    if (peer === undefined) throw new Error('invariant violated: frame before authentication');
    if (!conn.helloDone) {
      if (frame.type !== 'hello')
        throw new OmegaError('MALFORMED_FRAME', `expected hello, got ${frame.type}`);
      if (frame.protocolVersion !== PROTOCOL_VERSION) {
        throw new OmegaError(
          'PEER_HELLO_INVALID',
          `protocol version ${frame.protocolVersion}, expected ${PROTOCOL_VERSION}`,
        );
      }
      if (frame.chainId !== this.options.chainId) {
        throw new OmegaError(
          'PEER_HELLO_INVALID',
          `hello for chain "${frame.chainId}", expected "${this.options.chainId}"`,
        );
      }
      if (frame.from !== peer.index || frame.to !== this.options.self.index) {
        throw new OmegaError(
          'PEER_HELLO_INVALID',
          `hello from ${frame.from} to ${frame.to}; the key is replica ${peer.index}'s and this is ${this.options.self.index}`,
        );
      }
      if (!conn.outbound) this.write(conn, encodeFrame(this.hello(peer.index)));
      this.onUp(conn, peer);
      return;
    }
    switch (frame.type) {
      case 'hello':
        throw new OmegaError('MALFORMED_FRAME', 'second hello on a connection');
      case 'ping':
        this.write(conn, encodeFrame({ type: 'pong', seq: frame.seq }));
        return;
      case 'pong':
        return;
      case 'data':
        peer.received++;
        try {
          this.options.events.message(peer.index, frame.channel, frame.body);
        } catch (e) {
          // The consumer rejected the body: the peer's fault, whatever the code (module comment).
          if (!(e instanceof OmegaError)) throw e;
          this.drop(conn, e, true);
        }
        return;
    }
  }

  private onUp(conn: Connection, peer: Peer): void {
    conn.helloDone = true;
    if (conn.helloTimer !== undefined) clearTimeout(conn.helloTimer);
    const old = peer.conn;
    peer.conn = conn;
    peer.dialing = false;
    peer.attempt = 0;
    peer.connects++;
    // A newer connection from the same peer wins: the peer restarted and the old one is half-open.
    if (old !== undefined && old !== conn) this.destroy(old);
    conn.tick = setInterval(
      () => this.onTick(conn),
      Math.max(10, Math.floor(this.limits.pingIntervalMs / 2)),
    );
    conn.tick.unref();
    if (!this.closed) this.options.events.peerUp?.(peer.index);
    this.flush(peer);
  }

  private onTick(conn: Connection): void {
    const now = performance.now();
    if (now - conn.lastRecvMs > this.limits.idleTimeoutMs) {
      this.drop(
        conn,
        new OmegaError('PEER_TIMEOUT', `nothing received for ${this.limits.idleTimeoutMs} ms`),
        false,
      );
      return;
    }
    if (now - conn.lastSendMs >= this.limits.pingIntervalMs) {
      conn.pingSeq = (conn.pingSeq + 1) >>> 0;
      this.write(conn, encodeFrame({ type: 'ping', seq: conn.pingSeq }));
    }
  }

  // ── sending ────────────────────────────────────────────────────────────────────────────────────

  private encodeData(channel: number, body: Uint8Array): Uint8Array {
    if (!Number.isInteger(channel) || channel < 0 || channel > 0xff) {
      throw new OmegaError('OUT_OF_RANGE', 'channel must be an integer in [0, 255]');
    }
    if (!(body instanceof Uint8Array)) throw new OmegaError('INVALID_ARGUMENT', 'body must be a Uint8Array');
    if (body.length + DATA_OVERHEAD_BYTES > this.limits.frameBytesMax) {
      throw new OmegaError(
        'LIMIT_EXCEEDED',
        `a body of ${body.length} bytes exceeds the frame limit of ${this.limits.frameBytesMax}`,
      );
    }
    return encodeFrame({ type: 'data', channel, body });
  }

  private queueFull(peer: Peer, extraBytes: number): boolean {
    return (
      peer.queue.length >= this.limits.sendQueueFramesMax ||
      peer.queueBytes + extraBytes > this.limits.sendQueueBytesMax
    );
  }

  private enqueue(peer: Peer, frame: Uint8Array): void {
    if (this.overflow === 'reject') {
      if (this.queueFull(peer, frame.length)) {
        peer.rejected++;
        throw new OmegaError('SEND_QUEUE_FULL', `the send queue of replica ${peer.index} is full`);
      }
    } else {
      while (peer.queue.length > 0 && this.queueFull(peer, frame.length)) {
        peer.queueBytes -= peer.queue.shift()!.length;
        peer.dropped++;
      }
      if (this.queueFull(peer, frame.length)) {
        // A single frame larger than the whole byte budget: drop it too, counted.
        peer.dropped++;
        return;
      }
    }
    peer.queue.push(frame);
    peer.queueBytes += frame.length;
    // Flush once per tick, not once per send: the frames queued by one synchronous run of the consensus
    // core (a broadcast, a burst of votes) leave in one corked write.
    if (!peer.flushScheduled) {
      peer.flushScheduled = true;
      queueMicrotask(() => {
        peer.flushScheduled = false;
        this.flush(peer);
      });
    }
  }

  private flush(peer: Peer): void {
    const conn = peer.conn;
    if (conn === undefined || conn.closed || conn.blocked) return;
    const socket = conn.socket;
    // Cork so a run of small frames leaves as few TLS records and syscalls as possible.
    socket.cork();
    try {
      while (peer.queue.length > 0) {
        if (socket.writableLength >= SOCKET_BUFFER_BYTES_MAX) {
          // Node's socket buffer holds a bounded amount; the rest waits in our bounded queue until 'drain'
          // (which fires because the last write, far above the stream's high-water mark, returned false).
          conn.blocked = true;
          socket.once('drain', () => {
            conn.blocked = false;
            this.flush(peer);
          });
          return;
        }
        const frame = peer.queue.shift()!;
        peer.queueBytes -= frame.length;
        peer.sent++;
        this.write(conn, frame);
      }
    } finally {
      socket.uncork();
    }
  }

  private write(conn: Connection, bytes: Uint8Array): boolean {
    conn.lastSendMs = performance.now();
    return conn.socket.write(bytes);
  }

  // ── failures and teardown ──────────────────────────────────────────────────────────────────────

  /** Drops a connection for `error`, reporting it if it is the peer's fault. */
  private fail(conn: Connection, error: unknown): void {
    const e =
      error instanceof OmegaError
        ? error
        : new OmegaError('PEER_AUTH_FAILED', error instanceof Error ? error.message : String(error), {
            cause: error,
          });
    this.drop(conn, e, MISBEHAVIOR_CODES.has(e.code));
  }

  private drop(conn: Connection, reason: OmegaError, report: boolean): void {
    if (conn.closed) return;
    conn.reason = reason;
    if (report) this.report(conn.peer?.index, reason.code, reason.message, conn.socket.remoteAddress);
    this.destroy(conn);
  }

  private destroy(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    if (conn.helloTimer !== undefined) clearTimeout(conn.helloTimer);
    if (conn.tick !== undefined) clearInterval(conn.tick);
    conn.socket.destroy();
  }

  private onClose(conn: Connection): void {
    this.destroy(conn);
    this.connections.delete(conn);
    const peer = conn.peer;
    if (peer === undefined) return;
    if (peer.conn === conn) {
      peer.conn = undefined;
      if (!this.closed) {
        this.options.events.peerDown?.(
          peer.index,
          conn.reason ?? new OmegaError('PEER_DISCONNECTED', 'connection closed by the peer'),
        );
      }
    }
    if (conn.outbound) {
      peer.dialing = false;
      if (peer.conn === undefined) this.scheduleReconnect(peer);
    }
  }

  private scheduleReconnect(peer: Peer): void {
    if (this.closed || peer.reconnectTimer !== undefined) return;
    const delay = reconnectDelayMs(
      peer.attempt,
      { baseMs: this.limits.reconnectBaseMs, maxMs: this.limits.reconnectMaxMs },
      this.random,
    );
    peer.attempt++;
    peer.reconnectTimer = setTimeout(() => {
      peer.reconnectTimer = undefined;
      this.dial(peer);
    }, delay);
    peer.reconnectTimer.unref();
  }

  private report(
    peer: number | undefined,
    code: ErrorCode,
    message: string,
    remoteAddress: string | undefined,
  ): void {
    if (this.closed) return;
    this.options.events.misbehavior?.({ peer, code, message, remoteAddress });
  }

  private peerOrThrow(index: number): Peer {
    if (index === this.options.self.index) {
      throw new OmegaError(
        'INVALID_ARGUMENT',
        'the mesh does not send to self; hand own messages to the core directly',
      );
    }
    const peer = this.peers.get(index);
    if (peer === undefined) throw new OmegaError('UNKNOWN_PEER', `replica ${index} is not in the committee`);
    return peer;
  }

  private checkOpen(): void {
    if (this.closed) throw new OmegaError('TRANSPORT_CLOSED', 'the transport is closed');
  }
}

/** The pinned-key view of a TLS peer: its certificate's raw Ed25519 key. */
function peerKey(socket: tls.TLSSocket): Uint8Array {
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) throw new OmegaError('PEER_AUTH_FAILED', 'the peer presented no certificate');
  return ed25519PublicKeyFromKeyObject(cert.publicKey);
}

function checkIndex(index: unknown): void {
  if (
    typeof index !== 'number' ||
    !Number.isSafeInteger(index) ||
    index < 1 ||
    index > TRANSPORT_LIMITS.committeeSizeMax
  ) {
    throw new OmegaError(
      'OUT_OF_RANGE',
      `replica index must be in [1, ${TRANSPORT_LIMITS.committeeSizeMax}]`,
    );
  }
}

function validateChainId(chainId: unknown): void {
  if (
    typeof chainId !== 'string' ||
    chainId.length === 0 ||
    Buffer.byteLength(chainId) > TRANSPORT_LIMITS.chainIdBytesMax
  ) {
    throw new OmegaError(
      'INVALID_ARGUMENT',
      `chain id must be a non-empty string of at most ${TRANSPORT_LIMITS.chainIdBytesMax} bytes`,
    );
  }
}

function validateLimits(l: MeshLimits): MeshLimits {
  const positive = (v: number, name: string) => {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new OmegaError('OUT_OF_RANGE', `${name} must be a positive integer`);
  };
  for (const [name, v] of Object.entries(l)) positive(v as number, name);
  if (l.frameBytesMax < 64 || l.frameBytesMax > TRANSPORT_LIMITS.frameBytesMaxCeiling) {
    throw new OmegaError(
      'OUT_OF_RANGE',
      `frameBytesMax must be in [64, ${TRANSPORT_LIMITS.frameBytesMaxCeiling}]`,
    );
  }
  if (l.reconnectMaxMs < l.reconnectBaseMs)
    throw new OmegaError('INVALID_ARGUMENT', 'reconnectMaxMs < reconnectBaseMs');
  if (l.idleTimeoutMs <= l.pingIntervalMs)
    throw new OmegaError('INVALID_ARGUMENT', 'idleTimeoutMs must exceed pingIntervalMs');
  return l;
}
