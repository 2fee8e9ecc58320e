/**
 * The fast backend: herumi's mcl compiled to WebAssembly (`mcl-wasm`). On the project's VM a pairing
 * costs ≈3.4 ms against ≈21 ms in noble (docs/crypto.md "BLS backends").
 *
 * Loading is asynchronous (WebAssembly instantiation) and happens once per thread. The wasm binary is
 * embedded in the package's JavaScript as base64, so loading reads no file and opens no socket; it is a
 * dependency being instantiated, not I/O. mcl keeps process-global modes, which we set once:
 *  - `setETHserialization(true)`: the ZCash compressed encoding that noble, drand and Ethereum use;
 *  - `setMapToMode(IRTF)`: hash-to-curve per RFC 9380 (simplified SWU + 11-isogeny, §6.6.3, §8.8.1);
 *    the DST is passed on every call (`hashAndMapToWithDst`), never taken from a global;
 *  - `verifyOrderG1/G2(false)`: the subgroup check is done explicitly after decoding, so that a point
 *    off the curve and a point outside the subgroup get different error codes (as with noble).
 * Nothing else in Omega may re-initialise mcl-wasm with another curve or other modes.
 *
 * A known-answer self-test against noble runs at load; a backend that disagrees is not returned.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import type * as McModuleNs from 'mcl-wasm';
import { OmegaError } from '../../errors.js';
import { bigintToBytesBE, equalBytes, utf8 } from '../bytes.js';
import type { BlsBackend, PointOps } from './backend.js';
import { makeBackend } from './backend.js';
import { BLS_SIG_DST } from './encoding.js';

type McModule = typeof McModuleNs;
type McG1 = InstanceType<McModule['G1']>;
type McG2 = InstanceType<McModule['G2']>;
type McGT = InstanceType<McModule['GT']>;

/** The raw wasm exports and stack helpers we call directly (mcl's C API, `include/mcl/bn.h`). */
interface McRaw {
  stackSave(): number;
  stackAlloc(bytes: number): number;
  stackRestore(sp: number): void;
  readonly HEAP8: Int8Array;
  sallocArray(values: Uint32Array[]): number;
  copyFromHeap32(a: Uint32Array, pos: number): void;
  callOp2(func: unknown, z: Uint32Array, x: Uint32Array, y: Uint32Array): number;
  /** int mclBnG1_hashAndMapToWithDst(G1 *x, const void *msg, size_t, const char *dst, size_t) */
  _mclBnG1_hashAndMapToWithDst(out: number, msg: number, msgLen: number, dst: number, dstLen: number): number;
  /** void mclBnG1_mulCT(G1 *z, const G1 *x, const Fr *y): constant-time scalar multiplication. */
  _mclBnG1_mulCT: unknown;
  _mclBnG2_mulCT: unknown;
  /** void mclBn_millerLoopVec(GT *z, const G1 *x, const G2 *y, size_t n) */
  _mclBn_millerLoopVec(z: number, x: number, y: number, n: number): void;
  /** void mclBn_finalExp(GT *y, const GT *x) */
  _mclBn_finalExp(y: number, x: number): void;
  /** int mclBnGT_isOne(const GT *x) */
  _mclBnGT_isOne(x: number): number;
}

/** The internal word array of an mcl value (present on every value class; not in its .d.ts). */
function words(v: unknown): Uint32Array {
  return (v as { a_: Uint32Array }).a_;
}

