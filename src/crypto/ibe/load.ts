/**
 * IBE backend selection, mirroring `loadBlsBackend` (ARCHITECTURE.md D4; docs/crypto.md "Backend
 * seam"): `auto` takes mcl-wasm when it loads and passes its known-answer tests (BLS and GT bytes),
 * and falls back to noble otherwise; `noble` and `mcl` force one (forcing `mcl` fails with
 * BACKEND_UNAVAILABLE rather than silently falling back). Both produce the same bytes for the same
 * inputs and randomness (test/crypto/ibe-curve-contract.test.ts), so the choice is only about speed.
 */
import type { BlsBackendPreference } from '../bls/load.js';
import { parseBlsBackendPreference } from '../bls/load.js';
import { loadMclIbeCurve } from './curve-mcl.js';
import { ibe as nobleIbe } from './default.js';
import type { Ibe } from './scheme.js';
import { makeIbe } from './scheme.js';

let mclIbe: Ibe | undefined;

async function loadMclIbe(): Promise<Ibe> {
  mclIbe ??= makeIbe(await loadMclIbeCurve());
  return mclIbe;
}

/**
 * Loads the IBE on a pairing backend; `ibe.curve` names the one chosen.
 *
 * @example
 * const ibe = await loadIbe({ prefer: 'auto' }); // mcl when available, else noble
 * const ct = ibe.encrypt(masterPublicKey, identity, dataKey, rng);
 */
export async function loadIbe(options: { prefer?: BlsBackendPreference } = {}): Promise<Ibe> {
  const prefer = parseBlsBackendPreference(options.prefer ?? 'auto');
  if (prefer === 'noble') return nobleIbe;
  if (prefer === 'mcl') return loadMclIbe();
  try {
    return await loadMclIbe();
  } catch {
    // auto: the reference backend is always available; the choice is visible as `ibe.curve`.
    return nobleIbe;
  }
}
