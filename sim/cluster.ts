/**
 * The deterministic cluster simulator (TigerBeetle VOPR / FoundationDB style; ARCHITECTURE.md §5): a whole
 * cluster of consensus cores in one process, driven by one seed. Time is ticks; the network delays, loses,
 * duplicates, reorders, partitions and clogs messages; correct replicas crash (losing everything not
 * persisted) and restart; Byzantine replicas are ordinary actors; clients submit requests. Checkers watch
 * agreement, validity, integrity, conflicting signatures of correct replicas, and liveness after healing.
 *
 * The replica here is a minimal runtime that follows the effect-ordering contract of docs/consensus.md:
 * it executes effects in list order, `decide` and `persist` are "durable" (kept across a crash) the moment
 * they execute, and a crash may fall between any two effects.
 */
import { createHash } from 'node:crypto';
import {
  type Block,
  type Certificate,
  type ConsensusEvent,
  type ConsensusMessage,
  type ConsensusState,
  type DecidedBlock,
  type Effect,
  type PrefixTip,
  type Proposal,
  type TimeoutConfig,
  type Vote,
  type SignedKey,
  CONSENSUS_LIMITS,
  compareSignedKey,
  VoteType,
  blockHash,
  decodeMessage,
  decodeWal,
  encodeMessage,
  encodeWal,
  fixedSchedule,
  genesisTip,
  initialState,
  makeCommittee,
  proposalSignBytes,
  restoreState,
  step,
  voteSignBytes,
  type ConsensusConfig,
  type Committee,
} from '../src/core/consensus/index.js';
import { toHex } from '../src/crypto/bytes.js';
import { isOmegaError } from '../src/errors.js';
import { cheapKeys, ed25519Keys, type KeySet } from './keys.js';
import { Rng } from './rng.js';

export type ByzantineKind = 'silent' | 'equivocate' | 'amnesia' | 'twins' | 'garbage' | 'replay' | 'splitter';
export const BYZANTINE_KINDS: readonly ByzantineKind[] = [
  'silent',
  'equivocate',
  'amnesia',
  'twins',
  'garbage',
  'replay',
  'splitter',
];

export interface SimParams {
  readonly seed: string;
  readonly n: number;
  /** Byzantine behaviour of validators 0..byzantine.length-1 (validator i gets byzantine[i]). */
  readonly byzantine: readonly ByzantineKind[];
  readonly crypto: 'cheap' | 'ed25519';
  /** Ticks of the safety phase (faults on); then the network heals and the liveness phase starts. */
  readonly safetyTicks: number;
  /** Liveness bound: ticks after healing within which every request must be decided everywhere. */
  readonly livenessTicks: number;
  readonly loss: number;
  /**
   * Extra loss for vote messages only (safety phase). Losing votes but not proposals is what makes some
   * replicas lock or decide while others move on — the runs where locking matters.
   */
  readonly voteLoss?: number;
  /**
   * Whether replicas serve block sync during the safety phase. Sync lets a replica skip the rounds where
   * locks matter (it simply fetches the decision), so half the seeds turn it off to exercise them.
   */
  readonly syncDuringFaults?: boolean;
  readonly duplicate: number;
  readonly delayMax: number;
  /** Probability per tick that a partition starts (safety phase). */
  readonly partitionRate: number;
  /** Probability per tick that a node's links clog (large extra delay) for a while. */
  readonly clogRate: number;
  /** Probability per executed effect that a correct replica crashes right there. */
  readonly crashRate: number;
  readonly clients: number;
  readonly requestsPerClient: number;
  readonly timeouts: TimeoutConfig;
  /** Links (validator pairs) cut during the whole safety phase, for scripted partitions. */
  readonly cut?: readonly (readonly [number, number])[];
  /**
   * Twins topology: correct validators listed here talk to the "a" copy of every twin, the others to the
   * "b" copy; the copies of different twins talk within their group. Default: even validators in "a".
   */
  readonly twinGroupA?: readonly number[];
}

export interface SimResult {
  readonly params: SimParams;
  readonly violations: readonly string[];
  readonly heights: number;
  readonly requestsDecided: number;
  readonly requestsSubmitted: number;
  /** Tick at which the last request was decided everywhere (−1 if never). */
  readonly livenessTick: number;
  readonly stats: Record<string, number>;
}

const CHAIN = 'omega-sim';
const TICK_MS = 10;

// ── event queue ────────────────────────────────────────────────────────────────────────────────────