function makeOps(mcl: McModule, raw: McRaw): PointOps<McG1, McG2> {
  const scalar = (s: bigint): InstanceType<McModule['Fr']> => {
    const fr = new mcl.Fr();
    fr.deserialize(bigintToBytesBE(s, 32)); // ETH mode: 32-byte big-endian, rejects s >= r
    return fr;
  };
  const g2Generator = new mcl.G2();
  g2Generator.deserialize(bls12_381.G2.Point.BASE.toBytes(true));
  const gtBytes = words(new mcl.GT()).length * 4;

  return {
    name: 'mcl',
    g2Generator,
    g1Parse: (bytes) => {
      const p = new mcl.G1();
      try {
        p.deserialize(bytes);
      } catch (cause) {
        throw new OmegaError('NOT_ON_CURVE', 'G1: x is not the abscissa of a curve point', { cause });
      }
      if (!p.isValidOrder())
        throw new OmegaError('WRONG_SUBGROUP', 'G1: point is not in the prime-order subgroup');
      return p;
    },
    g2Parse: (bytes) => {
      const p = new mcl.G2();
      try {
        p.deserialize(bytes);
      } catch (cause) {
        throw new OmegaError('NOT_ON_CURVE', 'G2: x is not the abscissa of a curve point', { cause });
      }
      if (!p.isValidOrder())
        throw new OmegaError('WRONG_SUBGROUP', 'G2: point is not in the prime-order subgroup');
      return p;
    },
    g1Encode: (p) => p.serialize(),
    g2Encode: (p) => p.serialize(),
    g1IsIdentity: (p) => p.isZero(),
    g2IsIdentity: (p) => p.isZero(),
    hashToG1: (message, dst) => {
      const out = new mcl.G1();
      const a = words(out);
      const sp = raw.stackSave();
      try {
        const pos = raw.stackAlloc(a.length * 4 + message.length + dst.length);
        const msgPos = pos + a.length * 4;
        const dstPos = msgPos + message.length;
        const heap = raw.HEAP8;
        heap.set(message, msgPos);
        heap.set(dst, dstPos);
        const r = raw._mclBnG1_hashAndMapToWithDst(pos, msgPos, message.length, dstPos, dst.length);
        if (r !== 0) throw new OmegaError('INVALID_ARGUMENT', `mcl hash-to-G1 failed (${r})`);
        raw.copyFromHeap32(a, pos);
      } finally {
        raw.stackRestore(sp);
      }
      return out;
    },
    g1MulSecret: (p, s) => {
      const z = new mcl.G1();
      raw.callOp2(raw._mclBnG1_mulCT, words(z), words(p), words(scalar(s)));
      return z;
    },
    g2MulSecret: (p, s) => {
      const z = new mcl.G2();
      raw.callOp2(raw._mclBnG2_mulCT, words(z), words(p), words(scalar(s)));
      return z;
    },
    g1Msm: (points, scalars) => mcl.mulVec([...points], scalars.map(scalar)),
    g2Msm: (points, scalars) => mcl.mulVec([...points], scalars.map(scalar)),
    g1Neg: (p) => mcl.neg(p),
    g2Neg: (p) => mcl.neg(p),
    pairingProductIsOne: (pairs) => {
      const sp = raw.stackSave();
      try {
        const gtPos = raw.stackAlloc(gtBytes);
        const xPos = raw.sallocArray(pairs.map(([p]) => words(p)));
        const yPos = raw.sallocArray(pairs.map(([, q]) => words(q)));
        raw._mclBn_millerLoopVec(gtPos, xPos, yPos, pairs.length);
        raw._mclBn_finalExp(gtPos, gtPos);
        return raw._mclBnGT_isOne(gtPos) === 1;
      } finally {
        raw.stackRestore(sp);
      }
    },
  };
}

/** The mcl point type pair, opaque outside this module. */
export type McPointOps = PointOps<McG1, McG2>;

/**
 * What the IBE adapter (`src/crypto/ibe/curve-mcl.ts`) needs beyond {@link McPointOps}: the pairing
 * value itself (Boneh–Franklin hashes e(Q, mpk)^r, not just a product check), its native bytes, and
 * G2 equality. The modes set by {@link loadMclBackend} apply, so `gtSerialize` is mcl's Fp12 encoding
 * in ETH mode: tower coefficients lowest first (Fp12 = c0‖c1, Fp6 = c0‖c1‖c2) but each Fp2 written
 * c1‖c0, each Fp 48 bytes big-endian. The adapter maps that to tlock's order.
 */
