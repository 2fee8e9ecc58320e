/**
 * Systematic Reed–Solomon erasure coding over GF(2^8) (k of n, n ≤ 255) and verifiable dispersal of large
 * inputs in fixed-size chunks (ARCHITECTURE.md D9; research/protocol-design.md §8).
 *
 * Two layers:
 *
 * 1. {@link ErasureCode}: the code itself. The generator matrix is `[I_k ; A]` with A an m × k Cauchy
 *    matrix (m = n − k), rows and columns scaled to make the first row all ones and every other row as
 *    cheap as possible. Every square submatrix of a (scaled) Cauchy matrix is non-singular, so `[I ; A]`
 *    is MDS: any k of the n fragments determine the data. A systematic generator `[I ; Cauchy]` generates
 *    a generalized Reed–Solomon code (Roth & Seroussi 1985, "On generator matrices of MDS codes").
 *
 *    Coding is done bit-sliced, as Cauchy Reed–Solomon (Blömer et al. 1995; Plank & Xu 2006): a
 *    fragment of L bytes (L a multiple of 128) is 8 packets of L/8 bytes, and the GF(2^8) symbol at bit
 *    position p is the 8 bits at position p of the 8 packets (bit b from packet b). Multiplying by a
 *    coefficient e is then the 8×8 binary matrix of e ({@link bitMatrix}): each output packet is the XOR of
 *    the input packets the matrix selects. The hot loop is XOR over whole packets — no table lookups
 *    per byte — run by `xor-kernel.ts` on WebAssembly SIMD vectors (or 32-bit JS words where SIMD is
 *    missing), which is why this code keeps up with native addons (docs/performance.md). The fragment bytes are therefore not those of a byte-wise RS library;
 *    the code is the same mathematical object, and only this module reads the layout.
 *
 * 2. Dispersal ({@link Disperser}, {@link decodeChunk}): the input is cut into chunks of `chunkSize` bytes
 *    (the last may be shorter) so memory stays bounded; each chunk is encoded into n fragments. Fragment
 *    `index` (1..n, the share index of the replica that stores it) of chunk c is committed by the leaf
 *    `taggedLeaf('omega/erasure/fragment/v1', u32 c, u8 index, bytes)`; the n leaves form the chunk tree;
 *    the chunk roots, each bound to all the header fields by `taggedLeaf('omega/erasure/chunk/v1', u8 n,
 *    u8 k, u64 length, u32 chunkSize, u32 c, chunkRoot)`, form the top tree whose root is in the
 *    {@link DispersalHeader}. So the root commits to n, k, the length (hence the padding) and every
 *    fragment at its index (research/protocol-design.md §8.3 pitfalls).
 *
 *    Reading verifies every fragment against the root, drops (and names) the bad ones, decodes from k
 *    good ones, then re-encodes all n fragments and compares the recomputed chunk root with the committed
 *    one (AVID-M "re-encode and compare"). A writer that committed fragments which are not a codeword
 *    gets NOT_A_CODEWORD from every reader whatever subset they used, never different data.
 *
 * Fragments of a systematic code carry the plaintext: encrypt before dispersing (§8.3).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Reader } from '../codec.js';
import { Writer, decodeAll } from '../codec.js';
import { OmegaError, invariant, isOmegaError } from '../errors.js';
import { equalBytes, lengthPrefixed, u32be, utf8 } from './bytes.js';
import { type XorBackend, type XorSchedule, XOR_PACKET_ALIGN, defaultXorBackend } from './xor-kernel.js';
import { bitMatrix, bitMatrixWeight, gfInv, gfMatrix, gfMatrixInvert, gfMul } from './gf256.js';
import {
  type InclusionProof,
  MERKLE_HASH_BYTES,
  MERKLE_SIZE_MAX,
  MerkleTree,
  merkleLeafHash,
  readInclusionProof,
  rootFromInclusionProof,
  writeInclusionProof,
} from './merkle.js';

/** At most 255 fragments: the evaluation points are distinct elements of GF(2^8). */
export const ERASURE_FRAGMENTS_MAX = 255;
/** Fragment lengths are a multiple of this: 8 packets of whole 16-byte SIMD vectors. */
export const ERASURE_FRAGMENT_ALIGN = 8 * XOR_PACKET_ALIGN;
/** Default chunk size for {@link Disperser}: 1 MiB. */
export const ERASURE_CHUNK_BYTES_DEFAULT = 1 << 20;
/** Largest chunk size accepted (bounds the memory a reader commits to one chunk). */
export const ERASURE_CHUNK_BYTES_MAX = 1 << 26;
/** Largest fragment a decoder accepts: a chunk of the largest size split k = 1 ways. */
export const ERASURE_FRAGMENT_BYTES_MAX = ERASURE_CHUNK_BYTES_MAX;

const FRAGMENT_TAG = 'omega/erasure/fragment/v1';
const CHUNK_TAG = 'omega/erasure/chunk/v1';

function checkNk(n: number, k: number): void {
  if (!Number.isInteger(n) || n < 1 || n > ERASURE_FRAGMENTS_MAX) {
    throw new OmegaError('OUT_OF_RANGE', `n must be an integer in 1..${ERASURE_FRAGMENTS_MAX}, got ${n}`);
  }
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new OmegaError('OUT_OF_RANGE', `k must be an integer in 1..n (n = ${n}), got ${k}`);
  }
}

