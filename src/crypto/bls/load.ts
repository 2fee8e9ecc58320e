/**
 * Backend selection (ARCHITECTURE.md D4): `auto` takes mcl-wasm when it loads and passes its
 * known-answer test, and falls back to noble otherwise; `noble` and `mcl` force one (forcing `mcl`
 * fails with BACKEND_UNAVAILABLE rather than silently falling back). The runtime maps the
 * `OMEGA_BLS_BACKEND` environment variable onto `prefer` (src/runtime/crypto-pool.ts): this module
 * reads no environment.
 */
import { OmegaError } from '../../errors.js';
import type { BlsBackend, BlsBackendName } from './backend.js';
import { loadMclBackend } from './mcl.js';
import { nobleBackend } from './noble.js';

/** Which backend to load. */
export type BlsBackendPreference = 'auto' | BlsBackendName;

/** Parses a preference string (for example from configuration); throws INVALID_ARGUMENT otherwise. */
export function parseBlsBackendPreference(value: string): BlsBackendPreference {
  if (value === 'auto' || value === 'noble' || value === 'mcl') return value;
  throw new OmegaError('INVALID_ARGUMENT', `unknown BLS backend "${value}" (auto, noble or mcl)`);
}

/**
 * Loads a BLS backend.
 *
 * @example
 * const bls = await loadBlsBackend({ prefer: 'auto' }); // mcl when available, else noble
 * const sig = bls.signG1(message, BLS_SIG_DST, secretKey);
 */
export async function loadBlsBackend(options: { prefer?: BlsBackendPreference } = {}): Promise<BlsBackend> {
  const prefer = parseBlsBackendPreference(options.prefer ?? 'auto');
  if (prefer === 'noble') return nobleBackend;
  if (prefer === 'mcl') return loadMclBackend();
  try {
    return await loadMclBackend();
  } catch {
    // auto: the reference backend is always available; the choice is visible as `backend.name`.
    return nobleBackend;
  }
}
