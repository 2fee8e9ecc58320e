/**
 * Pure checkers over a chaos run's history and the replicas' decided logs (docs/reliability.md,
 * "Properties checked"). No I/O, no clock: the harness reads the stores and hands the summaries in, so
 * each checker is unit-tested on synthetic histories that make it fail (test/chaos/checkers.test.ts).
 *
 * References: Kingsbury's Jepsen/Knossos (histories of invoke + ok/fail/info, linearizability search);
 * Wing & Gong, "Testing and verifying concurrent objects" (1993) and Lowe, "Testing for linearizability"
 * (2017) for the search with memoised (linearized-set, state) pairs; Herlihy & Wing (1990) §3.3 for
 * locality, which justifies checking each registry key separately.
 */
import { decodeResult, replySignBytes } from '../src/core/machine/result.js';
import { fromHex, toHex } from '../src/crypto/bytes.js';
import { operations, type HistoryEvent, type OpModel, type Operation } from './history.js';

/** One checker's verdict. `problems` is empty when `ok`; each problem names the op/height it is about. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly stats: Readonly<Record<string, number>>;
}

function result(name: string, problems: string[], stats: Record<string, number> = {}): CheckResult {
  // Cap the list: one failing run can produce thousands of copies of the same problem.
  const shown =
    problems.length > 20 ? [...problems.slice(0, 20), `… ${problems.length - 20} more`] : problems;
  return { name, ok: problems.length === 0, problems: shown, stats };
}

/** One request of a decided block, with the result a replay of the log through the machine produced. */
export interface DecidedRequest {
  readonly envelopeHash: string;
  /** The encoded RequestResult (hex) of applying it at (height, index). */
  readonly resultBytes: string;
  /** True if the machine answered DUPLICATE_REQUEST: the envelope was included again but not executed. */
  readonly duplicate: boolean;
}

export interface DecidedBlockSummary {
  readonly height: number;
  /** Block hash (hex): equal hashes at a height mean equal blocks. */
  readonly hash: string;
  readonly requests: readonly DecidedRequest[];
}

/** A replica's decided log, in height order from 1. */
export type DecidedLog = readonly DecidedBlockSummary[];

/**
 * Agreement (consensus safety, docs/consensus.md): every log is contiguous from height 1 and any two
 * replicas that decided a height decided the same block there.
 */
export function checkLogsAgree(logs: ReadonlyMap<number, DecidedLog>): CheckResult {
  const problems: string[] = [];
  const byHeight = new Map<number, { replica: number; hash: string }>();
  let maxHeight = 0;
  let minHeight = Infinity;
  for (const [replica, log] of logs) {
    log.forEach((b, i) => {
      if (b.height !== i + 1)
        problems.push(`replica ${replica}: entry ${i} has height ${b.height}, expected ${i + 1}`);
      const seen = byHeight.get(b.height);
      if (seen === undefined) byHeight.set(b.height, { replica, hash: b.hash });
      else if (seen.hash !== b.hash) {
        problems.push(
          `height ${b.height}: replica ${seen.replica} decided ${seen.hash.slice(0, 16)}…, replica ${replica} decided ${b.hash.slice(0, 16)}…`,
        );
      }
    });
    maxHeight = Math.max(maxHeight, log.length);
    minHeight = Math.min(minHeight, log.length);
  }
  return result('logs agree', problems, {
    replicas: logs.size,
    maxHeight,
    minHeight: minHeight === Infinity ? 0 : minHeight,
  });
}

/** The longest of the logs (after checkLogsAgree passed, every other log is a prefix of it). */
export function longestLog(logs: ReadonlyMap<number, DecidedLog>): DecidedLog {
  let best: DecidedLog = [];
  for (const log of logs.values()) if (log.length > best.length) best = log;
  return best;
}

interface Placement {
  readonly height: number;
  readonly index: number;
  readonly request: DecidedRequest;
}

function placements(log: DecidedLog): Map<string, Placement[]> {
  const out = new Map<string, Placement[]>();
  for (const b of log) {
    b.requests.forEach((request, index) => {
      const list = out.get(request.envelopeHash) ?? [];
      list.push({ height: b.height, index, request });
      out.set(request.envelopeHash, list);
    });
  }
  return out;
}

/**
 * No acknowledged operation is lost, and none executes twice: every `ok` op's envelope was executed
 * exactly once in the decided log (other inclusions are DUPLICATE_REQUEST no-ops), at the height and
 * index its reply named, with exactly the result bytes the client accepted. A `fail` op (certainly no
 * effect) must not have been executed successfully. Counts how many `unknown` ops did take effect.
 */
