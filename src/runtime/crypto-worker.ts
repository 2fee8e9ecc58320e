/**
 * Worker-thread entry of the crypto pool (src/runtime/crypto-pool.ts). Loads a BLS backend once, then
 * answers requests `{ id, op, args }` with `{ id, ok: true, value }` or, for a rejection,
 * `{ id, ok: false, error: { code, message, culprits } }` so the pool can rebuild the same OmegaError.
 *
 * Secret shares reach this thread by structured clone inside the process; they are never logged.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OmegaError } from '../errors.js';
import { loadBlsBackend } from '../crypto/bls/load.js';
import { inThreadBls } from '../crypto/bls/service.js';
import type { PoolRequest, PoolResponse, WorkerInit } from './crypto-pool.js';

const port = parentPort;
if (port === null) throw new Error('crypto-worker must run in a worker thread');
const init = workerData as WorkerInit;

const ready = loadBlsBackend({ prefer: init.prefer }).then((backend) => {
  port.postMessage({ id: 0, ok: true, value: backend.name } satisfies PoolResponse);
  return inThreadBls(backend);
});
ready.catch((e: unknown) => port.postMessage(failure(0, e)));

port.on('message', (request: PoolRequest) => {
  void handle(request).then((response) => port.postMessage(response));
});

async function handle(request: PoolRequest): Promise<PoolResponse> {
  try {
    const bls = await ready;
    switch (request.op) {
      case 'partialSign':
        return { id: request.id, ok: true, value: await bls.partialSign(...request.args) };
      case 'verifyPartial':
        return { id: request.id, ok: true, value: await bls.verifyPartial(...request.args) };
      case 'combine':
        return { id: request.id, ok: true, value: await bls.combine(...request.args) };
      case 'verify':
        return { id: request.id, ok: true, value: await bls.verify(...request.args) };
    }
  } catch (e) {
    return failure(request.id, e);
  }
}

function failure(id: number, e: unknown): PoolResponse {
  if (e instanceof OmegaError) {
    return { id, ok: false, error: { code: e.code, message: e.message, culprits: [...e.culprits] } };
  }
  return { id, ok: false, error: { code: undefined, message: e instanceof Error ? e.message : String(e) } };
}