// ── the code ───────────────────────────────────────────────────────────────────────────────────────

/**
 * Builds the XOR schedule computing `out_o = Σ_t coeff(o, t) · in_t` in the bit-sliced representation:
 * which input packets (input fragment t, bit b → t × 8 + b) are XORed into each output packet (output
 * fragment o, bit r → `sources[o × 8 + r]`). Bit r of `e · v` is the XOR of the bits b of v selected by
 * row r of `bitMatrix(e)`.
 */
function scheduleFor(outputs: number, inputs: number, coeff: (o: number, t: number) => number): XorSchedule {
  const sources: Int32Array[] = [];
  for (let o = 0; o < outputs; o++) {
    const rowsPerInput: Uint8Array[] = [];
    for (let t = 0; t < inputs; t++) rowsPerInput.push(bitMatrix(coeff(o, t)));
    for (let r = 0; r < 8; r++) {
      const list: number[] = [];
      for (let t = 0; t < inputs; t++) {
        const mask = rowsPerInput[t]![r]!;
        for (let b = 0; b < 8; b++) if ((mask >> b) & 1) list.push(t * 8 + b);
      }
      sources.push(Int32Array.from(list));
    }
  }
  return { sources };
}

/**
 * The m × k parity matrix: a Cauchy matrix `1 / (x_i + y_j)` with `y_j = j`, `x_i = k + i` (all distinct
 * because n ≤ 255 < 256), each column scaled so the first row is all ones (those coefficients cost a plain
 * XOR), then each later row scaled by the non-zero factor that minimises its total bit-matrix weight
 * (Plank & Xu 2006 §4). Scaling rows and columns keeps every square submatrix non-singular.
 */
function parityMatrix(n: number, k: number): Uint8Array {
  const m = n - k;
  const a = new Uint8Array(m * k);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) a[i * k + j] = gfInv((k + i) ^ j);
  if (m === 0) return a;
  for (let j = 0; j < k; j++) {
    const s = gfInv(a[j]!);
    for (let i = 0; i < m; i++) a[i * k + j] = gfMul(a[i * k + j]!, s);
  }
  for (let i = 1; i < m; i++) {
    let best = 1;
    let bestWeight = Infinity;
    for (let s = 1; s < 256; s++) {
      let weight = 0;
      for (let j = 0; j < k; j++) weight += bitMatrixWeight(gfMul(a[i * k + j]!, s));
      if (weight < bestWeight) {
        bestWeight = weight;
        best = s;
      }
    }
    for (let j = 0; j < k; j++) a[i * k + j] = gfMul(a[i * k + j]!, best);
  }
  return a;
}

const codeCache = new Map<number, ErasureCode>();

/**
 * A systematic (n, k) Reed–Solomon code over GF(2^8): positions 0..k−1 are the data, k..n−1 the parity.
 * Instances are immutable and cached per (n, k).
 *
 * @example
 * const code = ErasureCode.get(7, 3);
 * const shards = code.encode([d0, d1, d2]); // 7 shards of d0.length bytes (a multiple of 128)
 * const data = code.decode(new Map([[1, shards[1]!], [4, shards[4]!], [6, shards[6]!]]));
 */
export class ErasureCode {
  readonly n: number;
  readonly k: number;
  /** The m × k parity matrix A of the generator `[I ; A]`, row-major (private: instances are shared). */
  private readonly parity: Uint8Array;
  /** The XOR backend (`wasm-simd` where available, else `js`; both give the same bytes). */
  readonly backend: XorBackend;
  private readonly encodeSchedule: XorSchedule;
  private readonly decodeSchedules = new Map<string, XorSchedule>();

  private constructor(n: number, k: number, backend: XorBackend, parity?: Uint8Array) {
    this.n = n;
    this.k = k;
    this.backend = backend;
    this.parity = parity ?? parityMatrix(n, k);
    this.encodeSchedule = scheduleFor(n - k, k, (o, t) => this.parity[o * k + t]!);
  }

  /** The code for (n, k); throws OUT_OF_RANGE unless 1 ≤ k ≤ n ≤ 255. */
  static get(n: number, k: number): ErasureCode {
    checkNk(n, k);
    const key = n * 256 + k;
    let code = codeCache.get(key);
    if (code === undefined) {
      code = new ErasureCode(n, k, defaultXorBackend);
      codeCache.set(key, code);
    }
    return code;
  }

  /** The same code computed by another XOR backend (for differential tests and benchmarks). */
  withBackend(backend: XorBackend): ErasureCode {
    return backend === this.backend ? this : new ErasureCode(this.n, this.k, backend, this.parity);
  }

  /** Entry (i, j) of the parity matrix A: parity fragment k + i = Σ_j A[i][j] · data fragment j. */
  parityCoefficient(i: number, j: number): number {
    if (
      !Number.isInteger(i) ||
      !Number.isInteger(j) ||
      i < 0 ||
      i >= this.n - this.k ||
      j < 0 ||
      j >= this.k
    ) {
      throw new OmegaError('OUT_OF_RANGE', `parity coefficient (${i}, ${j}) outside the matrix`);
    }
    return this.parity[i * this.k + j]!;
  }

