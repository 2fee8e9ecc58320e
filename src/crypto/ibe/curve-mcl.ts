/**
 * {@link IbeCurve} on mcl-wasm, the fast BLS12-381 backend of `src/crypto/bls/mcl.ts` (≈6× faster
 * pairings than noble on the project's VM; docs/crypto.md "BLS backends").
 *
 * It reuses that module's single, self-tested mcl initialisation (`loadMclPairingOps`): mcl's modes
 * are process-global, so this adapter never calls `init` or changes a mode. Decoding goes through the
 * shared strict decoder of `src/crypto/bls/backend.ts` (`decodeWith`), as the noble adapter does, so
 * malformed points are rejected with the same codes (a table-driven test compares them).
 *
 * GT bytes: mcl (ETH mode) writes Fp12 tower coefficients lowest first, c0 before c1 in Fp12 and
 * c0, c1, c2 in Fp6, but each Fp2 as c1‖c0 (48-byte big-endian Fp). tlock hashes kyber/kilic order,
 * Fp12 = c1‖c0, Fp6 = c2‖c1‖c0, Fp2 = c1‖c0 (tlock-js `fp12ToBytes`). So the tlock bytes are mcl's six
 * 96-byte Fp2 blocks in reverse order, each block unchanged. A known-answer check against the noble
 * adapter runs at load, so a change of mcl's serialization can never produce wrong ciphertexts.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { OmegaError, invariant } from '../../errors.js';
import { equalBytes, utf8 } from '../bytes.js';
import { decodeWith } from '../bls/backend.js';
import { BLS12_381_R, checkMessage } from '../bls/encoding.js';
import type { McPairingOps } from '../bls/mcl.js';
import { loadMclPairingOps } from '../bls/mcl.js';
import type { IbeCurve } from './curve.js';
import { GT_BYTES, IBE_G1_DST, nobleIbeCurve } from './curve.js';

type Ops = McPairingOps['ops'];
type McG1 = ReturnType<Ops['hashToG1']>;
type McG2 = Ops['g2Generator'];
type McGT = ReturnType<McPairingOps['pairing']>;

/** Bytes of one Fp2 coefficient (two 48-byte Fp). */
const FP2_BYTES = 96;

/** mcl's ETH-mode GT bytes → tlock (kyber) bytes: the six Fp2 blocks in reverse order (module comment). */
function mclGtToTlock(native: Uint8Array): Uint8Array {
  invariant(native.length === GT_BYTES, 'mcl GT encoding is 576 bytes');
  const out = new Uint8Array(GT_BYTES);
  const blocks = GT_BYTES / FP2_BYTES;
  for (let i = 0; i < blocks; i++) {
    out.set(native.subarray((blocks - 1 - i) * FP2_BYTES, (blocks - i) * FP2_BYTES), i * FP2_BYTES);
  }
  return out;
}

function makeMclIbeCurve(p: McPairingOps): IbeCurve<McG1, McG2, McGT> {
  const { ops } = p;
  const dst = utf8(IBE_G1_DST);
  const negate = ops.g1Neg;
  return Object.freeze({
    name: 'mcl',
    order: BLS12_381_R,
    decodeG1: (bytes: Uint8Array) => decodeWith(bytes, 'G1', false, ops.g1Parse, ops.g1Encode),
    encodeG1: (q: McG1) => ops.g1Encode(q),
    decodeG2: (bytes: Uint8Array) => decodeWith(bytes, 'G2', false, ops.g2Parse, ops.g2Encode),
    encodeG2: (q: McG2) => ops.g2Encode(q),
    hashToG1: (message: Uint8Array) => {
      // mcl stages the message on its 1 MiB wasm stack: bound it as the BLS backend does.
      checkMessage(message);
      return ops.hashToG1(message, dst);
    },
    mulG1: (q: McG1, s: bigint) => ops.g1MulSecret(q, s),
    msmG1: (points: readonly McG1[], scalars: readonly bigint[]) => ops.g1Msm(points, scalars),
    mulBaseG2: (s: bigint) => ops.g2MulSecret(ops.g2Generator, s),
    equalG2: (a: McG2, b: McG2) => p.g2Equal(a, b),
    pairing: (a: McG1, b: McG2): McGT => {
      invariant(!ops.g1IsIdentity(a) && !ops.g2IsIdentity(b), 'pairing inputs are not the identity');
      return p.pairing(a, b);
    },
    gtToBytes: (t: McGT) => mclGtToTlock(p.gtSerialize(t)),
    // e(a1,a2)·e(-b1,b2) == 1: two Miller loops, one final exponentiation (mcl's millerLoopVec).
    pairingEqual: (a1: McG1, a2: McG2, b1: McG1, b2: McG2) =>
      ops.pairingProductIsOne([
        [a1, a2],
        [negate(b1), b2],
      ]),
    g2: ops.g2Generator,
  });
}

/**
 * Known-answer test of the pieces the BLS self-test does not cover: the GT bytes of e(3·g1, 5·g2)
 * must equal the noble adapter's (whose order is checked against tlock-js), and mulBaseG2 must agree.
 */
function selfTest(curve: IbeCurve<McG1, McG2, McGT>): void {
  const a = bls12_381.G1.Point.BASE.multiply(3n);
  const b = bls12_381.G2.Point.BASE.multiply(5n);
  const expected = nobleIbeCurve.gtToBytes(
    nobleIbeCurve.pairing(nobleIbeCurve.decodeG1(a.toBytes()), nobleIbeCurve.decodeG2(b.toBytes())),
  );
  const gt = curve.gtToBytes(curve.pairing(curve.decodeG1(a.toBytes()), curve.decodeG2(b.toBytes())));
  const ok = equalBytes(gt, expected) && equalBytes(curve.encodeG2(curve.mulBaseG2(5n)), b.toBytes());
  if (!ok)
    throw new OmegaError('BACKEND_UNAVAILABLE', 'mcl IBE curve failed its known-answer test against noble');
}

let loading: Promise<IbeCurve<McG1, McG2, McGT>> | undefined;

/**
 * Loads the mcl-wasm IBE curve (once per thread; later calls share the promise). Rejects with
 * BACKEND_UNAVAILABLE if mcl cannot load or fails a known-answer test.
 */
export function loadMclIbeCurve(): Promise<IbeCurve<McG1, McG2, McGT>> {
  loading ??= loadMclPairingOps()
    .then((p) => {
      const curve = makeMclIbeCurve(p);
      selfTest(curve);
      return curve;
    })
    .catch((cause: unknown) => {
      loading = undefined;
      throw cause instanceof OmegaError && cause.code === 'BACKEND_UNAVAILABLE'
        ? cause
        : new OmegaError('BACKEND_UNAVAILABLE', 'mcl IBE curve could not be loaded', { cause });
    });
  return loading;
}
