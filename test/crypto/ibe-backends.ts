/**
 * The IBE backends every IBE interop/contract test runs on (STYLE.md practice 9). mcl-wasm loads
 * asynchronously, so each entry is a loader for `beforeAll(async () => ...)`. Forcing `mcl` rejects with
 * BACKEND_UNAVAILABLE when it cannot load, so a broken mcl fails these tests instead of skipping them.
 */
import type { Ibe, IbeCurve } from '../../src/crypto/ibe/index.js';
import { loadIbe, loadMclIbeCurve, nobleIbeCurve } from '../../src/crypto/ibe/index.js';

export type AnyIbeCurve = IbeCurve<unknown, unknown, unknown>;

export const IBE_CURVES: readonly [string, () => Promise<AnyIbeCurve>][] = [
  ['noble', () => Promise.resolve(nobleIbeCurve)],
  ['mcl', () => loadMclIbeCurve()],
];

export const IBE_SCHEMES: readonly [string, () => Promise<Ibe>][] = [
  ['noble', () => loadIbe({ prefer: 'noble' })],
  ['mcl', () => loadIbe({ prefer: 'mcl' })],
];
