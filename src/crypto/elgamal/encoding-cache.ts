/**
 * A view of a {@link Group} that remembers each point's canonical encoding.
 *
 * Why: Fiat–Shamir transcripts hash the encoding of every public point (proofs.ts), and on ristretto255
 * an encoding costs an inverse square root — about 0.4 of a scalar multiplication in noble. A DLEQ
 * verification hashes six points, four of which (G, PK_i, R, D_i) are the same objects from call to call
 * or were just decoded from those very bytes. Caching them brings the operations close to their floor of
 * raw multiplications (docs/performance.md, "Threshold ElGamal and escrow").
 *
 * Safety: noble points are immutable, so a point object's encoding never changes; the cache is keyed by
 * object identity in a WeakMap (no leak, nothing secret: only public points are ever encoded) and hands
 * out copies, so a caller mutating an encoding cannot poison it. The view has the same name, field and
 * semantics as the group it wraps, so transcripts are byte-for-byte unchanged.
 */
import type { Group, PointLike } from '../group.js';

const views = new WeakMap<object, object>();

/** The caching view of `group` (one per group, so the cache is shared by every caller). */
export function withEncodingCache<P extends PointLike<P>>(group: Group<P>): Group<P> {
  const existing = views.get(group);
  if (existing !== undefined) return existing as Group<P>;
  const cache = new WeakMap<P, Uint8Array>();
  const view: Group<P> = Object.freeze({
    ...group,
    encode: (p: P): Uint8Array => {
      let e = cache.get(p);
      if (e === undefined) {
        e = group.encode(p);
        cache.set(p, e);
      }
      return e.slice();
    },
    decode: (bytes: Uint8Array, options?: { allowIdentity?: boolean }): P => {
      const p = group.decode(bytes, options);
      // The strict decoder has checked that `bytes` is p's canonical encoding.
      cache.set(p, bytes.slice());
      return p;
    },
  });
  views.set(group, view);
  views.set(view, view);
  return view;
}
