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
import { verifyCertifiedReply, type BlsVerify } from '../src/core/replies/certificate.js';
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

/** Envelope hashes executed (not as DUPLICATE_REQUEST no-ops) somewhere in `log`. */
export function executedEnvelopes(log: DecidedLog): Set<string> {
  const out = new Set<string>();
  for (const b of log) for (const r of b.requests) if (!r.duplicate) out.add(r.envelopeHash);
  return out;
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
  /**
   * The pinned service public key, when clients pinned it: then the SDK accepts one certified reply, so
   * every `ok` must carry a reply certificate that verifies under this key (src/core/replies
   * `verifyCertifiedReply`, with an independent BLS verifier), besides its replica's own signature.
   */
  readonly service?: {
    readonly publicKey: Uint8Array;
    readonly verify: BlsVerify;
  };
}

/**
 * Every reply the SDK accepted carries f+1 valid signatures (or, with the service key pinned, a reply
 * certificate valid under it) of distinct cluster replicas over exactly
 * the result bytes, and those bytes are bound to the op's envelope and the height/index it reported.
 */
export function checkSignatures(history: readonly HistoryEvent[], ctx: SignatureContext): CheckResult {
  const problems: string[] = [];
  let checked = 0;
  let certified = 0;
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
    if (ctx.service === undefined) {
      if (valid.size < ctx.f + 1)
        problems.push(`op ${invoke.id}: ${valid.size} valid signatures, need ${ctx.f + 1}`);
    } else if (completion.certificate === undefined) {
      problems.push(`op ${invoke.id}: accepted without a service certificate although the key is pinned`);
    } else {
      certified++;
      if (valid.size < 1) problems.push(`op ${invoke.id}: no valid replica signature`);
      try {
        verifyCertifiedReply(
          ctx.service.publicKey,
          ctx.chainId,
          fromHex(invoke.envelopeHash),
          { resultBytes: bytes, certificate: fromHex(completion.certificate) },
          ctx.service.verify,
        );
      } catch (e) {
        problems.push(
          `op ${invoke.id}: service certificate does not verify (${e instanceof Error ? e.message : String(e)})`,
        );
      }
    }
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
  return result(
    ctx.service === undefined
      ? 'accepted replies carry f+1 valid signatures'
      : 'accepted replies carry a valid service certificate',
    problems,
    { checked, certified },
  );
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
  /**
   * The output of an op that ended in `fail` with `code`, if that failure was a decided result the
   * model must explain (the op took effect as a no-op at one point of the order); undefined drops the op
   * (it certainly took no effect). Without this hook every `fail` is dropped.
   */
  failOutput?(op: OpModel, code: string): string | undefined;
  /** True for ops that never change the state (reads): an `unknown` one constrains nothing and is dropped. */
  readOnly?(op: OpModel): boolean;
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
 * took no effect and are dropped, unless `model.failOutput` names the decided error they observed (then
 * they are ordered like `ok` ops). Depth-first search over which op takes effect next, memoising
 * (set of linearized ops, model state) pairs as in Lowe's JIT-linearization variant of Wing–Gong.
 */
export function linearizable<S>(
  ops: readonly Operation[],
  model: Model<S>,
  budget = 200_000,
): LinearizationResult {
  const observed = (o: Operation): string | undefined =>
    o.completion.type === 'ok'
      ? o.completion.output
      : o.completion.type === 'fail'
        ? model.failOutput?.(o.invoke.model, o.completion.code)
        : undefined;
  const items: SearchOp[] = ops
    .filter((o) => o.completion.type !== 'fail' || observed(o) !== undefined)
    .filter((o) => o.completion.type !== 'unknown' || model.readOnly?.(o.invoke.model) !== true)
    .map((o) => ({
      op: o,
      invokeT: o.invoke.t,
      returnT: o.completion.type === 'unknown' ? Infinity : o.completion.t,
      output: observed(o),
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
 * model has a `key` are grouped by it and each group searched against `model`. `decided` (envelope hashes
 * executed in the final log, {@link executedEnvelopes}) resolves indeterminate ops as Jepsen does by
 * reading the database afterwards: an `unknown` op whose envelope the stopped cluster never executed
 * took no effect and is dropped; one that was executed stays unknown (it may have taken effect at any
 * point after its invoke).
 */
export function checkLinearizable<S>(
  history: readonly HistoryEvent[],
  model: Model<S>,
  budget?: number,
  decided?: ReadonlySet<string>,
): CheckResult {
  const problems: string[] = [];
  const byKey = new Map<string, Operation[]>();
  let resolved = 0;
  for (const o of operations(history)) {
    const key = o.invoke.model.key;
    if (key === undefined) continue;
    if (o.completion.type === 'unknown' && decided !== undefined && !decided.has(o.invoke.envelopeHash)) {
      // Never executed in the final decided log of a stopped cluster: it took no effect.
      resolved++;
      continue;
    }
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
  return result('registry linearizable', problems, {
    keys: byKey.size,
    explored,
    unknownNeverDecided: resolved,
  });
}

/** One key of a principal in {@link registryModel}: its name in the workload's key pool and status. */
export interface ModelKey {
  readonly name: string;
  readonly status: 'current' | 'superseded' | 'revoked';
}

/** Per-principal registry state of {@link registryModel} (one key type: ed25519). */
export interface RegistryPrincipalState {
  /** The key name k administrators authorized for the principal, not yet consumed by a registration. */
  readonly authorized: string | undefined;
  /** Registered keys in registration order (src/core/registry/registry.ts keeps them so). */
  readonly keys: readonly ModelKey[];
}

/**
 * Error codes a registry operation returns as its decided result (docs/registry.md "Access rules"): a
 * `fail` with one of these was ordered and executed as a no-op, so it is an observation the model must
 * explain (a register refused with KEY_ALREADY_REGISTERED says the key was registered at that point).
 * Any other failure code (the SDK's pre-ordering rejections) is dropped: it certainly took no effect.
 */
export const REGISTRY_DECIDED_ERRORS: ReadonlySet<string> = new Set([
  'KEY_REVOKED',
  'NOT_AUTHORIZED',
  'KEY_DIGEST_MISMATCH',
  'KEY_ALREADY_REGISTERED',
  'UNKNOWN_KEY',
  'REVOCATION_NOT_AUTHORIZED',
  'CA_NOT_READY',
  'BAD_PROOF_OF_POSSESSION',
  'ADMIN_QUORUM_NOT_MET',
  'ADMIN_ACTION_REPLAYED',
]);

/**
 * The registry's sequential specification for one principal and one key type, as
 * src/core/registry/registry.ts implements it (docs/registry.md). Ops name a key of the workload's pool
 * in `value` (`k0`, `k1`, …); the key digests are distinct, so principals are independent and the
 * history is checked per principal (`key` = principal name).
 * - `authorize(k)` (a k-of-m admin action): KEY_REVOKED if k was revoked, else k becomes the
 *   authorized key (replacing an earlier authorization).
 * - `register(k)`: KEY_REVOKED, NOT_AUTHORIZED (nothing authorized), KEY_DIGEST_MISMATCH (another key
 *   authorized), KEY_ALREADY_REGISTERED (k registered before, even if superseded), in that order; else
 *   k becomes current, the previous current key superseded, the authorization consumed.
 * - `revoke(k)` (signed by k itself): UNKNOWN_KEY if k was never registered, KEY_REVOKED if revoked;
 *   else k is revoked (permanently, whatever its status) and an authorization of k is dropped.
 * - `lookup`: `current:k` for the current key (the answer `pending` or `certificate`: which of the two
 *   depends on the FROST round's timing, not on the order), `revoked:k` when no key is current and the
 *   newest one is revoked, `unknown` otherwise.
 * Outputs of decided errors are `error:CODE` ({@link REGISTRY_DECIDED_ERRORS}).
 *
 * The model this replaces (an `issue` operation, registration without authorization, "register after
 * revoke succeeds on an absent key") did not match the registry: issuance happens on the first lookup of
 * a validity window, registration consumes a k-of-m authorization, and a revoked digest is never
 * registered again.
 */
export const registryModel: Model<RegistryPrincipalState> = {
  init: { authorized: undefined, keys: [] },
  step(state, op) {
    const k = op.value ?? '';
    const err = (code: string) => ({ output: `error:${code}`, state });
    const entry = state.keys.find((x) => x.name === k);
    switch (op.f) {
      case 'authorize':
        if (entry?.status === 'revoked') return err('KEY_REVOKED');
        return { output: 'ok', state: { ...state, authorized: k } };
      case 'register':
        if (entry?.status === 'revoked') return err('KEY_REVOKED');
        if (state.authorized === undefined) return err('NOT_AUTHORIZED');
        if (state.authorized !== k) return err('KEY_DIGEST_MISMATCH');
        if (entry !== undefined) return err('KEY_ALREADY_REGISTERED');
        return {
          output: 'ok',
          state: {
            authorized: undefined,
            keys: [
              ...state.keys.map((x) =>
                x.status === 'current' ? { ...x, status: 'superseded' as const } : x,
              ),
              { name: k, status: 'current' },
            ],
          },
        };
      case 'revoke':
        if (entry === undefined) return err('UNKNOWN_KEY');
        if (entry.status === 'revoked') return err('KEY_REVOKED');
        return {
          output: 'ok',
          state: {
            authorized: state.authorized === k ? undefined : state.authorized,
            keys: state.keys.map((x) => (x.name === k ? { ...x, status: 'revoked' as const } : x)),
          },
        };
      case 'lookup': {
        const current = state.keys.find((x) => x.status === 'current');
        if (current !== undefined) return { output: `current:${current.name}`, state };
        const last = state.keys[state.keys.length - 1];
        return { output: last?.status === 'revoked' ? `revoked:${last.name}` : 'unknown', state };
      }
      default:
        throw new Error(`registry model: unknown op ${op.f}`);
    }
  },
  failOutput: (_op, code) => (REGISTRY_DECIDED_ERRORS.has(code) ? `error:${code}` : undefined),
  readOnly: (op) => op.f === 'lookup',
  key: (s) => `${s.authorized ?? '-'}|${s.keys.map((x) => `${x.name}${x.status[0]}`).join(',')}`,
};

/** The key a registry op's output says is current (`current:k`), if any. */
function currentKeyOf(output: string): string | undefined {
  return output.startsWith('current:') ? output.slice('current:'.length) : undefined;
}

/**
 * No certificate is issued for a key after its revocation was acknowledged (docs/registry.md: "a revoked
 * key is never certified again"). A lookup that answers `current:k` (a certificate, or one being
 * signed) for a key k whose revocation some client saw acknowledged is a violation when
 * - the lookup was invoked after that acknowledgement (real time), or
 * - the lookup was decided at a greater height than the revocation (the log's own order, which needs no
 *   clock: heights come from the service-signed results).
 */
export function checkNoIssueAfterRevoke(history: readonly HistoryEvent[]): CheckResult {
  const problems: string[] = [];
  const revoked = new Map<string, { t: number; height: number }>();
  const ops = operations(history);
  const id = (o: Operation) => `${o.invoke.model.key ?? ''}/${o.invoke.model.value ?? ''}`;
  for (const o of ops) {
    const c = o.completion;
    if (o.invoke.model.f !== 'revoke' || c.type !== 'ok' || c.output !== 'ok') continue;
    const prev = revoked.get(id(o));
    revoked.set(id(o), {
      t: Math.min(prev?.t ?? Infinity, c.t),
      height: Math.min(prev?.height ?? Infinity, c.height),
    });
  }
  let certified = 0;
  for (const { invoke, completion } of ops) {
    if (invoke.model.f !== 'lookup' || completion.type !== 'ok') continue;
    const k = currentKeyOf(completion.output);
    if (k === undefined) continue;
    certified++;
    const r = revoked.get(`${invoke.model.key ?? ''}/${k}`);
    if (r === undefined) continue;
    if (invoke.t > r.t) {
      problems.push(
        `op ${invoke.id}: key ${invoke.model.key}/${k} certified after its revocation was acknowledged at ${r.t} ms`,
      );
    } else if (completion.height > r.height) {
      problems.push(
        `op ${invoke.id}: key ${invoke.model.key}/${k} certified at height ${completion.height}, after its revocation at height ${r.height}`,
      );
    }
  }
  return result('no certificate after acknowledged revocation', problems, {
    certifiedLookups: certified,
    revokedKeys: revoked.size,
  });
}

/** A registry audit entry of the decided log, as the harness reads it from a replayed machine. */
export interface AuditSummary {
  readonly seq: number;
  readonly height: number;
  readonly kind: string;
  /** Key digest (hex) of register, revoke and issue entries. */
  readonly digest?: string;
}

/**
 * The same property on the replicated log itself, independent of what clients saw: in the registry's
 * audit chain (docs/registry.md "Audit log"), no `issue` entry for a digest follows that digest's
 * `revoke` entry, and no digest is registered again after its revocation.
 */
export function checkAuditNoIssueAfterRevoke(audit: readonly AuditSummary[]): CheckResult {
  const problems: string[] = [];
  const revokedAt = new Map<string, AuditSummary>();
  let issues = 0;
  for (const e of audit) {
    if (e.digest === undefined) continue;
    const r = revokedAt.get(e.digest);
    if (e.kind === 'revoke' && r === undefined) revokedAt.set(e.digest, e);
    else if (e.kind === 'revoke')
      problems.push(`audit ${e.seq}: digest ${e.digest.slice(0, 16)}… revoked twice`);
    if (e.kind === 'issue') issues++;
    if ((e.kind === 'issue' || e.kind === 'register') && r !== undefined) {
      problems.push(
        `audit ${e.seq}: ${e.kind} of digest ${e.digest.slice(0, 16)}… at height ${e.height} after its revocation (audit ${r.seq}, height ${r.height})`,
      );
    }
  }
  return result('audit log: no issuance after revocation', problems, {
    entries: audit.length,
    issues,
    revocations: revokedAt.size,
  });
}

/** What checkIssuedCertificates needs to know: the CA and the workload's keys. */
export interface IssuedCertificateContext {
  /** Verifies one certificate as the registry issues it (x509.ts verifyIssuedCertificate under the CA). */
  readonly verify: (
    der: Uint8Array,
    expected: { principal: string; expectedSpki: Uint8Array; notBeforeMs: number; notAfterMs: number },
  ) => string | undefined;
}

/**
 * Every X.509 certificate a lookup returned verifies under the CA (the FROST certificate key), names the
 * principal asked for, certifies the key the lookup said is current, and has the validity the answer
 * stated. `verify` returns undefined on success or the reason it failed; the harness passes x509.ts's
 * verifier and OpenSSL's (node:crypto), so a profile bug in one is not hidden by the other.
 */
export function checkIssuedCertificates(
  history: readonly HistoryEvent[],
  ctx: IssuedCertificateContext & {
    readonly spkiOf: (principal: string, key: string) => Uint8Array | undefined;
  },
): CheckResult {
  const problems: string[] = [];
  let checked = 0;
  for (const { invoke, completion } of operations(history)) {
    if (invoke.model.f !== 'lookup' || completion.type !== 'ok' || completion.issued === undefined) continue;
    checked++;
    const principal = invoke.model.key ?? '';
    const k = currentKeyOf(completion.output);
    const spki = k === undefined ? undefined : ctx.spkiOf(principal, k);
    if (spki === undefined) {
      problems.push(`op ${invoke.id}: a certificate came with answer ${completion.output}`);
      continue;
    }
    const why = ctx.verify(fromHex(completion.issued.der), {
      principal,
      expectedSpki: spki,
      notBeforeMs: completion.issued.notBeforeMs,
      notAfterMs: completion.issued.notAfterMs,
    });
    if (why !== undefined) problems.push(`op ${invoke.id}: certificate for ${principal}/${k}: ${why}`);
  }
  return result('issued certificates verify under the CA', problems, { checked });
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