interface QItem {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

class Queue {
  private heap: QItem[] = [];
  private seq = 0;
  push(at: number, run: () => void): void {
    const item = { at, seq: this.seq++, run };
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, item)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = item;
  }
  pop(): QItem | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mItem = last;
      if (l < h.length && less(h[l]!, mItem)) {
        m = l;
        mItem = h[l]!;
      }
      if (r < h.length && less(h[r]!, mItem)) m = r;
      if (m === i) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
    return top;
  }
  get size(): number {
    return this.heap.length;
  }
}

function less(a: QItem, b: QItem): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

// ── client requests: "signed" by their client, so validity can reject forged ones ─────────────────

function requestTag(seed: string, client: number, seq: number): string {
  return createHash('sha256')
    .update(`omega/sim/client/v1|${seed}|${client}|${seq}`)
    .digest('hex')
    .slice(0, 24);
}

function makeRequest(seed: string, client: number, seq: number): Uint8Array {
  return new TextEncoder().encode(`c${client}:${seq}:${requestTag(seed, client, seq)}`);
}

/** The client-signature check of the simulated application (an oracle standing in for real signatures). */
function authentic(seed: string, req: Uint8Array): boolean {
  const m = /^c(\d+):(\d+):([0-9a-f]{24})$/.exec(new TextDecoder().decode(req));
  return m !== null && requestTag(seed, Number(m[1]), Number(m[2])) === m[3];
}

// ── network ────────────────────────────────────────────────────────────────────────────────────────

type Payload =
  | { readonly kind: 'consensus'; readonly bytes: Uint8Array }
  | { readonly kind: 'request'; readonly bytes: Uint8Array };

/** One endpoint of the network: a replica process (twins are two endpoints of one validator). */
interface Endpoint {
  readonly id: number;
  readonly validator: number;
  deliver(from: number, p: Payload): void;
}

// ── the simulation ─────────────────────────────────────────────────────────────────────────────────

export class Simulation {
  readonly rng: Rng;
  readonly queue = new Queue();
  now = 0;
  healed = false;
  readonly keys: KeySet;
  readonly committee: Committee;
  readonly endpoints: Endpoint[] = [];
  readonly replicas: Replica[] = [];
  readonly violations: string[] = [];
  readonly stats: Record<string, number> = {};
  /** Decided block hash per height, as first decided by a correct replica. */
  readonly decidedAt = new Map<number, { hash: string; by: number }>();
  /** Signed (validator, height, round, type) → content, for correct validators only. */
  private readonly signedBy = new Map<string, string>();
  readonly submitted = new Map<string, { client: number; at: number }>();
  /** Request hex → number of correct replicas that decided it. */
  readonly decidedCount = new Map<string, number>();
  private partition: { until: number; side: Set<number> } | undefined;
  private readonly clogged = new Map<number, number>();
  livenessTick = -1;

  constructor(readonly params: SimParams) {
    this.rng = new Rng(`${params.seed}|sim`);
    this.keys =
      params.crypto === 'ed25519' ? ed25519Keys(params.n, params.seed) : cheapKeys(params.n, params.seed);
    this.committee = makeCommittee(this.keys.identities.map((k) => ({ publicKey: k.publicKey, power: 1 })));
    for (let v = 0; v < params.n; v++) {
      const kind = params.byzantine[v];
      const r = new Replica(this, this.endpoints.length, v, kind);
      this.endpoints.push(r);
      this.replicas.push(r);
      if (kind === 'twins') {
        const twin = new Replica(this, this.endpoints.length, v, kind);
        this.endpoints.push(twin);
        this.replicas.push(twin);
        // Each copy talks to a different part of the cluster (Twins, arXiv 2004.10617 §3).
        r.twinGroup = 'a';
        twin.twinGroup = 'b';
      }
    }
  }

  count(key: string, by = 1): void {
    this.stats[key] = (this.stats[key] ?? 0) + by;
  }

  isCorrect(validator: number): boolean {
    return this.params.byzantine[validator] === undefined;
  }

  config(validator: number): ConsensusConfig {
    const id = this.keys.identities[validator]!;
    return {
      chainId: CHAIN,
      publicKey: id.publicKey,
      sign: id.sign,
      verify: this.keys.verify,
      timeouts: this.params.timeouts,
      appValidity: undefined,
    };
  }

  // ── network ──

  private linkUp(from: Endpoint, to: Endpoint): boolean {
    const ga = this.replicas[from.id]?.twinGroup;
    const gb = this.replicas[to.id]?.twinGroup;
    if (ga !== undefined || gb !== undefined) {
      if ((ga ?? this.groupOf(from.validator)) !== (gb ?? this.groupOf(to.validator))) return false;
    }
    if (!this.healed && this.params.cut !== undefined) {
      for (const [a2, b2] of this.params.cut) {
        if ((from.validator === a2 && to.validator === b2) || (from.validator === b2 && to.validator === a2))
          return false;
      }
    }
    if (this.partition && this.partition.until > this.now) {
      if (this.partition.side.has(from.validator) !== this.partition.side.has(to.validator)) return false;
    }
    return true;
  }

