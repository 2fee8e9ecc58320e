/**
 * Histories of a chaos run (docs/reliability.md): every client operation is an `invoke` followed by
 * exactly one completion (`ok`, `fail` or `unknown`), with wall-clock times in ms since the run started;
 * faults are events of their own. One JSON object per line, so a run that dies half-way still leaves a
 * readable prefix (Jepsen's history model: Kingsbury, "Jepsen: Knossos", and Lowe's testing notes).
 *
 * Byte fields are lowercase hex so a history is plain JSON and can be diffed.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

/** What the workload model knows about an operation (checkers read `model`, not the wire bytes). */
export interface OpModel {
  /** Operation kind in the model: 'ping', 'register', 'revoke', 'lookup', 'issue', … */
  readonly f: string;
  /** The registry key the operation touches (absent for ping). */
  readonly key?: string;
  /** The value written (register) or expected (ping echo). */
  readonly value?: string;
}

export interface InvokeEvent {
  readonly type: 'invoke';
  readonly id: number;
  readonly client: number;
  readonly t: number;
  readonly model: OpModel;
  /** Envelope hash (hex): how the op is found in the decided log even when its outcome is unknown. */
  readonly envelopeHash: string;
}

/** f+1 (or more) replica signatures over the accepted result bytes. */
export interface ReplySignature {
  readonly replicaIndex: number;
  readonly signature: string;
}

export interface OkEvent {
  readonly type: 'ok';
  readonly id: number;
  readonly t: number;
  /** Output of the operation (hex), as the model reads it (e.g. a lookup's value). */
  readonly output: string;
  readonly height: number;
  readonly index: number;
  readonly resultBytes: string;
  readonly signatures: readonly ReplySignature[];
  /**
   * With the service key pinned: the reply certificate (hex, src/core/replies) that made the SDK accept
   * the result — the service's threshold signature over the result's block, checked again by
   * checkSignatures.
   */
  readonly certificate?: string;
  /**
   * A registry lookup that returned an X.509 certificate: its DER (hex) and the validity the answer
   * stated, checked by checkIssuedCertificates.
   */
  readonly issued?: { readonly der: string; readonly notBeforeMs: number; readonly notAfterMs: number };
}

export interface FailEvent {
  readonly type: 'fail';
  readonly id: number;
  readonly t: number;
  readonly code: string;
}

export interface UnknownEvent {
  readonly type: 'unknown';
  readonly id: number;
  readonly t: number;
  readonly reason: string;
}

/** A fault the nemesis injected or healed; `down` is the set of replicas faulty right after it. */
export interface FaultEvent {
  readonly type: 'fault';
  readonly t: number;
  readonly action: string;
  readonly targets: readonly number[];
  readonly down: readonly number[];
  /** Highest decided height any live replica reported just before the fault (for the > f check). */
  readonly height?: number;
  readonly note?: string;
}

export type HistoryEvent = InvokeEvent | OkEvent | FailEvent | UnknownEvent | FaultEvent;
export type Completion = OkEvent | FailEvent | UnknownEvent;

/** An invoke paired with its completion (a missing completion is `unknown` at +∞). */
export interface Operation {
  readonly invoke: InvokeEvent;
  readonly completion: Completion;
}

/** Pairs invokes with completions; an op never completed is `unknown` with t = +∞. */
export function operations(history: readonly HistoryEvent[]): Operation[] {
  const open = new Map<number, InvokeEvent>();
  const out: Operation[] = [];
  for (const e of history) {
    if (e.type === 'invoke') {
      if (open.has(e.id)) throw new Error(`history: op ${e.id} invoked twice`);
      open.set(e.id, e);
    } else if (e.type !== 'fault') {
      const invoke = open.get(e.id);
      if (invoke === undefined) throw new Error(`history: completion of op ${e.id} without an invoke`);
      open.delete(e.id);
      out.push({ invoke, completion: e });
    }
  }
  for (const invoke of open.values()) {
    out.push({
      invoke,
      completion: { type: 'unknown', id: invoke.id, t: Infinity, reason: 'never completed' },
    });
  }
  return out.sort((a, b) => a.invoke.t - b.invoke.t || a.invoke.id - b.invoke.id);
}

/** Appends events to a JSON-lines file as they happen (the file is the reproduction of a failure). */
export class HistoryFile {
  readonly events: HistoryEvent[] = [];
  constructor(readonly path: string) {
    writeFileSync(path, '');
  }
  add(event: HistoryEvent): void {
    this.events.push(event);
    appendFileSync(this.path, `${JSON.stringify(event)}\n`);
  }
}

export function readHistory(path: string): HistoryEvent[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as HistoryEvent);
}
