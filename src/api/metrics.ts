/**
 * Prometheus metrics of one replica (docs/api.md, "Metrics").
 *
 * Built on prom-client with a private {@link Registry} (never the global one, so several replicas in
 * one test process do not mix). prom-client is the de-facto Node client: its text exposition follows
 * the Prometheus format exactly (escaping, histogram `_bucket`/`_sum`/`_count`, `+Inf`), which a
 * hand-written exposition would have to re-derive, and it adds process metrics (event-loop lag, heap)
 * that matter for a single-threaded consensus process.
 *
 * Gauges that mirror replica state (height, round, peers, lag, queue depths) are read from
 * `ReplicaNode.status()` at scrape time, so they cannot drift from the truth; events (a decision, with
 * its rounds and latency) are pushed by the replica through {@link ReplicaMetrics.observeDecision}.
 */
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReplicaNode } from './node.js';

/** One decided height, as the replica reports it. */
export interface DecisionObservation {
  /** Rounds the height needed (1 when decided in round 0). */
  readonly rounds: number;
  /** From the start of the height (or from proposal receipt) to the decision, in ms. */
  readonly latencyMs: number;
}

export interface ReplicaMetricsOptions {
  /**
   * Also export prom-client's process metrics (CPU, heap, event-loop lag, GC). Default true. Replicas pass
   * false: those collectors are process-wide and cannot be stopped (each call adds a GC
   * PerformanceObserver and an event-loop-delay monitor that live until the process exits), so a test
   * process that starts and stops dozens of replicas would accumulate them, and several replicas in one
   * process would each report the same process. `omega_memory_bytes` covers what the soak needs.
   */
  readonly processMetrics?: boolean;
  /** Where `omega_memory_bytes` reads memory; default `process.memoryUsage` (tests inject a fake). */
  readonly memoryUsage?: () => NodeJS.MemoryUsage;
  /**
   * Also export `omega_memory_bytes{kind="heap_after_major_gc"}`: heapUsed read when a mark-compact
   * collection has just finished (a `gc` PerformanceObserver, disconnected by {@link ReplicaMetrics.close}).
   * heapUsed at a random scrape carries 10–20 MiB of garbage not yet collected; right after a full
   * collection it is the live heap, which is what a leak check wants. Default false.
   */
  readonly heapAfterGc?: boolean;
}

export class ReplicaMetrics {
  readonly registry = new Registry();
  private readonly roundsPerHeight: Histogram;
  private readonly decisionLatency: Histogram;
  private readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  private readonly httpDuration: Histogram<'route'>;
  private readonly rejections: Counter<'code'>;
  private node: ReplicaNode | undefined;
  private gcObserver: PerformanceObserver | undefined;
  private heapAfterMajorGc = NaN;

  constructor(options: ReplicaMetricsOptions = {}) {
    const registers = [this.registry];
    const status = () => this.node?.status();
    new Gauge({
      name: 'omega_height',
      help: 'Height of the last decided and applied block.',
      registers,
      collect() {
        const s = status();
        if (s) this.set(s.height);
      },
    });
    new Gauge({
      name: 'omega_round',
      help: 'Current consensus round at the next height.',
      registers,
      collect() {
        const s = status();
        if (s) this.set(s.round);
      },
    });
    new Gauge({
      name: 'omega_lag_heights',
      help: 'Heights behind the highest certified height seen.',
      registers,
      collect() {
        const s = status();
        if (s) this.set(s.lagHeights);
      },
    });
    new Gauge({
      name: 'omega_peer_connected',
      help: '1 if the replica is connected to this peer, else 0.',
      labelNames: ['peer'],
      registers,
      collect() {
        const s = status();
        if (!s) return;
        this.reset();
        for (const p of s.peers) this.set({ peer: String(p.index) }, p.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'omega_peers_connected',
      help: 'Number of connected peers.',
      registers,
      collect() {
        const s = status();
        if (s) this.set(s.peers.filter((p) => p.connected).length);
      },
    });
    new Gauge({
      name: 'omega_queue_depth',
      help: 'Depth of each bounded queue.',
      labelNames: ['queue'],
      registers,
      collect() {
        const s = status();
        if (!s) return;
        this.reset();
        for (const [queue, depth] of Object.entries(s.queues)) this.set({ queue }, depth);
      },
    });
    const memoryUsage = options.memoryUsage ?? (() => process.memoryUsage());
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- prom-client calls collect() with the gauge as `this`
    const self = this;
    new Gauge({
      name: 'omega_memory_bytes',
      help: 'Memory of the process by kind (process.memoryUsage(), read at scrape time): rss, heap_used, heap_total, external, array_buffers; heap_after_major_gc: heapUsed when the last full collection finished.',
      labelNames: ['kind'],
      registers,
      // Read only when scraped (heap_after_major_gc: recorded by the optional GC observer below). The
      // soak (docs/reliability.md) judges leaks on the live heap, which RSS hides behind V8's and the
      // allocator's reservations and SQLite's page cache.
      collect() {
        const m = memoryUsage();
        this.set({ kind: 'rss' }, m.rss);
        this.set({ kind: 'heap_used' }, m.heapUsed);
        this.set({ kind: 'heap_total' }, m.heapTotal);
        this.set({ kind: 'external' }, m.external);
        this.set({ kind: 'array_buffers' }, m.arrayBuffers);
        if (Number.isFinite(self.heapAfterMajorGc))
          this.set({ kind: 'heap_after_major_gc' }, self.heapAfterMajorGc);
      },
    });
    if (options.heapAfterGc === true) {
      this.gcObserver = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          const kind = (entry as { detail?: { kind?: number } | null }).detail?.kind;
          if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR)
            self.heapAfterMajorGc = memoryUsage().heapUsed;
        }
      });
      this.gcObserver.observe({ entryTypes: ['gc'] });
    }
    this.roundsPerHeight = new Histogram({
      name: 'omega_rounds_per_height',
      help: 'Consensus rounds needed to decide a height (1 = decided in round 0).',
      buckets: [1, 2, 3, 4, 6, 8, 12, 16],
      registers,
    });
    this.decisionLatency = new Histogram({
      name: 'omega_decision_latency_seconds',
      help: 'Time from the start of a height to its decision.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.httpRequests = new Counter({
      name: 'omega_http_requests_total',
      help: 'HTTP requests served, by route, method and status code.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'omega_http_request_duration_seconds',
      help: 'HTTP request duration, by route.',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.rejections = new Counter({
      name: 'omega_api_rejections_total',
      help: 'Requests rejected by the API, by error code.',
      labelNames: ['code'],
      registers,
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'omega_' });
  }

  /** Stops the GC observer of `heapAfterGc` (idempotent); the registry still answers scrapes. */
  close(): void {
    this.gcObserver?.disconnect();
    this.gcObserver = undefined;
  }

  /** Called by the API server: gauges read this node's status at scrape time. */
  attach(node: ReplicaNode): void {
    this.node = node;
  }

  /** Called by the replica on every decision. */
  observeDecision(d: DecisionObservation): void {
    this.roundsPerHeight.observe(d.rounds);
    this.decisionLatency.observe(d.latencyMs / 1000);
  }

  /** @internal Called by the API server. */
  observeHttp(route: string, method: string, status: number, seconds: number): void {
    this.httpRequests.inc({ route, method, status: String(status) });
    this.httpDuration.observe({ route }, seconds);
  }

  /** @internal Called by the API server. */
  observeRejection(code: string): void {
    this.rejections.inc({ code });
  }

  /** Prometheus text exposition. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