  private groupOf(validator: number): 'a' | 'b' {
    const a = this.params.twinGroupA;
    return (a === undefined ? validator % 2 === 0 : a.includes(validator)) ? 'a' : 'b';
  }

  private delay(from: Endpoint, to: Endpoint): number {
    let d = this.rng.int(1, this.params.delayMax);
    if (!this.healed) {
      for (const v of [from.validator, to.validator]) {
        if ((this.clogged.get(v) ?? 0) > this.now) d += this.rng.int(20, 80);
      }
    }
    return d;
  }

  send(fromId: number, toId: number, p: Payload): void {
    const from = this.endpoints[fromId]!;
    const to = this.endpoints[toId]!;
    if (fromId === toId || !this.linkUp(from, to)) return;
    this.count('messages.sent');
    if (!this.healed && this.rng.chance(this.params.loss)) {
      this.count('messages.lost');
      return;
    }
    const vl = this.params.voteLoss ?? 0;
    if (
      !this.healed &&
      vl > 0 &&
      p.kind === 'consensus' &&
      (p.bytes[0] === 2 || p.bytes[0] === 3) &&
      this.rng.chance(vl)
    ) {
      this.count('messages.lost');
      return;
    }
    const copies = !this.healed && this.rng.chance(this.params.duplicate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      this.queue.push(this.now + this.delay(from, to), () => {
        this.count('messages.delivered');
        to.deliver(fromId, p);
      });
    }
  }

  broadcast(fromId: number, p: Payload): void {
    for (const e of this.endpoints) if (e.id !== fromId) this.send(fromId, e.id, p);
  }

  /** Sends to every endpoint of validator `validator`. */
  sendToValidator(fromId: number, validator: number, p: Payload): void {
    for (const e of this.endpoints) if (e.validator === validator) this.send(fromId, e.id, p);
  }

  // ── checkers ──

  /** Records every consensus message a correct replica signs (tapped at the network). */
  observeSigned(validator: number, m: ConsensusMessage): void {
    if (!this.isCorrect(validator)) return;
    const check = (key: string, content: string): void => {
      const prev = this.signedBy.get(key);
      if (prev === undefined) this.signedBy.set(key, content);
      else if (prev !== content)
        this.violate(
          `correct validator ${validator} signed conflicting messages at ${key}: ${prev} vs ${content}`,
        );
    };
    if (m.kind === 'vote' && m.vote.validator === validator) {
      const v = m.vote;
      check(`${validator}/${v.height}/${v.round}/${v.type}`, v.blockHash ? toHex(v.blockHash) : 'nil');
    } else if (m.kind === 'proposal' && m.proposal.proposer === validator) {
      const p = m.proposal;
      check(`${validator}/${p.height}/${p.round}/proposal`, `${toHex(blockHash(p.block))}/${p.validRound}`);
    }
  }

  onDecide(replica: Replica, block: Block, cert: Certificate): void {
    if (!this.isCorrect(replica.validator)) return;
    const h = block.header.height;
    const hash = toHex(blockHash(block));
    const prev = this.decidedAt.get(h);
    if (prev === undefined) this.decidedAt.set(h, { hash, by: replica.validator });
    else if (prev.hash !== hash) {
      this.violate(
        `agreement: height ${h} decided ${prev.hash.slice(0, 12)} by ${prev.by} and ${hash.slice(0, 12)} by ${replica.validator}`,
      );
    }
    if (cert.height !== h) this.violate(`certificate height ${cert.height} for block ${h}`);
    for (const req of block.requests) {
      const k = toHex(req);
      if (!this.submitted.has(k))
        this.violate(
          `validity: replica ${replica.validator} decided a request no client submitted (${k.slice(0, 16)})`,
        );
      this.decidedCount.set(k, (this.decidedCount.get(k) ?? 0) + 1);
    }
  }

  violate(msg: string): void {
    if (this.violations.length < 50) this.violations.push(`[tick ${this.now}] ${msg}`);
  }

  // ── faults ──

  private faults(): void {
    const p = this.params;
    if (this.partition === undefined || this.partition.until <= this.now) {
      this.partition = undefined;
      if (this.rng.chance(p.partitionRate)) {
        const side = new Set<number>();
        for (let v = 0; v < p.n; v++) if (this.rng.chance(0.5)) side.add(v);
        this.partition = { until: this.now + this.rng.int(20, 150), side };
        this.count('faults.partitions');
      }
    }
    if (this.rng.chance(p.clogRate)) {
      this.clogged.set(this.rng.int(0, p.n - 1), this.now + this.rng.int(20, 120));
      this.count('faults.clogs');
    }
  }