  /** Row `position` of the generator matrix `[I ; A]` (k coefficients, a fresh copy). */
  generatorRow(position: number): Uint8Array {
    if (position < this.k) {
      const row = new Uint8Array(this.k);
      row[position] = 1;
      return row;
    }
    return this.parity.slice((position - this.k) * this.k, (position - this.k + 1) * this.k);
  }

  /**
   * Encodes k data shards of equal length L (a positive multiple of 128) into n shards: the first k are
   * the inputs themselves (copied), the others parity.
   */
  encode(data: readonly Uint8Array[]): Uint8Array[] {
    if (data.length !== this.k) {
      throw new OmegaError('INVALID_ARGUMENT', `expected ${this.k} data shards, got ${data.length}`);
    }
    const length = checkShardLengths(data);
    const shards = allocShards(this.n, length);
    for (let j = 0; j < this.k; j++) shards[j]!.set(data[j]!);
    this.encodeInPlace(shards, length);
    return shards;
  }

  /**
   * Fills shards k..n−1 of `shards` (n non-overlapping arrays of one length L, a positive multiple of
   * 128, each starting at a 4-byte-aligned offset) from shards 0..k−1. The in-place form of
   * {@link encode}.
   */
  encodeInto(shards: readonly Uint8Array[]): void {
    if (shards.length !== this.n) {
      throw new OmegaError('INVALID_ARGUMENT', `expected ${this.n} shards, got ${shards.length}`);
    }
    const length = checkShardLengths(shards);
    for (const s of shards) {
      if (s.byteOffset % 4 !== 0) throw new OmegaError('INVALID_ARGUMENT', 'shards must be 4-byte aligned');
    }
    for (let i = 0; i < shards.length; i++) {
      for (let j = i + 1; j < shards.length; j++) {
        const a = shards[i]!;
        const b = shards[j]!;
        if (
          a.buffer === b.buffer &&
          a.byteOffset < b.byteOffset + length &&
          b.byteOffset < a.byteOffset + length
        ) {
          throw new OmegaError('INVALID_ARGUMENT', `shards ${i} and ${j} overlap`);
        }
      }
    }
    this.encodeInPlace(shards, length);
  }

  private encodeInPlace(shards: readonly Uint8Array[], length: number): void {
    const packetBytes = length / 8;
    const inputs = packetsOf(shards.slice(0, this.k), packetBytes);
    const outputs = packetsOf(shards.slice(this.k), packetBytes);
    this.backend.run(this.encodeSchedule, inputs, outputs, packetBytes);
  }

  /**
   * Recovers the k data shards from any k (or more) shards, given as position (0..n−1) → bytes. When more
   * than k are given, the k lowest positions are used (data shards first: they cost nothing).
   * The caller must have verified the shards (see {@link decodeChunk}); this layer only does algebra.
   */
  decode(available: ReadonlyMap<number, Uint8Array>): Uint8Array[] {
    const positions = [...available.keys()].sort((a, b) => a - b);
    for (const p of positions) {
      if (!Number.isInteger(p) || p < 0 || p >= this.n) {
        throw new OmegaError('OUT_OF_RANGE', `shard position ${p} outside 0..${this.n - 1}`);
      }
    }
    if (positions.length < this.k) {
      throw new OmegaError('NOT_ENOUGH_SHARES', `need ${this.k} shards, got ${positions.length}`);
    }
    const used = positions.slice(0, this.k);
    const usedShards = used.map((p) => available.get(p)!);
    const length = checkShardLengths(usedShards);
    const out = allocShards(this.k, length);
    const packetBytes = length / 8;
    const missing: number[] = [];
    for (let j = 0; j < this.k; j++) {
      const shard = available.get(j);
      if (shard !== undefined && used.includes(j)) out[j]!.set(shard);
      else missing.push(j);
    }
    if (missing.length === 0) return out;

    const schedule = this.decodeSchedule(used, missing);
    const inputs = packetsOf(alignedCopies(usedShards), packetBytes);
    const outputs = packetsOf(
      missing.map((j) => out[j]!),
      packetBytes,
    );
    this.backend.run(schedule, inputs, outputs, packetBytes);
    return out;
  }

  /**
   * The XOR schedule recovering the `missing` data shards from the shards at `used` (k positions, sorted).
   * The rows of [I ; A] at the used positions form an invertible k × k matrix S with S · data = used, so
   * data_j = Σ_t (S⁻¹)[j][t] · used_t. Cached per pattern, bounded (oldest evicted first).
   */
  private decodeSchedule(used: readonly number[], missing: readonly number[]): XorSchedule {
    const key = used.join(',');
    const cached = this.decodeSchedules.get(key);
    if (cached !== undefined) return cached;
    const s = gfMatrix(this.k, this.k);
    used.forEach((p, t) => s.data.set(this.generatorRow(p), t * this.k));
    const inv = gfMatrixInvert(s);
    const schedule = scheduleFor(missing.length, this.k, (o, t) => inv.data[missing[o]! * this.k + t]!);
    if (this.decodeSchedules.size >= DECODE_SCHEDULES_MAX) {
      this.decodeSchedules.delete(this.decodeSchedules.keys().next().value!);
    }
    this.decodeSchedules.set(key, schedule);
    return schedule;
  }
}