export function checkAcknowledged(history: readonly HistoryEvent[], log: DecidedLog): CheckResult {
  const problems: string[] = [];
  const where = placements(log);
  let ok = 0;
  let unknownDecided = 0;
  let unknown = 0;
  let fail = 0;
  for (const { invoke, completion } of operations(history)) {
    const executed = (where.get(invoke.envelopeHash) ?? []).filter((p) => !p.request.duplicate);
    if (executed.length > 1) {
      problems.push(
        `op ${invoke.id}: executed ${executed.length} times (heights ${executed.map((p) => p.height).join(', ')})`,
      );
    }
    if (completion.type === 'ok') {
      ok++;
      const p = executed[0];
      if (p === undefined) {
        problems.push(
          `op ${invoke.id}: acknowledged at height ${completion.height} but not in the decided log (lost)`,
        );
      } else if (p.height !== completion.height || p.index !== completion.index) {
        problems.push(
          `op ${invoke.id}: acknowledged at ${completion.height}/${completion.index}, decided at ${p.height}/${p.index}`,
        );
      } else if (p.request.resultBytes !== completion.resultBytes) {
        problems.push(
          `op ${invoke.id}: the accepted result differs from the replayed result at ${p.height}/${p.index}`,
        );
      }
    } else if (completion.type === 'fail') {
      fail++;
      const p = executed[0];
      if (p !== undefined && decodeResult(fromHex(p.request.resultBytes)).status.ok) {
        problems.push(
          `op ${invoke.id}: reported fail (${completion.code}) but executed successfully at height ${p.height}`,
        );
      }
    } else {
      unknown++;
      if (executed.length > 0) unknownDecided++;
    }
  }
  return result('no acknowledged op lost', problems, { ok, fail, unknown, unknownDecided });
}

/** What the client knew of the cluster: used to check the signatures it accepted. */
export interface SignatureContext {
  readonly chainId: string;
  readonly f: number;
  /** Replica index → Ed25519 public key (hex). */
  readonly publicKeys: ReadonlyMap<number, string>;
  readonly verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;
}

/**
 * Every reply the SDK accepted carries f+1 valid signatures of distinct cluster replicas over exactly
 * the result bytes, and those bytes are bound to the op's envelope and the height/index it reported.
 */
export function checkSignatures(history: readonly HistoryEvent[], ctx: SignatureContext): CheckResult {
  const problems: string[] = [];
  let checked = 0;
  for (const { invoke, completion } of operations(history)) {
    if (completion.type !== 'ok') continue;
    checked++;
    const bytes = fromHex(completion.resultBytes);
    const message = replySignBytes(ctx.chainId, bytes);
    const valid = new Set<number>();
    for (const s of completion.signatures) {
      const key = ctx.publicKeys.get(s.replicaIndex);
      if (key === undefined) {
        problems.push(`op ${invoke.id}: signature of unknown replica ${s.replicaIndex}`);
        continue;
      }
      if (!ctx.verify(fromHex(key), message, fromHex(s.signature))) {
        problems.push(`op ${invoke.id}: invalid signature of replica ${s.replicaIndex}`);
        continue;
      }
      valid.add(s.replicaIndex);
    }
    if (valid.size < ctx.f + 1)
      problems.push(`op ${invoke.id}: ${valid.size} valid signatures, need ${ctx.f + 1}`);
    let decoded;
    try {
      decoded = decodeResult(bytes);
    } catch (e) {
      problems.push(
        `op ${invoke.id}: accepted result does not decode (${e instanceof Error ? e.message : String(e)})`,
      );
      continue;
    }
    if (toHex(decoded.envelopeHash) !== invoke.envelopeHash)
      problems.push(`op ${invoke.id}: result is for another envelope`);
    if (decoded.height !== completion.height || decoded.index !== completion.index) {
      problems.push(
        `op ${invoke.id}: result names ${decoded.height}/${decoded.index}, the client recorded ${completion.height}/${completion.index}`,
      );
    }
  }
  return result('accepted replies carry f+1 valid signatures', problems, { checked });
}

/** A stretch of the run during which more than f replicas were faulty. */
export interface StallWindow {
  readonly from: number;
  readonly to: number;
  /** Highest decided height when the window started (sampled after in-flight decisions settled). */
  readonly height: number;
}