  // ── clients ──

  private scheduleClients(): void {
    const p = this.params;
    for (let c = 0; c < p.clients; c++) {
      for (let s = 0; s < p.requestsPerClient; s++) {
        const at = this.rng.int(1, Math.max(1, p.safetyTicks + Math.floor(p.livenessTicks / 4)));
        this.queue.push(at, () => this.submit(c, s));
      }
    }
  }

  private submit(client: number, seq: number): void {
    const req = makeRequest(this.params.seed, client, seq);
    const k = toHex(req);
    if (!this.submitted.has(k)) this.submitted.set(k, { client, at: this.now });
    if ((this.decidedCount.get(k) ?? 0) > 0) return; // the client saw it decided
    // A client talks to every replica; lost requests are re-sent until the client sees a decision.
    for (const e of this.endpoints) this.sendFromClient(e.id, req);
    this.queue.push(this.now + 60, () => this.submit(client, seq));
  }

  private sendFromClient(toId: number, req: Uint8Array): void {
    if (!this.healed && this.rng.chance(this.params.loss)) return;
    this.queue.push(this.now + this.rng.int(1, this.params.delayMax), () =>
      this.endpoints[toId]!.deliver(-1, { kind: 'request', bytes: req }),
    );
  }

  isValidRequest(req: Uint8Array): boolean {
    return authentic(this.params.seed, req);
  }

  // ── the run ──

  run(): SimResult {
    const p = this.params;
    this.scheduleClients();
    for (const r of this.replicas) r.boot();
    const end = p.safetyTicks + p.livenessTicks;
    const onTick = (t: number): void => {
      if (t < p.safetyTicks) this.faults();
      if (t === p.safetyTicks) this.heal();
      for (const r of this.replicas) r.tick(t);
      if (t < end) this.queue.push(t + 1, () => onTick(t + 1));
    };
    this.queue.push(0, () => onTick(0));
    for (;;) {
      const item = this.queue.pop();
      if (item === undefined || item.at > end) break;
      this.now = item.at;
      item.run();
      if (this.healed && this.livenessTick < 0 && this.allDecided()) {
        this.livenessTick = this.now;
        break;
      }
    }
    if (this.healed && this.livenessTick < 0) {
      const missing = [...this.submitted.keys()].filter(
        (k) => (this.decidedCount.get(k) ?? 0) < this.correctCount(),
      );
      this.violate(
        `liveness: ${missing.length} of ${this.submitted.size} requests not decided by every correct replica within ${p.livenessTicks} ticks of healing`,
      );
    }
    for (const r of this.replicas) {
      if (!this.isCorrect(r.validator)) continue;
      const seen = new Set<string>();
      for (const d of r.blocks) {
        for (const q of d.block.requests) {
          const k = toHex(q);
          if (seen.has(k))
            this.violate(`integrity: replica ${r.validator} decided request ${k.slice(0, 16)} twice`);
          seen.add(k);
        }
      }
    }
    let decided = 0;
    for (const [k] of this.submitted) if ((this.decidedCount.get(k) ?? 0) > 0) decided++;
    return {
      params: p,
      violations: this.violations,
      heights: this.decidedAt.size,
      requestsDecided: decided,
      requestsSubmitted: this.submitted.size,
      livenessTick: this.livenessTick,
      stats: this.stats,
    };
  }

  private correctCount(): number {
    return this.replicas.filter((r) => this.isCorrect(r.validator)).length;
  }

  private allDecided(): boolean {
    const total = this.params.clients * this.params.requestsPerClient;
    if (this.submitted.size < total) return false;
    const need = this.correctCount();
    for (const k of this.submitted.keys()) if ((this.decidedCount.get(k) ?? 0) < need) return false;
    return true;
  }

  private heal(): void {
    this.healed = true;
    this.partition = undefined;
    this.clogged.clear();
    for (const r of this.replicas) if (!r.up && this.isCorrect(r.validator)) r.restart();
  }
}

// ── a replica: the core plus a minimal runtime obeying the effect contract ─────────────────────────