/** Decode schedules kept per code (an erasure pattern tends to repeat for every chunk of a read). */
const DECODE_SCHEDULES_MAX = 64;

function checkShardLengths(shards: readonly Uint8Array[]): number {
  const first = shards[0];
  if (first === undefined) throw new OmegaError('INVALID_ARGUMENT', 'no shards');
  const length = first.length;
  for (const s of shards) {
    if (!(s instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'a shard must be bytes');
    if (s.length !== length) throw new OmegaError('INVALID_LENGTH', 'shards must all have the same length');
  }
  if (length === 0 || length % ERASURE_FRAGMENT_ALIGN !== 0) {
    throw new OmegaError(
      'INVALID_LENGTH',
      `shard length must be a positive multiple of ${ERASURE_FRAGMENT_ALIGN}, got ${length}`,
    );
  }
  return length;
}

/** `count` shards of `length` bytes in one aligned buffer. */
function allocShards(count: number, length: number): Uint8Array[] {
  const buffer = new ArrayBuffer(count * length);
  const shards: Uint8Array[] = [];
  for (let i = 0; i < count; i++) shards.push(new Uint8Array(buffer, i * length, length));
  return shards;
}

function alignedCopies(shards: readonly Uint8Array[]): Uint8Array[] {
  return shards.map((s) => (s.byteOffset % 4 === 0 ? s : s.slice()));
}

/** The 8 packets of each shard (shard t, bit b → index t * 8 + b). */
function packetsOf(shards: readonly Uint8Array[], packetBytes: number): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (const s of shards)
    for (let b = 0; b < 8; b++) packets.push(s.subarray(b * packetBytes, (b + 1) * packetBytes));
  return packets;
}

// ── dispersal ──────────────────────────────────────────────────────────────────────────────────────

/**
 * SHA-256 of the concatenation of `parts`. Hashing the n fragments dominates dispersal and retrieval, so the
 * runtime may inject a native implementation (node:crypto); `src/crypto` itself stays free of Node APIs
 * and defaults to `@noble/hashes`. The function must be SHA-256: tests check an injected one against the
 * default.
 */
export type Sha256 = (parts: readonly Uint8Array[]) => Uint8Array;

