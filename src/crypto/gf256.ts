/**
 * Arithmetic in GF(2^8) and the matrices the erasure code is built from.
 *
 * The field is GF(2)[x] / (x^8 + x^4 + x^3 + x^2 + 1) (polynomial 0x11d, generator x = 2), the field of
 * most storage Reed–Solomon codes (Backblaze, Jerasure's w = 8, the Linux RAID-6 code). Multiplication uses
 * log/exp tables; the exp table is doubled (512 entries) so `exp[log a + log b]` needs no reduction.
 *
 * The erasure code does not multiply byte by byte in its hot loop: it turns every matrix coefficient `e`
 * into the 8×8 binary matrix of the GF(2)-linear map `v ↦ e·v` ({@link bitMatrix}), so that coding is XOR of
 * whole packets (Blömer et al. 1995, "An XOR-based erasure-resilient coding scheme", ICSI TR-95-048; Plank &
 * Xu 2006, "Optimizing Cauchy Reed-Solomon codes", NCA'06). The byte-level functions here build and invert
 * those matrices and are the reference the tests check the bit matrices against.
 *
 * Everything here is public data (code matrices), so the table lookups leak nothing secret.
 */
import { OmegaError, invariant } from '../errors.js';

/** The reduction polynomial x^8 + x^4 + x^3 + x^2 + 1, with its x^8 bit. */
export const GF256_POLYNOMIAL = 0x11d;

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= GF256_POLYNOMIAL;
  }
  // 2 generates the multiplicative group: x returned to 1 after exactly 255 steps.
  invariant(x === 1, 'GF(2^8): 2 must generate the multiplicative group of order 255');
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

/** Unchecked product, for loops over matrix entries already known to be bytes. */
function mulByte(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

function checkElement(a: number): void {
  invariant(Number.isInteger(a) && a >= 0 && a <= 255, `GF(2^8) element out of range: ${a}`);
}

/** a + b (= a − b) in GF(2^8). */
export function gfAdd(a: number, b: number): number {
  return (a ^ b) & 0xff;
}

/** a · b in GF(2^8). */
export function gfMul(a: number, b: number): number {
  checkElement(a);
  checkElement(b);
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a]! + LOG[b]!]!;
}

/** The multiplicative inverse of a non-zero element. */
export function gfInv(a: number): number {
  checkElement(a);
  invariant(a !== 0, 'GF(2^8): zero has no inverse');
  return EXP[255 - LOG[a]!]!;
}

/** a / b for b ≠ 0. */
export function gfDiv(a: number, b: number): number {
  return gfMul(a, gfInv(b));
}

/** a^e for e ≥ 0 (0^0 = 1). */
export function gfPow(a: number, e: number): number {
  checkElement(a);
  invariant(Number.isInteger(e) && e >= 0, 'GF(2^8): exponent must be a non-negative integer');
  if (e === 0) return 1;
  if (a === 0) return 0;
  return EXP[(LOG[a]! * e) % 255]!;
}

/**
 * Carry-less schoolbook multiplication with reduction, independent of the tables: the tests check the
 * tables against it for all 65,536 products (GF table bugs are common: research/protocol-design.md §8.3).
 */
export function gfMulSlow(a: number, b: number): number {
  checkElement(a);
  checkElement(b);
  let product = 0;
  for (let i = 0; i < 8; i++) if ((b >> i) & 1) product ^= a << i;
  for (let bit = 14; bit >= 8; bit--) if ((product >> bit) & 1) product ^= GF256_POLYNOMIAL << (bit - 8);
  return product;
}

/** A dense matrix over GF(2^8), row-major: `rows` × `cols` bytes. */
export interface GfMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
}

export function gfMatrix(rows: number, cols: number, data?: Uint8Array): GfMatrix {
  const d = data ?? new Uint8Array(rows * cols);
  invariant(d.length === rows * cols, 'GfMatrix: data length must be rows × cols');
  return { rows, cols, data: d };
}

export function gfMatrixGet(m: GfMatrix, r: number, c: number): number {
  return m.data[r * m.cols + c]!;
}

/** The product a · b. */
export function gfMatrixMul(a: GfMatrix, b: GfMatrix): GfMatrix {
  invariant(a.cols === b.rows, 'GfMatrix: inner dimensions differ');
  const out = gfMatrix(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.cols; j++) {
      let acc = 0;
      for (let t = 0; t < a.cols; t++) acc ^= gfMul(a.data[i * a.cols + t]!, b.data[t * b.cols + j]!);
      out.data[i * b.cols + j] = acc;
    }
  }
  return out;
}

/**
 * The inverse of a square matrix by Gauss–Jordan elimination. Throws INVALID_ARGUMENT if the matrix is
 * singular (for the erasure code's submatrices this cannot happen: every square submatrix of a Cauchy
 * matrix is non-singular).
 */
export function gfMatrixInvert(m: GfMatrix): GfMatrix {
  invariant(m.rows === m.cols, 'GfMatrix: only square matrices are invertible');
  const n = m.rows;
  const a = m.data.slice();
  const inv = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    while (pivot < n && a[pivot * n + col] === 0) pivot++;
    if (pivot === n) throw new OmegaError('INVALID_ARGUMENT', 'matrix over GF(2^8) is singular');
    if (pivot !== col) {
      swapRows(a, n, pivot, col);
      swapRows(inv, n, pivot, col);
    }
    const scale = gfInv(a[col * n + col]!);
    for (let j = 0; j < n; j++) {
      a[col * n + j] = mulByte(a[col * n + j]!, scale);
      inv[col * n + j] = mulByte(inv[col * n + j]!, scale);
    }
    for (let r = 0; r < n; r++) {
      const factor = a[r * n + col]!;
      if (r === col || factor === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j]! ^= mulByte(factor, a[col * n + j]!);
        inv[r * n + j]! ^= mulByte(factor, inv[col * n + j]!);
      }
    }
  }
  return gfMatrix(n, n, inv);
}

function swapRows(a: Uint8Array, n: number, r1: number, r2: number): void {
  for (let j = 0; j < n; j++) {
    const t = a[r1 * n + j]!;
    a[r1 * n + j] = a[r2 * n + j]!;
    a[r2 * n + j] = t;
  }
}

/**
 * The 8×8 binary matrix of `v ↦ e·v`, as 8 row masks: bit `b` of `rows[r]` is bit `r` of `e · x^b`.
 * Output bit r of `e·v` is then the parity of `rows[r] & v` — the XOR of the input bits the mask selects.
 */
export function bitMatrix(e: number): Uint8Array {
  const rows = new Uint8Array(8);
  for (let b = 0; b < 8; b++) {
    const column = gfMul(e, 1 << b);
    for (let r = 0; r < 8; r++) if ((column >> r) & 1) rows[r]! |= 1 << b;
  }
  return rows;
}

const WEIGHT = new Uint8Array(256);
for (let e = 0; e < 256; e++) for (const row of bitMatrix(e)) WEIGHT[e]! += popcount8(row);

/** Number of ones in the bit matrix of `e` = number of packet XORs one coefficient costs. */
export function bitMatrixWeight(e: number): number {
  checkElement(e);
  return WEIGHT[e]!;
}

function popcount8(v: number): number {
  let c = 0;
  for (let x = v; x !== 0; x &= x - 1) c++;
  return c;
}