export class Replica implements Endpoint {
  state!: ConsensusState;
  up = true;
  incarnation = 0;
  /** Durable: the last WAL record and the decided blocks (the block store). */
  wal: Uint8Array | undefined;
  readonly blocks: DecidedBlock[] = [];
  /** Volatile. */
  private mempool = new Map<string, Uint8Array>();
  private decidedRequests = new Set<string>();
  twinGroup: 'a' | 'b' | undefined;
  private restartAt = -1;
  private readonly heard: Uint8Array[] = [];
  /** Crash after this many more executed effects (crash-at-every-boundary tests), or −1. */
  crashAfterEffects = -1;
  /** Test only: execute broadcasts before the persist (a runtime violating the effect contract). */
  breakContract = false;
  /** lastSigned of the durable WAL record. */
  private durableSigned: SignedKey | undefined;

  constructor(
    readonly sim: Simulation,
    readonly id: number,
    readonly validator: number,
    readonly byzantine: ByzantineKind | undefined,
  ) {}

  private config(): ConsensusConfig {
    return {
      ...this.sim.config(this.validator),
      // valid(v) of the application: every request authentic and not decided before — a function of
      // the block and the decided prefix only (decidedRequests is rebuilt from the block store).
      appValidity: (block: Block) => {
        const seen = new Set<string>();
        for (const q of block.requests) {
          const k = toHex(q);
          if (seen.has(k) || this.decidedRequests.has(k) || !this.sim.isValidRequest(q)) return false;
          seen.add(k);
        }
        return true;
      },
    };
  }

  boot(): void {
    this.state = initialState(this.config(), fixedSchedule(this.sim.committee));
    this.handle({ type: 'start' });
  }