/** SHA-256 from `@noble/hashes` (the default, pure JS, works in browsers). */
export const nobleSha256: Sha256 = (parts) => {
  const h = sha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Options shared by the dispersal functions. */
export interface DispersalOptions {
  /** The SHA-256 used for fragment leaves (default {@link nobleSha256}). */
  readonly sha256?: Sha256;
}

/** Parameters of a dispersal. */
export interface ErasureParams {
  /** Number of fragments (replicas), 1..255. */
  readonly n: number;
  /** Fragments needed to decode, 1..n (k = f + 1 for the vault, D9). */
  readonly k: number;
  /** Bytes per chunk (the last chunk may be shorter), 1..ERASURE_CHUNK_BYTES_MAX. */
  readonly chunkSize: number;
}

/** The commitment posted to the log: everything a reader needs to verify and decode. */
export interface DispersalHeader extends ErasureParams {
  /** Total input length in bytes. */
  readonly length: number;
  /** Root of the top tree over the chunk leaves. */
  readonly root: Uint8Array;
}

/** One fragment of one chunk, with its inclusion proof in that chunk's tree. */
export interface Fragment {
  /** Chunk number, 0-based. */
  readonly chunk: number;
  /** Fragment index 1..n (1..k are the systematic data fragments). */
  readonly index: number;
  readonly bytes: Uint8Array;
  /** Proof of the fragment leaf at position index − 1 in the chunk tree of size n. */
  readonly proof: InclusionProof;
}

/** The n fragments of one chunk and the chunk's root. */
export interface EncodedChunk {
  readonly chunk: number;
  readonly root: Uint8Array;
  readonly fragments: readonly Fragment[];
}

function checkParams(params: ErasureParams): void {
  checkNk(params.n, params.k);
  const c = params.chunkSize;
  if (!Number.isInteger(c) || c < 1 || c > ERASURE_CHUNK_BYTES_MAX) {
    throw new OmegaError('OUT_OF_RANGE', `chunkSize must be in 1..${ERASURE_CHUNK_BYTES_MAX}, got ${c}`);
  }
}

/** Fragment length for a chunk of `chunkBytes` bytes: ⌈chunkBytes / k⌉ rounded up to a multiple of 128. */
export function fragmentLength(chunkBytes: number, k: number): number {
  const perShard = Math.ceil(chunkBytes / k);
  return Math.max(1, Math.ceil(perShard / ERASURE_FRAGMENT_ALIGN)) * ERASURE_FRAGMENT_ALIGN;
}

/** Number of chunks of a dispersal (0 for empty input). */
export function chunkCount(header: Pick<DispersalHeader, 'length' | 'chunkSize'>): number {
  return Math.ceil(header.length / header.chunkSize);
}

/** Bytes of input in chunk `chunk`. */
export function chunkLength(header: Pick<DispersalHeader, 'length' | 'chunkSize'>, chunk: number): number {
  return Math.min(header.chunkSize, header.length - chunk * header.chunkSize);
}

/**
 * Leaf hash of fragment `index` of chunk `chunk`:
 * `merkleLeafHash(taggedLeaf('omega/erasure/fragment/v1', u32 chunk, u8 index, bytes))`, streamed so the
 * fragment is not copied.
 */
export function fragmentLeafHash(
  chunk: number,
  index: number,
  bytes: Uint8Array,
  options: DispersalOptions = {},
): Uint8Array {
  const prefix = lengthPrefixed(utf8(FRAGMENT_TAG), u32be(chunk), Uint8Array.of(index));
  const hash = options.sha256 ?? nobleSha256;
  const digest = hash([Uint8Array.of(0x00), prefix, u32be(bytes.length), bytes]);
  invariant(digest.length === MERKLE_HASH_BYTES, 'an injected SHA-256 must return 32 bytes');
  return digest;
}

/** Leaf of chunk `chunk` in the top tree: binds every header field but the root itself. */
export function chunkLeaf(
  params: ErasureParams & { readonly length: number },
  chunk: number,
  chunkRoot: Uint8Array,
): Uint8Array {
  const w = new Writer(64);
  w.u8(params.n).u8(params.k).u64(params.length).u32(params.chunkSize).u32(chunk);
  return lengthPrefixed(utf8(CHUNK_TAG), w.finish(), chunkRoot);
}

/** Encodes one chunk's data (already split from the input) into its n fragments with proofs. */
function encodeChunk(
  code: ErasureCode,
  chunk: number,
  data: Uint8Array,
  options: DispersalOptions,
): EncodedChunk {
  const length = fragmentLength(data.length, code.k);
  const shards = allocShards(code.n, length);
  // Systematic: the data is laid out across the k data shards; padding (zeros) fills the last ones.
  for (let j = 0; j < code.k; j++) {
    const start = j * length;
    if (start < data.length) shards[j]!.set(data.subarray(start, Math.min(start + length, data.length)));
  }
  code.encodeInto(shards);
  return commitChunk(chunk, shards, options);
}

function commitChunk(chunk: number, shards: readonly Uint8Array[], options: DispersalOptions): EncodedChunk {
  const tree = MerkleTree.fromLeafHashes(shards.map((s, i) => fragmentLeafHash(chunk, i + 1, s, options)));
  const fragments = shards.map((bytes, i) => ({ chunk, index: i + 1, bytes, proof: tree.proof(i) }));
  return { chunk, root: tree.root, fragments };
}

/**
 * Streaming encoder: feed input with {@link push} in pieces of any size; each completed chunk comes back
 * encoded at once, so memory stays at about one chunk plus its n fragments whatever the input size.
 * {@link finish} encodes the last (short) chunk and returns the header and each chunk's proof in the top
 * tree, which exists only once the last chunk root is known.
 *
 * @example
 * const d = new Disperser({ n: 4, k: 2, chunkSize: 1 << 20 });
 * for await (const piece of stream) for (const c of d.push(piece)) await store(c.fragments);
 * const { chunks, header, chunkProofs } = d.finish();
 */
export class Disperser {
  private readonly params: ErasureParams;
  private readonly code: ErasureCode;
  private readonly buffer: Uint8Array;
  private buffered = 0;
  private length = 0;
  private readonly chunkRoots: Uint8Array[] = [];
  private finished = false;

  private readonly options: DispersalOptions;

  constructor(params: ErasureParams, options: DispersalOptions = {}) {
    this.options = options;
    checkParams(params);
    this.params = { n: params.n, k: params.k, chunkSize: params.chunkSize };
    this.code = ErasureCode.get(params.n, params.k);
    this.buffer = new Uint8Array(params.chunkSize);
  }

  /** Adds input; returns the chunks completed by it (possibly none). */
  push(bytes: Uint8Array): EncodedChunk[] {
    if (this.finished) throw new OmegaError('INVALID_ARGUMENT', 'Disperser already finished');
    if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'input must be bytes');
    if (this.length + bytes.length > Number.MAX_SAFE_INTEGER) {
      throw new OmegaError('LIMIT_EXCEEDED', 'dispersal input too long');
    }
    const out: EncodedChunk[] = [];
    let offset = 0;
    const size = this.params.chunkSize;
    while (offset < bytes.length) {
      // Whole chunks straight from the input, without a copy through the buffer.
      if (this.buffered === 0 && bytes.length - offset >= size) {
        out.push(this.emit(bytes.subarray(offset, offset + size)));
        offset += size;
        continue;
      }
      const take = Math.min(size - this.buffered, bytes.length - offset);
      this.buffer.set(bytes.subarray(offset, offset + take), this.buffered);
      this.buffered += take;
      offset += take;
      if (this.buffered === size) {
        out.push(this.emit(this.buffer));
        this.buffered = 0;
      }
    }
    return out;
  }

  private emit(data: Uint8Array): EncodedChunk {
    const chunk = this.chunkRoots.length;
    if (chunk >= MERKLE_SIZE_MAX)
      throw new OmegaError('LIMIT_EXCEEDED', 'a dispersal has at most 2^32 - 1 chunks');
    const encoded = encodeChunk(this.code, chunk, data, this.options);
    this.length += data.length;
    this.chunkRoots.push(encoded.root);
    return encoded;
  }

  /** Encodes the remaining input and returns the header and the top-tree proof of every chunk. */
  finish(): { chunks: EncodedChunk[]; header: DispersalHeader; chunkProofs: InclusionProof[] } {
    if (this.finished) throw new OmegaError('INVALID_ARGUMENT', 'Disperser already finished');
    this.finished = true;
    const chunks: EncodedChunk[] = [];
    if (this.buffered > 0) chunks.push(this.emit(this.buffer.subarray(0, this.buffered)));
    const withLength = { ...this.params, length: this.length };
    const top = MerkleTree.fromLeaves(this.chunkRoots.map((r, c) => chunkLeaf(withLength, c, r)));
    const header: DispersalHeader = { ...withLength, root: top.root };
    const chunkProofs = this.chunkRoots.map((_, c) => top.proof(c));
    return { chunks, header, chunkProofs };
  }
}