/** The windows where a fault event left more than f replicas down, until one leaves ≤ f. */
export function stallWindows(history: readonly HistoryEvent[], f: number): StallWindow[] {
  const out: StallWindow[] = [];
  let open: { from: number; height: number } | undefined;
  let end = 0;
  for (const e of history) {
    end = Math.max(end, Number.isFinite(e.t) ? e.t : end);
    if (e.type !== 'fault') continue;
    if (e.down.length > f && open === undefined) open = { from: e.t, height: e.height ?? Infinity };
    else if (e.down.length > f && open !== undefined && e.height !== undefined) {
      // The harness samples the stall height once in-flight decisions have settled (chaos/nemesis.ts).
      open.height = Math.min(open.height, e.height);
    } else if (e.down.length <= f && open !== undefined) {
      out.push({ ...open, to: e.t });
      open = undefined;
    }
  }
  if (open !== undefined) out.push({ ...open, to: end });
  return out;
}

/**
 * With more than f replicas faulty the cluster must stop rather than answer wrongly: no op invoked during
 * such a window may be acknowledged within it, and no acknowledgement within it may name a height above
 * the one decided when the window opened (replies for requests decided before it are still fine).
 */
export function checkNoProgressBeyondF(history: readonly HistoryEvent[], f: number): CheckResult {
  const problems: string[] = [];
  const windows = stallWindows(history, f);
  for (const { invoke, completion } of operations(history)) {
    if (completion.type !== 'ok') continue;
    for (const w of windows) {
      if (completion.t < w.from || completion.t > w.to) continue;
      if (invoke.t >= w.from) {
        problems.push(
          `op ${invoke.id}: invoked and acknowledged while more than ${f} replicas were faulty (${w.from}–${w.to} ms)`,
        );
      } else if (completion.height > w.height) {
        problems.push(
          `op ${invoke.id}: decided at height ${completion.height} while more than ${f} were faulty (stalled at ${w.height})`,
        );
      }
    }
  }
  return result('no progress with more than f faulty', problems, { windows: windows.length });
}

// ── linearizability (Wing & Gong / Lowe search) ─────────────────────────────────────────────────────

/** A sequential specification: `step` returns the output the op must produce and the next state. */
export interface Model<S> {
  readonly init: S;
  step(state: S, op: OpModel): { output: string; state: S };
  /** A canonical string of a state, for memoising visited configurations. */
  key(state: S): string;
}

interface SearchOp {
  readonly op: Operation;
  readonly invokeT: number;
  /** +∞ for unknown ops: they may take effect at any later point, or never. */
  readonly returnT: number;
  /** The observed output; undefined for unknown ops (any output). */
  readonly output: string | undefined;
}

/** Outcome of the search for one partition: ok, or the ops that could not be ordered. */
export interface LinearizationResult {
  readonly ok: boolean;
  /** Configurations explored (a budget guard; a search that exceeds it reports `ok: false` with a note). */
  readonly explored: number;
  readonly note?: string;
}

/**
 * Is the history linearizable w.r.t. `model`? `ok` ops must take effect once between invoke and return
 * with the observed output; `unknown` ops may take effect once after their invoke, or never; `fail` ops
 * took no effect and are dropped. Depth-first search over which op takes effect next, memoising
 * (set of linearized ops, model state) pairs as in Lowe's JIT-linearization variant of Wing–Gong.
 */
export function linearizable<S>(
  ops: readonly Operation[],
  model: Model<S>,
  budget = 200_000,
): LinearizationResult {
  const items: SearchOp[] = ops
    .filter((o) => o.completion.type !== 'fail')
    .map((o) => ({
      op: o,
      invokeT: o.invoke.t,
      returnT: o.completion.type === 'ok' ? o.completion.t : Infinity,
      output: o.completion.type === 'ok' ? o.completion.output : undefined,
    }))
    .sort((a, b) => a.invokeT - b.invokeT);
  const mustCount = items.filter((i) => i.output !== undefined).length;
  const visited = new Set<string>();
  let explored = 0;
  const done = new Array<boolean>(items.length).fill(false);

  const search = (state: S, linearizedMust: number): boolean => {
    if (linearizedMust === mustCount) return true;
    if (++explored > budget) throw new BudgetExceeded();
    const memo = `${done.map((d) => (d ? '1' : '0')).join('')}|${model.key(state)}`;
    if (visited.has(memo)) return false;
    visited.add(memo);
    // An op can go next only if it was invoked before every pending op's return (real-time order).
    let horizon = Infinity;
    for (let i = 0; i < items.length; i++) if (!done[i]) horizon = Math.min(horizon, items[i]!.returnT);
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (done[i]) continue;
      if (it.invokeT > horizon) break;
      const next = model.step(state, it.op.invoke.model);
      if (it.output !== undefined && next.output !== it.output) continue;
      done[i] = true;
      if (search(next.state, linearizedMust + (it.output !== undefined ? 1 : 0))) return true;
      done[i] = false;
    }
    return false;
  };
  try {
    return { ok: search(model.init, 0), explored };
  } catch (e) {
    if (e instanceof BudgetExceeded) return { ok: false, explored, note: `search budget ${budget} exceeded` };
    throw e;
  }
}

