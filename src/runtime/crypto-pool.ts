/**
 * A `worker_threads` pool running threshold BLS off the main thread behind the same
 * {@link ThresholdBlsService} interface as `inThreadBls` (src/crypto/bls/service.ts), so a caller
 * switches between the two without changing (ARCHITECTURE.md D4: a 3–25 ms pairing must not stall
 * consensus timers on the event loop).
 *
 * Each worker loads its own backend (mcl-wasm instances are per thread). Requests go to the worker with
 * the fewest requests in flight; the number in flight per worker is bounded (`maxQueuePerWorker`), beyond
 * which calls reject with LIMIT_EXCEEDED rather than queue without limit. Rejections carry the same
 * OmegaError code and culprits as in-thread calls.
 *
 * Backend choice: `options.prefer`, else the `OMEGA_BLS_BACKEND` environment variable (auto | noble |
 * mcl), else auto.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BlsBackendName } from '../crypto/bls/backend.js';
import type { BlsBackendPreference } from '../crypto/bls/load.js';
import { parseBlsBackendPreference } from '../crypto/bls/load.js';
import type { ThresholdBlsService } from '../crypto/bls/service.js';
import type { ErrorCode } from '../errors.js';
import { OmegaError } from '../errors.js';

/**
 * The backend preference set by the `OMEGA_BLS_BACKEND` environment variable (auto | noble | mcl;
 * unset means auto). For in-thread use: `loadBlsBackend({ prefer: blsBackendPreferenceFromEnv() })`.
 * Throws INVALID_ARGUMENT for any other value.
 */
export function blsBackendPreferenceFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): BlsBackendPreference {
  return parseBlsBackendPreference(env.OMEGA_BLS_BACKEND ?? 'auto');
}

/** Options of {@link createBlsPool}. */
export interface BlsPoolOptions {
  /** Number of worker threads; default min(2, available cores). */
  readonly size?: number;
  /** Backend each worker loads; default from OMEGA_BLS_BACKEND, else 'auto'. */
  readonly prefer?: BlsBackendPreference;
  /** Bound on requests in flight per worker; default 1024. */
  readonly maxQueuePerWorker?: number;
}

/** Largest pool Omega starts (a limit on everything; STYLE.md). */
export const MAX_POOL_SIZE = 64;

type Service = Omit<ThresholdBlsService, 'backendName' | 'close'>;
type Op = keyof Service;

/** A request to a worker (internal protocol between the pool and src/runtime/crypto-worker.ts). */
export type PoolRequest = {
  [K in Op]: { readonly id: number; readonly op: K; readonly args: Parameters<Service[K]> };
}[Op];

/** A worker's answer; id 0 is the start-up message carrying the loaded backend's name. */
export type PoolResponse =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: { code: ErrorCode | undefined; message: string; culprits?: number[] };
    };

/** Data passed to each worker at start. */
export interface WorkerInit {
  readonly prefer: BlsBackendPreference;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Set when the worker died; no request is routed to it again. */
  dead: boolean;
}

/**
 * Starts the pool and waits until every worker has loaded its backend. Rejects with
 * BACKEND_UNAVAILABLE if a worker cannot load the requested backend.
 *
 * @example
 * const bls = await createBlsPool({ size: 2 });
 * const { signature } = await bls.combine(key, message, partials);
 * await bls.close();
 */