  private tip(): PrefixTip {
    const last = this.blocks[this.blocks.length - 1];
    if (last === undefined) return genesisTip(this.config());
    return {
      height: last.block.header.height,
      hash: blockHash(last.block),
      timeMs: last.block.header.timeMs,
    };
  }

  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.incarnation++;
    this.mempool = new Map();
    this.sim.count('faults.crashes');
    this.restartAt = this.sim.healed ? this.sim.now + 1 : this.sim.now + this.sim.rng.int(10, 100);
  }

  /** Restart from durable state only: the block store and the last WAL record. */
  restart(): void {
    this.up = true;
    this.restartAt = -1;
    this.decidedRequests = new Set();
    for (const d of this.blocks) for (const q of d.block.requests) this.decidedRequests.add(toHex(q));
    const wal = this.wal === undefined ? undefined : decodeWal(this.wal);
    this.durableSigned = wal?.lastSigned;
    this.state = restoreState(this.config(), fixedSchedule(this.sim.committee), this.tip(), wal);
    this.handle({ type: 'start' });
  }

  tick(t: number): void {
    if (!this.up && this.restartAt >= 0 && t >= this.restartAt) this.restart();
    if (!this.up || this.byzantine === undefined) return;
    this.byzantineNoise();
  }

  deliver(from: number, p: Payload): void {
    if (!this.up) return;
    if (this.byzantine === 'silent') return;
    if (p.kind === 'request') {
      const k = toHex(p.bytes);
      if (!this.decidedRequests.has(k) && this.mempool.size < 10_000) this.mempool.set(k, p.bytes);
      return;
    }
    if (this.byzantine === 'replay' && this.heard.length < 500) this.heard.push(p.bytes);
    let m: ConsensusMessage;
    try {
      m = decodeMessage(p.bytes);
    } catch (e) {
      if (!isOmegaError(e)) this.sim.violate(`decoder threw a non-OmegaError: ${String(e)}`);
      this.sim.count('rejected.decode');
      return;
    }
    if (m.kind === 'sync-request') {
      this.serveSync(from, m.fromHeight, m.maxCount);
      return;
    }
    if (m.kind === 'sync-response') {
      for (const d of m.blocks) {
        if (d.block.header.height !== this.state.height) continue;
        this.handle({ type: 'decided-block', block: d.block, certificate: d.certificate });
        if (!this.up) return;
      }
      return;
    }
    this.handle({ type: 'message', message: m });
  }

  private serveSync(to: number, fromHeight: number, maxCount: number): void {
    if (!this.sim.healed && this.sim.params.syncDuringFaults === false) return;
    const blocks = this.blocks.slice(fromHeight - 1, fromHeight - 1 + Math.min(maxCount, 8));
    if (blocks.length === 0) return;
    this.sim.count('sync.served');
    this.sim.send(this.id, to, {
      kind: 'consensus',
      bytes: encodeMessage({ kind: 'sync-response', blocks }),
    });
  }

  /** Steps the core and executes its effects in order; a crash may cut the list anywhere. */
  handle(event: ConsensusEvent): void {
    if (!this.up) return;
    let result;
    try {
      result = step(this.state, event);
    } catch (e) {
      if (this.sim.isCorrect(this.validator))
        this.sim.violate(`replica ${this.validator} core threw: ${String(e)}`);
      return;
    }
    this.state = result.state;
    if (this.sim.isCorrect(this.validator)) {
      const bad = effectOrderViolation(result.effects);
      if (bad !== undefined) this.sim.violate(`replica ${this.validator} effect order: ${bad}`);
    }
    if (this.byzantine === 'amnesia' || this.byzantine === 'splitter') {
      // Forgets its lock and what it signed (a replica without a WAL): Malachite overview.md "Amnesia".
      this.state = { ...this.state, locked: undefined, valid: undefined, lastSigned: undefined, own: {} };
    }
    const inc = this.incarnation;
    // A runtime that breaks the contract (sends before it persists), to show the checker catches it.
    const effects = this.breakContract
      ? [
          ...result.effects.filter((e) => e.type === 'broadcast'),
          ...result.effects.filter((e) => e.type !== 'broadcast'),
        ]
      : result.effects;
    for (const eff of effects) {
      if (
        this.sim.isCorrect(this.validator) &&
        !this.sim.healed &&
        this.sim.rng.chance(this.sim.params.crashRate)
      ) {
        this.crash();
      }
      if (this.crashAfterEffects === 0) {
        this.crashAfterEffects = -1;
        this.crash();
      }
      if (this.crashAfterEffects > 0) this.crashAfterEffects--;
      if (!this.up || this.incarnation !== inc) return;
      this.execute(eff);
    }
    // The decided block is applied (block store, mempool, validity state): let the next height start.
    for (const eff of effects) {
      if (eff.type === 'decide' && this.up && this.incarnation === inc) {
        this.handle({ type: 'committed', height: eff.block.header.height });
      }
    }
  }

  /** A signed message of ours may leave only if the durable WAL's last-signed key covers it. */
  private checkCovered(m: ConsensusMessage): void {
    let key: SignedKey | undefined;
    if (m.kind === 'vote' && m.vote.validator === this.validator) {
      const v = m.vote;
      key = { height: v.height, round: v.round, step: v.type === VoteType.prevote ? 'prevote' : 'precommit' };
    } else if (m.kind === 'proposal' && m.proposal.proposer === this.validator) {
      key = { height: m.proposal.height, round: m.proposal.round, step: 'propose' };
    }
    if (key === undefined) return;
    if (this.durableSigned === undefined || compareSignedKey(key, this.durableSigned) > 0) {
      this.sim.violate(
        `replica ${this.validator} sent a message signed at (${key.height},${key.round},${key.step}) before persisting it`,
      );
    }
  }

  private execute(eff: Effect): void {
    const sim = this.sim;
    switch (eff.type) {
      case 'decide':
        this.blocks.push({ block: eff.block, certificate: eff.certificate });
        for (const q of eff.block.requests) {
          const k = toHex(q);
          this.decidedRequests.add(k);
          this.mempool.delete(k);
        }
        sim.onDecide(this, eff.block, eff.certificate);
        break;
      case 'persist':
        this.wal = encodeWal(eff.record);
        this.durableSigned = eff.record.lastSigned;
        break;
      case 'broadcast':
        this.outgoing(eff.message, undefined);
        break;
      case 'send': {
        const to = sim.committee.indexByKey.get(toHex(eff.to));
        if (to !== undefined) this.outgoing(eff.message, to);
        break;
      }
      case 'schedule-timeout': {
        const inc = this.incarnation;
        sim.queue.push(sim.now + eff.afterTicks, () => {
          if (this.incarnation === inc) this.handle({ type: 'timeout', timeout: eff.timeout });
        });
        break;
      }
      case 'get-value': {
        const inc = this.incarnation;
        sim.queue.push(sim.now, () => {
          if (this.incarnation === inc) this.answerGetValue(eff.height, eff.round, 0);
        });
        break;
      }
      case 'evidence':
        sim.count('evidence');
        break;
      case 'rejected':
        sim.count(`rejected.${eff.code}`);
        break;
    }
  }

  /** getValue(): a batch from the mempool; with nothing to order, wait a little for requests first. */
  private answerGetValue(height: number, round: number, waited: number): void {
    const inc = this.incarnation;
    if (this.mempool.size === 0 && waited < 10) {
      this.sim.queue.push(this.sim.now + 5, () => {
        if (this.incarnation === inc) this.answerGetValue(height, round, waited + 5);
      });
      return;
    }
    const requests = [...this.mempool.values()].slice(0, 100);
    // Two machines never share a clock: the "b" copy of a twin reads its own.
    const skew = this.twinGroup === 'b' ? 1 : 0;
    this.handle({ type: 'value', height, round, requests, timeMs: this.sim.now * TICK_MS + skew });
  }

  // ── Byzantine behaviour ──

  private outgoing(m: ConsensusMessage, to: number | undefined): void {
    const sim = this.sim;
    if (this.byzantine === 'silent') return;
    const send = (msg: ConsensusMessage, target: number | undefined): void => {
      // The checkers tap what actually leaves the process.
      if (sim.isCorrect(this.validator)) {
        this.checkCovered(msg);
        sim.observeSigned(this.validator, msg);
      }
      const p: Payload = { kind: 'consensus', bytes: encodeMessage(msg) };
      if (target === undefined) sim.broadcast(this.id, p);
      else sim.sendToValidator(this.id, target, p);
    };
    if (
      this.byzantine === 'splitter' &&
      to === undefined &&
      m.kind === 'vote' &&
      m.vote.validator === this.validator
    ) {
      // A consistent split per (height, round, type): one part sees the real vote, the other nil — the
      // shape of the lock attacks (one replica decides, the others never see the polka or the commit).
      const v = m.vote;
      const nil: Vote = { ...v, blockHash: undefined };
      const signedNil: ConsensusMessage = {
        kind: 'vote',
        vote: { ...nil, signature: sim.keys.identities[this.validator]!.sign(voteSignBytes(CHAIN, nil)) },
      };
      const salt = `${v.height}/${v.round}/${v.type}`;
      for (let u = 0; u < sim.params.n; u++) {
        if (u === this.validator) continue;
        send(this.splitSide(salt, u) ? m : signedNil, u);
      }
      return;
    }
    if (this.byzantine !== 'equivocate' || to !== undefined) {
      send(m, to);
      return;
    }
    // Equivocation: to every other validator separately, half the time a conflicting message.
    for (let v = 0; v < sim.params.n; v++) {
      if (v === this.validator) continue;
      send(sim.rng.chance(0.5) ? this.conflicting(m) : m, v);
    }
  }

  private readonly splits = new Map<string, Set<number>>();

  /** Whether validator u is on the "real vote" side of the split for `salt` (drawn once per salt). */
  private splitSide(salt: string, u: number): boolean {
    let side = this.splits.get(salt);
    if (side === undefined) {
      side = new Set();
      for (let x = 0; x < this.sim.params.n; x++) if (this.sim.rng.chance(0.5)) side.add(x);
      if (this.splits.size > 1000) this.splits.clear();
      this.splits.set(salt, side);
    }
    return side.has(u);
  }

  private conflicting(m: ConsensusMessage): ConsensusMessage {
    const id = this.sim.keys.identities[this.validator]!;
    if (m.kind === 'vote' && m.vote.validator === this.validator) {
      const v = m.vote;
      const hash =
        v.blockHash === undefined
          ? this.sim.rng.bytes(32)
          : this.sim.rng.chance(0.5)
            ? undefined
            : this.sim.rng.bytes(32);
      const unsigned = {
        type: v.type,
        height: v.height,
        round: v.round,
        blockHash: hash,
        validator: v.validator,
      };
      const vote: Vote = { ...unsigned, signature: id.sign(voteSignBytes(CHAIN, unsigned)) };
      return { kind: 'vote', vote };
    }
    if (m.kind === 'proposal' && m.proposal.proposer === this.validator) {
      const p = m.proposal;
      const block: Block = {
        ...p.block,
        header: { ...p.block.header, timeMs: p.block.header.timeMs + 1 + this.sim.rng.int(0, 5) },
      };
      const unsigned = { height: p.height, round: p.round, validRound: p.validRound, proposer: p.proposer };
      const signature = id.sign(proposalSignBytes(CHAIN, { ...unsigned, blockHash: blockHash(block) }));
      const proposal: Proposal = { ...unsigned, block, signature };
      return { kind: 'proposal', proposal };
    }
    return m;
  }

  /** Per-tick noise of the 'garbage' and 'replay' actors. */
  private byzantineNoise(): void {
    const sim = this.sim;
    if (this.byzantine === 'garbage' && sim.rng.chance(0.2)) {
      const r = sim.rng.int(0, 3);
      let bytes: Uint8Array;
      if (r === 0) bytes = sim.rng.bytes(sim.rng.int(0, 300));
      else if (r === 1 && sim.stats['garbage.oversized'] === undefined) {
        sim.count('garbage.oversized');
        bytes = new Uint8Array(CONSENSUS_LIMITS.maxMessageBytes + 1);
      } else {
        // well-formed votes with a forged signature of another validator
        const victim = sim.rng.int(0, sim.params.n - 1);
        const vote: Vote = {
          type: sim.rng.chance(0.5) ? VoteType.prevote : VoteType.precommit,
          height: this.state.height,
          round: this.state.round,
          blockHash: sim.rng.bytes(32),
          validator: victim,
          signature: sim.rng.bytes(64),
        };
        bytes = encodeMessage({ kind: 'vote', vote });
      }
      sim.broadcast(this.id, { kind: 'consensus', bytes });
    }
    if (this.byzantine === 'replay' && this.heard.length > 0 && sim.rng.chance(0.3)) {
      sim.broadcast(this.id, { kind: 'consensus', bytes: sim.rng.pick(this.heard) });
    }
  }
}