/** Disperses a whole input held in memory (see {@link Disperser} for streams). */
export function disperse(
  data: Uint8Array,
  params: ErasureParams,
  options: DispersalOptions = {},
): { header: DispersalHeader; chunks: EncodedChunk[]; chunkProofs: InclusionProof[] } {
  const d = new Disperser(params, options);
  const chunks = d.push(data);
  const last = d.finish();
  return { header: last.header, chunks: [...chunks, ...last.chunks], chunkProofs: last.chunkProofs };
}

/**
 * Disperses a stream (any sync or async iterable of byte pieces, e.g. a Node `Readable`): yields each
 * chunk's fragments as soon as the chunk is complete — memory stays at about one chunk and its n
 * fragments, whatever the piece sizes (pieces are cut at chunk boundaries before encoding) — and returns
 * the header and the chunks' top-tree proofs once the source ends.
 *
 * @example
 * const it = disperseStream(readable, { n: 7, k: 3, chunkSize: 1 << 20 });
 * let r;
 * while (!(r = await it.next()).done) await storeFragments(r.value.fragments);
 * const { header, chunkProofs } = r.value;
 */
export async function* disperseStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  params: ErasureParams,
  options: DispersalOptions = {},
): AsyncGenerator<EncodedChunk, { header: DispersalHeader; chunkProofs: InclusionProof[] }, undefined> {
  const d = new Disperser(params, options);
  for await (const piece of source) {
    if (!(piece instanceof Uint8Array))
      throw new OmegaError('INVALID_ENCODING', 'stream pieces must be bytes');
    for (let offset = 0; offset < piece.length; offset += params.chunkSize) {
      yield* d.push(piece.subarray(offset, offset + params.chunkSize));
    }
  }
  const last = d.finish();
  yield* last.chunks;
  return { header: last.header, chunkProofs: last.chunkProofs };
}

/**
 * The chunk root a fragment proves, if the fragment and its proofs verify against the header's root;
 * undefined otherwise. `chunkProof` is the chunk's inclusion proof in the top tree.
 */
export function verifyFragment(
  header: DispersalHeader,
  fragment: Fragment,
  chunkProof: InclusionProof,
  options: DispersalOptions = {},
): Uint8Array | undefined {
  return checkFragment(header, fragment, chunkProof, options)?.chunkRoot;
}

/** {@link verifyFragment}, also returning the fragment's leaf hash. */
function checkFragment(
  header: DispersalHeader,
  fragment: Fragment,
  chunkProof: InclusionProof,
  options: DispersalOptions,
): { chunkRoot: Uint8Array; leafHash: Uint8Array } | undefined {
  const chunks = chunkCount(header);
  const { chunk, index, bytes, proof } = fragment;
  if (!Number.isInteger(chunk) || chunk < 0 || chunk >= chunks) return undefined;
  if (!Number.isInteger(index) || index < 1 || index > header.n) return undefined;
  if (!(bytes instanceof Uint8Array)) return undefined;
  if (bytes.length !== fragmentLength(chunkLength(header, chunk), header.k)) return undefined;
  if (proof.index !== index - 1 || proof.size !== header.n) return undefined;
  if (chunkProof.index !== chunk || chunkProof.size !== chunks) return undefined;
  const leafHash = fragmentLeafHash(chunk, index, bytes, options);
  const chunkRoot = rootFromInclusionProof(leafHash, proof);
  if (chunkRoot === undefined) return undefined;
  const top = rootFromInclusionProof(merkleLeafHash(chunkLeaf(header, chunk, chunkRoot)), chunkProof);
  if (top === undefined || !equalBytes(top, header.root)) return undefined;
  return { chunkRoot, leafHash };
}

/** Throws BAD_FRAGMENT naming the fragment's index unless it verifies (see {@link verifyFragment}). */
export function expectFragment(
  header: DispersalHeader,
  fragment: Fragment,
  chunkProof: InclusionProof,
  options: DispersalOptions = {},
): Uint8Array {
  const chunkRoot = verifyFragment(header, fragment, chunkProof, options);
  if (chunkRoot === undefined) {
    throw new OmegaError(
      'BAD_FRAGMENT',
      `fragment ${fragment.index} of chunk ${fragment.chunk} does not verify`,
      {
        culprits: [fragment.index],
      },
    );
  }
  return chunkRoot;
}