class BudgetExceeded extends Error {}

/**
 * Registry linearizability, checked per key (linearizability is local, Herlihy & Wing §3.3): ops whose
 * model has a `key` are grouped by it and each group searched against `model`.
 */
export function checkLinearizable<S>(
  history: readonly HistoryEvent[],
  model: Model<S>,
  budget?: number,
): CheckResult {
  const problems: string[] = [];
  const byKey = new Map<string, Operation[]>();
  for (const o of operations(history)) {
    const key = o.invoke.model.key;
    if (key === undefined) continue;
    const list = byKey.get(key) ?? [];
    list.push(o);
    byKey.set(key, list);
  }
  let explored = 0;
  for (const [key, ops] of byKey) {
    const r = linearizable(ops, model, budget);
    explored += r.explored;
    if (!r.ok)
      problems.push(`key ${key}: no linearization of ${ops.length} ops${r.note ? ` (${r.note})` : ''}`);
  }
  return result('registry linearizable', problems, { keys: byKey.size, explored });
}

/** Per-key registry state of {@link registryModel}. */
export type RegistryKeyState =
  | { readonly kind: 'absent' }
  | { readonly kind: 'active'; readonly value: string }
  | { readonly kind: 'revoked' };

/**
 * The registry's sequential specification for one key: `register(key, value)` succeeds once on an absent
 * key; `revoke(key)` turns an active key revoked; `lookup(key)` returns the value, `revoked` or `absent`;
 * `issue(key)` succeeds only for an active key. Outputs are the strings the workload records.
 */
export const registryModel: Model<RegistryKeyState> = {
  init: { kind: 'absent' },
  step(state, op) {
    switch (op.f) {
      case 'register':
        return state.kind === 'absent'
          ? { output: 'ok', state: { kind: 'active', value: op.value ?? '' } }
          : { output: 'exists', state };
      case 'revoke':
        return state.kind === 'active'
          ? { output: 'ok', state: { kind: 'revoked' } }
          : { output: 'not-active', state };
      case 'lookup':
        return { output: state.kind === 'active' ? `value:${state.value}` : state.kind, state };
      case 'issue':
        return { output: state.kind === 'active' ? 'issued' : 'not-active', state };
      default:
        throw new Error(`registry model: unknown op ${op.f}`);
    }
  },
  key: (s) => (s.kind === 'active' ? `a:${s.value}` : s.kind),
};

/**
 * No certificate is issued for a key after its revocation was acknowledged: an `issue` op acknowledged
 * with output `issued` and invoked after some `revoke` of that key returned `ok` is a violation.
 */
export function checkNoIssueAfterRevoke(history: readonly HistoryEvent[]): CheckResult {
  const problems: string[] = [];
  const revokedAt = new Map<string, number>();
  const ops = operations(history);
  for (const { invoke, completion } of ops) {
    if (invoke.model.f !== 'revoke' || completion.type !== 'ok' || completion.output !== 'ok') continue;
    const key = invoke.model.key ?? '';
    revokedAt.set(key, Math.min(revokedAt.get(key) ?? Infinity, completion.t));
  }
  let issued = 0;
  for (const { invoke, completion } of ops) {
    if (invoke.model.f !== 'issue' || completion.type !== 'ok' || completion.output !== 'issued') continue;
    issued++;
    const at = revokedAt.get(invoke.model.key ?? '');
    if (at !== undefined && invoke.t > at) {
      problems.push(
        `op ${invoke.id}: certificate issued for key ${invoke.model.key} after its revocation was acknowledged at ${at} ms`,
      );
    }
  }
  return result('no certificate after acknowledged revocation', problems, {
    issued,
    revoked: revokedAt.size,
  });
}

/** `ping` echoes: an acknowledged ping's output is the payload it sent. */
export function checkEchoes(history: readonly HistoryEvent[]): CheckResult {
  const problems: string[] = [];
  let checked = 0;
  for (const { invoke, completion } of operations(history)) {
    if (invoke.model.f !== 'ping' || completion.type !== 'ok') continue;
    checked++;
    if (completion.output !== invoke.model.value)
      problems.push(`op ${invoke.id}: ping answered ${completion.output}, sent ${invoke.model.value}`);
  }
  return result('pings echo their payload', problems, { checked });
}