export interface McPairingOps {
  readonly ops: McPointOps;
  /** e(P, Q) (Miller loop + final exponentiation); inputs are non-identity subgroup points. */
  readonly pairing: (p: McG1, q: McG2) => McGT;
  /** The 576 bytes of a GT element in mcl's ETH-mode serialization (see above). */
  readonly gtSerialize: (t: McGT) => Uint8Array;
  readonly g2Equal: (a: McG2, b: McG2) => boolean;
}

/**
 * The pairing arithmetic of the mcl backend, loaded and self-tested exactly as {@link loadMclBackend}
 * (same promise, same process-global modes: nothing is re-initialised).
 */
export async function loadMclPairingOps(): Promise<McPairingOps> {
  const { ops, mcl } = await loadMcl();
  return Object.freeze({
    ops,
    pairing: (p: McG1, q: McG2) => mcl.pairing(p, q),
    gtSerialize: (t: McGT) => t.serialize(),
    g2Equal: (a: McG2, b: McG2) => a.isEqual(b),
  });
}

let loading: Promise<{ backend: BlsBackend; ops: McPointOps; mcl: McModule }> | undefined;

/**
 * Loads, configures and self-tests the mcl-wasm backend (once per thread; later calls share the
 * promise). Rejects with BACKEND_UNAVAILABLE if the module cannot load or fails its self-test.
 */
export async function loadMclBackend(): Promise<BlsBackend> {
  return (await loadMcl()).backend;
}

/** The raw point arithmetic under {@link loadMclBackend}, for benchmarks measuring floors. */
export async function loadMclPointOps(): Promise<McPointOps> {
  return (await loadMcl()).ops;
}

function loadMcl(): Promise<{ backend: BlsBackend; ops: McPointOps; mcl: McModule }> {
  loading ??= instantiate().catch((cause: unknown) => {
    loading = undefined;
    throw cause instanceof OmegaError && cause.code === 'BACKEND_UNAVAILABLE'
      ? cause
      : new OmegaError('BACKEND_UNAVAILABLE', 'mcl-wasm could not be loaded', { cause });
  });
  return loading;
}

async function instantiate(): Promise<{ backend: BlsBackend; ops: McPointOps; mcl: McModule }> {
  const imported = (await import('mcl-wasm')) as McModule & { default?: McModule };
  const mcl = imported.default ?? imported;
  await mcl.init(mcl.BLS12_381);
  mcl.setETHserialization(true);
  mcl.setMapToMode(mcl.IRTF);
  mcl.verifyOrderG1(false);
  mcl.verifyOrderG2(false);
  const raw = (mcl as unknown as { mod: McRaw }).mod;
  const ops = makeOps(mcl, raw);
  const backend = makeBackend(ops);
  selfTest(backend);
  return { backend, ops, mcl };
}

/**
 * Known-answer test against the reference: the ciphersuite's hash of a fixed message and a signature
 * under a fixed key must equal noble's bytes, and the G2 generator must encode identically. This
 * catches a wrong serialization or map-to mode (for example a later re-initialisation) before use.
 */
function selfTest(backend: BlsBackend): void {
  const message = utf8('omega/bls-selftest/v1');
  const sk = 0x2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2an;
  const h = bls12_381.G1.hashToCurve(message, { DST: BLS_SIG_DST });
  const expectedHash = h.toBytes(true);
  const expectedSig = h.multiply(sk).toBytes(true);
  const ok =
    equalBytes(backend.hashToG1(message, BLS_SIG_DST), expectedHash) &&
    equalBytes(backend.signG1(message, BLS_SIG_DST, sk), expectedSig) &&
    equalBytes(backend.g2Generator, bls12_381.G2.Point.BASE.toBytes(true));
  if (!ok) throw new OmegaError('BACKEND_UNAVAILABLE', 'mcl-wasm failed its known-answer test against noble');
}