/**
 * Reads one chunk: verifies every fragment (bad ones are dropped and returned in `culprits`), decodes from
 * the k lowest-index good ones, re-encodes all n fragments and checks the recomputed chunk root equals the
 * committed one, and checks the padding is zero.
 *
 * Throws INVALID_ARGUMENT if two fragments claim the same index (culprits: that index), NOT_ENOUGH_SHARES
 * with the bad fragments as culprits if fewer than k verify, and NOT_A_CODEWORD if the committed fragments
 * are not a codeword (or carry non-zero padding) — the same outcome for every reader and every subset.
 */
export function decodeChunk(
  header: DispersalHeader,
  chunk: number,
  fragments: readonly Fragment[],
  chunkProof: InclusionProof,
  options: DispersalOptions = {},
): { bytes: Uint8Array; culprits: number[] } {
  checkHeader(header);
  const chunks = chunkCount(header);
  if (!Number.isInteger(chunk) || chunk < 0 || chunk >= chunks) {
    throw new OmegaError('OUT_OF_RANGE', `chunk ${chunk} outside 0..${chunks - 1}`);
  }
  const seen = new Set<number>();
  for (const f of fragments) {
    if (seen.has(f.index)) {
      throw new OmegaError('INVALID_ARGUMENT', `two fragments claim index ${f.index}`, {
        culprits: [f.index],
      });
    }
    seen.add(f.index);
  }
  const culprits: number[] = [];
  const good = new Map<number, { bytes: Uint8Array; leafHash: Uint8Array }>();
  let committedRoot: Uint8Array | undefined;
  for (const f of fragments) {
    const checked = f.chunk === chunk ? checkFragment(header, f, chunkProof, options) : undefined;
    if (checked === undefined) {
      culprits.push(f.index);
      continue;
    }
    // Two different chunk roots cannot both verify at position `chunk` of one top tree (SHA-256).
    invariant(
      committedRoot === undefined || equalBytes(checked.chunkRoot, committedRoot),
      'one chunk, one root',
    );
    committedRoot = checked.chunkRoot;
    good.set(f.index - 1, { bytes: f.bytes, leafHash: checked.leafHash });
  }
  culprits.sort((a, b) => a - b);
  if (good.size < header.k || committedRoot === undefined) {
    throw new OmegaError(
      'NOT_ENOUGH_SHARES',
      `chunk ${chunk}: ${good.size} valid fragments, need ${header.k}`,
      {
        culprits,
      },
    );
  }
  const code = ErasureCode.get(header.n, header.k);
  const used = [...good.keys()].sort((a, b) => a - b).slice(0, header.k);
  const data = code.decode(new Map(used.map((p) => [p, good.get(p)!.bytes])));
  // AVID-M re-encode and compare: the n fragments the decoded data really encodes to must be the ones
  // committed, else a writer could make different k-subsets decode to different data.
  // At the k used positions the re-encoding equals the input (S · data = used by construction), so their
  // leaf hashes from verification are reused and only the other n − k fragments are hashed again.
  const reencoded = code.encode(data);
  const leafHashes = reencoded.map((bytes, p) =>
    used.includes(p) ? good.get(p)!.leafHash : fragmentLeafHash(chunk, p + 1, bytes, options),
  );
  if (!equalBytes(MerkleTree.fromLeafHashes(leafHashes).root, committedRoot)) {
    throw new OmegaError('NOT_A_CODEWORD', `chunk ${chunk}: committed fragments are not a codeword`);
  }
  const bytesInChunk = chunkLength(header, chunk);
  const out = new Uint8Array(bytesInChunk);
  const shardLength = data[0]!.length;
  for (let j = 0; j < code.k; j++) {
    const start = j * shardLength;
    if (start >= bytesInChunk) {
      if (data[j]!.some((b) => b !== 0)) throw nonZeroPadding(chunk);
      continue;
    }
    const end = Math.min(start + shardLength, bytesInChunk);
    out.set(data[j]!.subarray(0, end - start), start);
    if (data[j]!.subarray(end - start).some((b) => b !== 0)) throw nonZeroPadding(chunk);
  }
  return { bytes: out, culprits };
}

/**
 * A proof that a dispersal's chunk is not a valid encoding (AVID-M's "proof of incorrect encoding",
 * research/protocol-design.md §8.1): k fragments of the chunk, each verifying against the header's root,
 * whose decoding re-encodes to another chunk root (or has non-zero padding). Anyone holding the header
 * can check it, so a reader that hit NOT_A_CODEWORD can post it to the log and every replica marks the
 * object invalid without fetching anything.
 */
export interface MalEncodingProof {
  readonly chunk: number;
  readonly fragments: readonly Fragment[];
  readonly chunkProof: InclusionProof;
}

/**
 * True iff `proof` shows chunk `proof.chunk` of the dispersal is not a codeword: exactly k distinct
 * fragments, all verifying against `header.root`, and {@link decodeChunk} on them reports NOT_A_CODEWORD.
 * Because a codeword decodes consistently from every k-subset, no proof exists for an honest dispersal.
 */
export function verifyMalEncodingProof(
  header: DispersalHeader,
  proof: MalEncodingProof,
  options: DispersalOptions = {},
): boolean {
  checkHeader(header);
  if (proof.fragments.length !== header.k) return false;
  const indices = new Set(proof.fragments.map((f) => f.index));
  if (indices.size !== header.k) return false;
  for (const f of proof.fragments) {
    if (f.chunk !== proof.chunk || verifyFragment(header, f, proof.chunkProof, options) === undefined) {
      return false;
    }
  }
  try {
    decodeChunk(header, proof.chunk, proof.fragments, proof.chunkProof, options);
    return false;
  } catch (e) {
    if (isOmegaError(e, 'NOT_A_CODEWORD')) return true;
    throw e;
  }
}

