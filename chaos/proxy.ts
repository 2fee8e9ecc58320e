/**
 * A fault-injecting TCP proxy for one replica-to-replica mesh link (docs/reliability.md, "Faults").
 *
 * The mesh has one TLS connection per pair, dialed by the lower index (docs/transport.md), so the dialing
 * replica's cluster.json names the proxy's port instead of the peer's: every byte of the pair's link
 * crosses this proxy, which the harness switches between
 * - `pass`: bytes forwarded as they come;
 * - `delay`: every chunk held `ms` (± `jitterMs`) before it is forwarded, order kept per direction;
 * - `blackhole` (a partition): existing connections are cut and new ones are accepted but never
 *   connected onward, so the dialer sees a silent peer and times out (PEER_TIMEOUT) as with a dead route;
 * - `oneway` (an asymmetric partition, message loss in one direction): chunks in one direction are
 *   dropped while the other direction is forwarded. On an established TLS connection one peer keeps
 *   hearing the other but not the reverse, until a timeout or a broken record makes the mesh reconnect —
 *   and a new handshake cannot complete while one direction is lost.
 *
 * The proxy never looks inside TLS: it can delay, cut and withhold a link, not forge or corrupt it — the
 * mesh authenticates its peers, so forging would test TLS, not Omega. Corrupting bytes would only make
 * TLS drop the connection, which `reset` already does.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export type LinkMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'delay'; readonly ms: number; readonly jitterMs: number }
  | { readonly kind: 'blackhole' }
  /**
   * An asymmetric partition: bytes in one direction are swallowed, the other direction flows.
   * `forward` is dialer → target (the lower index's messages to the higher), `backward` the reverse.
   */
  | { readonly kind: 'oneway'; readonly drop: 'forward' | 'backward' };

interface Pair {
  readonly inbound: Socket;
  outbound: Socket | undefined;
}

export class LinkProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Pair>();
  private mode: LinkMode = { kind: 'pass' };
  /** Chunks forwarded (both directions) — lets a test see traffic really crossed the proxy. */
  forwardedChunks = 0;

  constructor(
    readonly name: string,
    private readonly target: { readonly host: string; readonly port: number },
    /** Randomness for delay jitter (seeded by the harness, so a run's schedule is reproducible). */
    private readonly random: () => number,
  ) {}

  /** Listens on `port` (0 = any free port) on loopback; resolves with the bound port. */
  listen(port: number): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  get current(): LinkMode {
    return this.mode;
  }

  setMode(mode: LinkMode): void {
    this.mode = mode;
    // A partition cuts what is open; connections made during it stay unconnected until they time out.
    if (mode.kind === 'blackhole') this.reset();
  }

  /** Cuts every open connection of the link (the mesh reconnects with backoff). */
  reset(): void {
    for (const p of this.pairs) {
      p.inbound.destroy();
      p.outbound?.destroy();
    }
    this.pairs.clear();
  }

  close(): Promise<void> {
    this.reset();
    const server = this.server;
    if (server === undefined) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(inbound: Socket): void {
    inbound.setNoDelay(true);
    const pair: Pair = { inbound, outbound: undefined };
    this.pairs.add(pair);
    const drop = () => {
      inbound.destroy();
      pair.outbound?.destroy();
      this.pairs.delete(pair);
    };
    inbound.on('error', drop);
    inbound.on('close', drop);
    if (this.mode.kind === 'blackhole') {
      // Swallow whatever the dialer sends; never answer.
      inbound.on('data', () => {});
      return;
    }
    const outbound = connect(this.target.port, this.target.host);
    outbound.setNoDelay(true);
    pair.outbound = outbound;
    outbound.on('error', drop);
    outbound.on('close', drop);
    this.pipe(inbound, outbound, 'forward');
    this.pipe(outbound, inbound, 'backward');
  }

  /** Forwards `from` → `to` under the mode in force when each chunk arrives; order is kept. */
  private pipe(from: Socket, to: Socket, direction: 'forward' | 'backward'): void {
    let releaseAt = 0;
    from.on('data', (chunk: Buffer) => {
      const mode = this.mode;
      if (mode.kind === 'blackhole') return;
      if (mode.kind === 'oneway' && mode.drop === direction) return;
      this.forwardedChunks++;
      if (mode.kind === 'pass' && releaseAt <= performance.now()) {
        to.write(chunk);
        return;
      }
      const delay = mode.kind === 'delay' ? mode.ms + this.random() * mode.jitterMs : 0;
      // Never release before an earlier chunk: TCP delivers in order, so a delayed link stays FIFO.
      releaseAt = Math.max(releaseAt, performance.now() + delay);
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, releaseAt - performance.now());
    });
  }
}