export async function createBlsPool(options: BlsPoolOptions = {}): Promise<ThresholdBlsService> {
  const size = options.size ?? Math.min(2, availableParallelism());
  if (!Number.isInteger(size) || size < 1 || size > MAX_POOL_SIZE) {
    throw new OmegaError('OUT_OF_RANGE', `pool size must be 1..${MAX_POOL_SIZE}, got ${size}`);
  }
  const maxQueue = options.maxQueuePerWorker ?? 1024;
  const prefer = options.prefer ?? blsBackendPreferenceFromEnv();
  const init: WorkerInit = { prefer };

  const fromSource = import.meta.url.endsWith('.ts');
  const workerUrl = new URL(fromSource ? './crypto-worker.ts' : './crypto-worker.js', import.meta.url);

  const slots: Slot[] = [];
  const started: Promise<BlsBackendName>[] = [];
  let closed = false;

  for (let k = 0; k < size; k++) {
    const worker = fromSource
      ? new Worker(tsxBootstrap(workerUrl), { eval: true, workerData: init })
      : new Worker(workerUrl, { workerData: init });
    const slot: Slot = { worker, pending: new Map(), dead: false };
    slots.push(slot);
    started.push(
      new Promise<BlsBackendName>((resolve, reject) => {
        slot.pending.set(0, { resolve: (v) => resolve(v as BlsBackendName), reject });
      }),
    );
    worker.on('message', (response: PoolResponse) => {
      const p = slot.pending.get(response.id);
      if (p === undefined) return;
      slot.pending.delete(response.id);
      if (response.ok) p.resolve(response.value);
      else p.reject(rebuildError(response.error));
    });
    worker.on('error', (cause) => {
      slot.dead = true;
      failAll(slot, new OmegaError('BACKEND_UNAVAILABLE', 'a crypto worker failed', { cause }));
    });
    worker.on('exit', (code) => {
      slot.dead = true;
      if (!closed)
        failAll(slot, new OmegaError('BACKEND_UNAVAILABLE', `a crypto worker exited (code ${code})`));
    });
  }

  let backendNames: BlsBackendName[];
  try {
    backendNames = await Promise.all(started);
  } catch (e) {
    closed = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw e;
  }
  const backendName = backendNames[0]!;

  let nextId = 1;
  const call = <K extends Op>(
    op: K,
    args: Parameters<Service[K]>,
  ): Promise<Awaited<ReturnType<Service[K]>>> => {
    if (closed) return Promise.reject(new OmegaError('BACKEND_UNAVAILABLE', 'the crypto pool is closed'));
    let slot: Slot | undefined;
    for (const s of slots)
      if (!s.dead && (slot === undefined || s.pending.size < slot.pending.size)) slot = s;
    if (slot === undefined) {
      return Promise.reject(new OmegaError('BACKEND_UNAVAILABLE', 'every crypto worker has died'));
    }
    if (slot.pending.size >= maxQueue) {
      return Promise.reject(
        new OmegaError('LIMIT_EXCEEDED', `crypto pool queue is full (${maxQueue} per worker)`),
      );
    }
    const id = nextId++;
    const target = slot;
    return new Promise((resolve, reject) => {
      target.pending.set(id, { resolve: (v) => resolve(v as Awaited<ReturnType<Service[K]>>), reject });
      slot.worker.postMessage({ id, op, args });
    });
  };

  return {
    backendName,
    partialSign: (...args) => call('partialSign', args),
    verifyPartial: (...args) => call('verifyPartial', args),
    combine: (...args) => call('combine', args),
    verify: (...args) => call('verify', args),
    close: async () => {
      closed = true;
      for (const s of slots) failAll(s, new OmegaError('BACKEND_UNAVAILABLE', 'the crypto pool was closed'));
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

/**
 * Run from TypeScript sources (tests, benchmarks, `tsx`), a worker must register the tsx loader itself:
 * on Node 20 `--import` in a worker's `execArgv` is ignored and loader hooks are per thread. Compiled to
 * JavaScript, the worker file is started directly and tsx is not needed.
 */
function tsxBootstrap(workerUrl: URL): string {
  // tsx's ESM API sits next to its CommonJS one (package.json "exports" of tsx 4: ./esm/api).
  const api = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
}

function failAll(slot: Slot, error: Error): void {
  for (const p of slot.pending.values()) p.reject(error);
  slot.pending.clear();
}

function rebuildError(error: { code: ErrorCode | undefined; message: string; culprits?: number[] }): Error {
  if (error.code === undefined) return new Error(error.message);
  // OmegaError prefixes its message with the code; strip it so the rebuilt error reads the same.
  const prefix = `${error.code}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return new OmegaError(error.code, message, { culprits: error.culprits ?? [] });
}