function nonZeroPadding(chunk: number): OmegaError {
  return new OmegaError('NOT_A_CODEWORD', `chunk ${chunk}: committed padding is not zero`);
}

/** Decodes a whole dispersal held in memory (chunk c from `fragments[c]` and `chunkProofs[c]`). */
export function retrieve(
  header: DispersalHeader,
  fragments: readonly (readonly Fragment[])[],
  chunkProofs: readonly InclusionProof[],
  options: DispersalOptions = {},
): { bytes: Uint8Array; culprits: number[] } {
  checkHeader(header);
  const chunks = chunkCount(header);
  if (fragments.length !== chunks || chunkProofs.length !== chunks) {
    throw new OmegaError('INVALID_ARGUMENT', `expected fragments and proofs for ${chunks} chunks`);
  }
  const out = new Uint8Array(header.length);
  const culprits = new Set<number>();
  for (let c = 0; c < chunks; c++) {
    const r = decodeChunk(header, c, fragments[c]!, chunkProofs[c]!, options);
    out.set(r.bytes, c * header.chunkSize);
    for (const i of r.culprits) culprits.add(i);
  }
  return { bytes: out, culprits: [...culprits].sort((a, b) => a - b) };
}

function checkHeader(header: DispersalHeader): void {
  checkParams(header);
  if (!Number.isSafeInteger(header.length) || header.length < 0) {
    throw new OmegaError('OUT_OF_RANGE', 'dispersal length must be a non-negative safe integer');
  }
  if (chunkCount(header) > MERKLE_SIZE_MAX) {
    throw new OmegaError('LIMIT_EXCEEDED', 'a dispersal has at most 2^32 - 1 chunks');
  }
  if (!(header.root instanceof Uint8Array) || header.root.length !== MERKLE_HASH_BYTES) {
    throw new OmegaError('INVALID_LENGTH', 'dispersal root must be 32 bytes');
  }
}

// ── byte formats ───────────────────────────────────────────────────────────────────────────────────

/** Header: `u8 n || u8 k || u64 length || u32 chunkSize || 32-byte root`. */
export function encodeDispersalHeader(header: DispersalHeader): Uint8Array {
  checkHeader(header);
  return new Writer(46)
    .u8(header.n)
    .u8(header.k)
    .u64(header.length)
    .u32(header.chunkSize)
    .fixed(header.root, MERKLE_HASH_BYTES)
    .finish();
}

export function decodeDispersalHeader(bytes: Uint8Array): DispersalHeader {
  return decodeAll(bytes, (r) => {
    const n = r.u8();
    const k = r.u8();
    const length = r.u64Number();
    const chunkSize = r.u32();
    const root = r.fixed(MERKLE_HASH_BYTES);
    const header = { n, k, length, chunkSize, root };
    checkHeader(header);
    return header;
  });
}

/** Fragment: `u32 chunk || u8 index || u32 length || bytes || inclusion proof` (merkle.ts format). */
export function writeFragment(w: Writer, f: Fragment): void {
  w.u32(f.chunk).u8(f.index).bytes(f.bytes);
  writeInclusionProof(w, f.proof);
}

export function readFragment(r: Reader): Fragment {
  const chunk = r.u32();
  const index = r.u8();
  if (index < 1) throw new OmegaError('OUT_OF_RANGE', 'fragment index must be 1..255');
  const bytes = r.bytes(ERASURE_FRAGMENT_BYTES_MAX);
  const proof = readInclusionProof(r);
  if (proof.index !== index - 1) {
    throw new OmegaError('INVALID_ENCODING', 'fragment proof is for another index');
  }
  return { chunk, index, bytes, proof };
}

export function encodeFragment(f: Fragment): Uint8Array {
  const w = new Writer(f.bytes.length + 64 + f.proof.path.length * MERKLE_HASH_BYTES);
  writeFragment(w, f);
  return w.finish();
}

export function decodeFragment(bytes: Uint8Array): Fragment {
  return decodeAll(bytes, readFragment);
}

/** Proof of incorrect encoding: `u32 chunk || chunk InclusionProof || u8 count || count × Fragment`. */
export function encodeMalEncodingProof(proof: MalEncodingProof): Uint8Array {
  const w = new Writer();
  w.u32(proof.chunk);
  writeInclusionProof(w, proof.chunkProof);
  w.u8(proof.fragments.length);
  for (const f of proof.fragments) writeFragment(w, f);
  return w.finish();
}

export function decodeMalEncodingProof(bytes: Uint8Array): MalEncodingProof {
  return decodeAll(bytes, (r) => {
    const chunk = r.u32();
    const chunkProof = readInclusionProof(r);
    if (chunkProof.index !== chunk)
      throw new OmegaError('INVALID_ENCODING', 'chunk proof is for another chunk');
    const count = r.u8();
    const fragments: Fragment[] = [];
    for (let i = 0; i < count; i++) fragments.push(readFragment(r));
    return { chunk, chunkProof, fragments };
  });
}