/**
 * The effect-ordering contract (docs/consensus.md), checked on every step of every correct replica:
 * decides first, then at most one persist, then sends, then the rest. (That every signed message that
 * leaves is covered by the *durable* last-signed key is checked by the replica as it sends.)
 */
export function effectOrderViolation(effects: readonly Effect[]): string | undefined {
  const rank = (e: Effect): number =>
    e.type === 'decide' ? 0 : e.type === 'persist' ? 1 : e.type === 'broadcast' || e.type === 'send' ? 2 : 3;
  let last = 0;
  let persists = 0;
  for (const e of effects) {
    const r = rank(e);
    if (r < last) return `${e.type} after a later category`;
    if (r === 1) persists++;
    last = r;
  }
  return persists > 1 ? 'two persists in one step' : undefined;
}

// ── parameters from a seed (swarm testing) ─────────────────────────────────────────────────────────

export const SIM_TIMEOUTS: TimeoutConfig = {
  propose: 30,
  prevote: 15,
  precommit: 15,
  delta: 10,
  rebroadcast: 25,
};

/**
 * Draws a cluster size, fault rates and a Byzantine mix from the seed (swarm testing: each seed explores
 * a different corner). `overrides` pins any parameter.
 */
export function paramsFromSeed(
  seed: string,
  overrides: Partial<SimParams> = {},
  options: { exactlyF?: boolean } = {},
): SimParams {
  const rng = new Rng(`${seed}|params`);
  // Every draw happens whatever the overrides, so pinning one parameter leaves the others unchanged.
  const drawnN = rng.pick([4, 4, 7, 7, 10]);
  const n = overrides.n ?? drawnN;
  const f = Math.floor((n - 1) / 3);
  const drawnCount = rng.int(0, f);
  const byzCount = options.exactlyF === true ? f : drawnCount;
  const byzantine: ByzantineKind[] = [];
  for (let i = 0; i < byzCount; i++) byzantine.push(rng.pick(BYZANTINE_KINDS));
  return {
    seed,
    n,
    byzantine,
    crypto: 'cheap',
    safetyTicks: rng.int(150, 400),
    livenessTicks: 1500,
    loss: rng.pick([0, 0.02, 0.1, 0.25]),
    duplicate: rng.pick([0, 0.05, 0.2]),
    delayMax: rng.int(2, 12),
    partitionRate: rng.pick([0, 0.005, 0.02]),
    clogRate: rng.pick([0, 0.005, 0.02]),
    crashRate: rng.pick([0, 0.001, 0.005]),
    clients: rng.int(1, 3),
    requestsPerClient: rng.int(3, 12),
    // Drawn last, so adding them left the earlier draws (and older seeds' parameters) unchanged.
    voteLoss: rng.pick([0, 0, 0.3, 0.6]),
    syncDuringFaults: rng.pick([true, false]),
    timeouts: SIM_TIMEOUTS,
    ...overrides,
  };
}

/** Runs one simulation. */
export function simulate(params: SimParams): SimResult {
  return new Simulation(params).run();
}

/** One line that replays a run: every failure prints it. */
export function describeRun(r: SimResult): string {
  const p = r.params;
  const byz = p.byzantine.length === 0 ? 'none' : p.byzantine.join(',');
  return (
    `seed=${p.seed} n=${p.n} byzantine=[${byz}] crypto=${p.crypto} loss=${p.loss} dup=${p.duplicate} ` +
    `voteLoss=${p.voteLoss ?? 0} delayMax=${p.delayMax} partitions=${p.partitionRate} clogs=${p.clogRate} crashes=${p.crashRate} ` +
    `safetyTicks=${p.safetyTicks} requests=${p.clients}x${p.requestsPerClient} → heights=${r.heights} ` +
    `decided=${r.requestsDecided}/${r.requestsSubmitted} liveAt=${r.livenessTick} ` +
    `violations=${r.violations.length}  (replay: npm run sim -- --seed ${p.seed} --n ${p.n} --byzantine ${p.byzantine.length > 0 ? p.byzantine.join(',') : 'none'}${p.crypto === 'ed25519' ? ' --crypto ed25519' : ''})`
  );
}
