/** Omega's default IBE instance: Boneh–Franklin (tlock layout) on the noble backend. */
import { nobleIbeCurve } from './curve.js';
import type { Ibe } from './scheme.js';
import { makeIbe } from './scheme.js';

/** The IBE on @noble/curves; see {@link Ibe}. */
export const ibe: Ibe = makeIbe(nobleIbeCurve);
