/**
 * The asynchronous face of threshold BLS, so that callers are written once and the work can run either
 * on the calling thread ({@link inThreadBls}) or in a `worker_threads` pool
 * (src/runtime/crypto-pool.ts, same interface) without the caller changing (ARCHITECTURE.md D4: heavy
 * crypto must not stall consensus timers). Errors arrive as rejected promises carrying the same
 * {@link OmegaError} codes and culprits as the synchronous functions.
 */
import type { SecretShare } from '../vss.js';
import type { BlsBackend, BlsBackendName } from './backend.js';
import type { CombineResult, PartialSignature, ThresholdPublicKey } from './threshold.js';
import { combine, partialSign, verify, verifyPartial } from './threshold.js';

/** Threshold BLS operations (see src/crypto/bls/threshold.ts for their contracts). */
export interface ThresholdBlsService {
  /** The backend doing the arithmetic ('noble' or 'mcl'). */
  readonly backendName: BlsBackendName;
  partialSign(share: SecretShare, message: Uint8Array): Promise<PartialSignature>;
  verifyPartial(publicShare: Uint8Array, message: Uint8Array, partial: PartialSignature): Promise<boolean>;
  combine(
    key: ThresholdPublicKey,
    message: Uint8Array,
    partials: readonly PartialSignature[],
  ): Promise<CombineResult>;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** Releases resources (workers); later calls reject. A no-op in-thread. */
  close(): Promise<void>;
}

/**
 * Runs every operation synchronously on the calling thread behind the async interface.
 *
 * @example
 * const bls = inThreadBls(await loadBlsBackend());
 * const partial = await bls.partialSign(share, message);
 */
export function inThreadBls(backend: BlsBackend): ThresholdBlsService {
  const run = <T>(f: () => T): Promise<T> => {
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return {
    backendName: backend.name,
    partialSign: (share, message) => run(() => partialSign(backend, share, message)),
    verifyPartial: (publicShare, message, partial) =>
      run(() => verifyPartial(backend, publicShare, message, partial)),
    combine: (key, message, partials) => run(() => combine(backend, key, message, partials)),
    verify: (publicKey, message, signature) => run(() => verify(backend, publicKey, message, signature)),
    close: () => Promise.resolve(),
  };
}
