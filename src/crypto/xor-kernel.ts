/**
 * The erasure code's hot loop: "each output packet is the XOR of a list of input packets" (see
 * `erasure.ts`), with two interchangeable backends that produce the same bytes:
 *
 * - `js`: 32-bit XOR loops over `Int32Array` views, up to four sources per pass (one store per four
 *   loads). Works everywhere.
 * - `wasm-simd`: the same loops on 128-bit WebAssembly SIMD vectors (`v128.xor`), 8–40× the throughput
 *   of the JS loops on the project's machine (docs/performance.md). The module (800 bytes) is assembled
 *   below from named opcodes (WebAssembly core spec §5, SIMD opcodes `0xfd`), not shipped as a binary
 *   blob: every byte is readable here. It holds seven kernels and an interpreter that runs a compiled
 *   schedule, so JS calls into WebAssembly once per stripe. Packets are copied into the module's memory
 *   (in column blocks when they are long, so memory stays bounded) and processed in stripes (the same byte
 *   range of every packet) sized so the working set stays in the L2 cache.
 *
 * The default is `wasm-simd` when the runtime validates the module (Node ≥ 16.4, current browsers), else
 * `js`. Tests run both and compare them byte for byte (ARCHITECTURE.md D4: two backends, differential
 * tests). Only public data flows through here (fragments of ciphertext), so neither backend needs to be
 * constant-time.
 */
import { invariant } from '../errors.js';

/** Packet lengths are a multiple of this (one SIMD vector). */
export const XOR_PACKET_ALIGN = 16;

/** `sources[o]` lists the input packets XORed into output packet `o`. */
export interface XorSchedule {
  readonly sources: readonly Int32Array[];
}

export interface XorBackend {
  readonly name: 'js' | 'wasm-simd';
  /**
   * For every output packet o: `outputs[o] = XOR of inputs[s] for s in sources[o]` (all zero if empty).
   * Every packet has `packetBytes` bytes (a positive multiple of 16); packet views must not overlap.
   */
  run(
    schedule: XorSchedule,
    inputs: readonly Uint8Array[],
    outputs: readonly Uint8Array[],
    packetBytes: number,
  ): void;
}

// ── JS backend ─────────────────────────────────────────────────────────────────────────────────────

function int32View(p: Uint8Array): Int32Array {
  invariant(p.byteOffset % 4 === 0 && p.length % 4 === 0, 'packets must be 4-byte aligned');
  return new Int32Array(p.buffer, p.byteOffset, p.length / 4);
}

/** Pure-JS backend: always available. */
export const jsXorBackend: XorBackend = {
  name: 'js',
  run(schedule, inputs, outputs, packetBytes) {
    const words = packetBytes / 4;
    const ins = inputs.map(int32View);
    for (let o = 0; o < outputs.length; o++) {
      const dst = int32View(outputs[o]!);
      const list = schedule.sources[o]!;
      if (list.length === 0) {
        dst.fill(0);
        continue;
      }
      // Up to four sources per pass: one store per four loads keeps the loop load-bound (measured ~3×
      // the throughput of one `dst ^= src` pass per source).
      const first = Math.min(4, list.length);
      setXorJs(dst, ins, list, 0, first, words);
      for (let i = first; i < list.length; i += 3)
        accXorJs(dst, ins, list, i, Math.min(3, list.length - i), words);
    }
  },
};

/** dst = XOR of `count` (1..4) source packets. */
function setXorJs(
  dst: Int32Array,
  ins: Int32Array[],
  list: Int32Array,
  at: number,
  count: number,
  w: number,
): void {
  const a = ins[list[at]!]!;
  if (count === 1) {
    dst.set(a);
    return;
  }
  const b = ins[list[at + 1]!]!;
  if (count === 2) {
    for (let i = 0; i < w; i++) dst[i] = a[i]! ^ b[i]!;
    return;
  }
  const c = ins[list[at + 2]!]!;
  if (count === 3) {
    for (let i = 0; i < w; i++) dst[i] = a[i]! ^ b[i]! ^ c[i]!;
    return;
  }
  const d = ins[list[at + 3]!]!;
  for (let i = 0; i < w; i++) dst[i] = a[i]! ^ b[i]! ^ c[i]! ^ d[i]!;
}

/** dst ^= XOR of `count` (1..3) source packets. */
function accXorJs(
  dst: Int32Array,
  ins: Int32Array[],
  list: Int32Array,
  at: number,
  count: number,
  w: number,
): void {
  const a = ins[list[at]!]!;
  if (count === 1) {
    for (let i = 0; i < w; i++) dst[i] = dst[i]! ^ a[i]!;
    return;
  }
  const b = ins[list[at + 1]!]!;
  if (count === 2) {
    for (let i = 0; i < w; i++) dst[i] = dst[i]! ^ a[i]! ^ b[i]!;
    return;
  }
  const c = ins[list[at + 2]!]!;
  for (let i = 0; i < w; i++) dst[i] = dst[i]! ^ a[i]! ^ b[i]! ^ c[i]!;
}

// ── WebAssembly SIMD backend ───────────────────────────────────────────────────────────────────────

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const vec = (items: readonly (readonly number[])[]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: readonly number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Opcodes (WebAssembly core spec §5.4; SIMD: prefix 0xfd, v128.load = 0, v128.store = 11, v128.xor = 81).
const I32 = 0x7f;
const FUNC_TYPE = 0x60;
const BLOCK = 0x02;
const LOOP = 0x03;
const VOID = 0x40;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const BR_TABLE = 0x0e;
const CALL = 0x10;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_LOAD = 0x28;
const I32_CONST = 0x41;
const I32_GE_U = 0x4f;
const I32_LT_U = 0x49;
const I32_ADD = 0x6a;
const V128_LOAD = [0xfd, 0x00];
const V128_STORE = [0xfd, 0x0b];
const V128_XOR = [0xfd, 0x51];
const V128_MEMARG = [4, 0]; // alignment hint 2^4, offset 0

interface FunctionBytes {
  readonly type: number[];
  readonly code: number[];
}

function functionBytes(params: number, locals: number, body: readonly number[]): FunctionBytes {
  const code = [...vec(locals > 0 ? [[locals, I32]] : []), ...body, END];
  return {
    type: [FUNC_TYPE, ...vec(Array.from({ length: params }, () => [I32])), 0],
    code: [...uleb(code.length), ...code],
  };
}

/**
 * Kernel `set{n}(dst, s1..sn, len)`: dst = s1 ^ … ^ sn, or `acc{n}`: dst ^= s1 ^ … ^ sn, over `len` bytes
 * (a positive multiple of 16) of linear memory, one 16-byte vector per iteration:
 *
 *   loop: store(dst + i, [load(dst + i) ^] load(s1 + i) ^ … ^ load(sn + i)); i += 16; br_if (i < len)
 */
function kernel(sources: number, accumulate: boolean): FunctionBytes {
  const params = sources + 2; // dst, sources…, len
  const len = params - 1;
  const i = params; // the one extra local
  const address = (p: number): number[] => [LOCAL_GET, p, LOCAL_GET, i, I32_ADD];
  const body: number[] = [LOOP, VOID, ...address(0)];
  let operands = 0;
  const load = (p: number): void => {
    body.push(...address(p), ...V128_LOAD, ...V128_MEMARG);
    if (operands++ > 0) body.push(...V128_XOR);
  };
  if (accumulate) load(0);
  for (let s = 1; s <= sources; s++) load(s);
  body.push(...V128_STORE, ...V128_MEMARG);
  body.push(LOCAL_GET, i, I32_CONST, 16, I32_ADD, LOCAL_TEE, i, LOCAL_GET, len, I32_LT_U, BR_IF, 0, END);
  return functionBytes(params, 1, body);
}

/** Kernel function index = instruction opcode in the program. */
const KERNELS = [
  [1, false], // 0 set1
  [2, false], // 1 set2
  [3, false], // 2 set3
  [4, false], // 3 set4
  [1, true], // 4 acc1
  [2, true], // 5 acc2
  [3, true], // 6 acc3
] as const;
const OP_SET = [0, 0, 1, 2, 3]; // by source count
const OP_ACC = [0, 4, 5, 6];
/** Bytes per program instruction: op, dst, s1, s2, s3, s4 as little-endian i32. */
const INSTRUCTION_BYTES = 24;

/**
 * `run(prog, end, base, len)`: interprets the instructions in [prog, end): for each, calls kernel `op`
 * with every address plus `base` and length `len`. One call from JS runs a whole schedule over one stripe,
 * so the JS ↔ WebAssembly boundary is crossed once per stripe rather than once per kernel.
 */
function interpreter(): FunctionBytes {
  const [prog, end, base, len, p] = [0, 1, 2, 3, 4];
  const field = (offset: number): number[] => [LOCAL_GET, p, I32_LOAD, 2, offset, LOCAL_GET, base, I32_ADD];
  const callKernel = (op: number): number[] => {
    const sources = KERNELS[op]![0];
    const args = [...field(4)];
    for (let s = 0; s < sources; s++) args.push(...field(8 + 4 * s));
    return [...args, LOCAL_GET, len, CALL, op];
  };
  const body: number[] = [LOCAL_GET, prog, LOCAL_SET, p, BLOCK, VOID, LOOP, VOID];
  body.push(LOCAL_GET, p, LOCAL_GET, end, I32_GE_U, BR_IF, 1); // p >= end: leave the outer block
  body.push(BLOCK, VOID); // $continue
  for (let c = 0; c < KERNELS.length; c++) body.push(BLOCK, VOID); // one block per opcode
  body.push(LOCAL_GET, p, I32_LOAD, 2, 0, BR_TABLE, ...vec(KERNELS.map((_, op) => [op])), KERNELS.length - 1);
  for (let op = 0; op < KERNELS.length; op++) {
    body.push(END, ...callKernel(op));
    // After the block of `op` ends we are inside KERNELS.length − 1 − op opcode blocks and $continue.
    const depth = KERNELS.length - 1 - op;
    if (depth > 0) body.push(BR, depth);
  }
  body.push(END); // $continue
  body.push(LOCAL_GET, p, I32_CONST, INSTRUCTION_BYTES, I32_ADD, LOCAL_SET, p, BR, 0, END, END);
  return functionBytes(4, 1, body);
}

/** The module's bytes: types, functions, one memory, exports, code (spec §5.5 section order). */
export function xorKernelModuleBytes(): Uint8Array {
  const functions = [...KERNELS.map(([n, acc]) => kernel(n, acc)), interpreter()];
  const run = functions.length - 1;
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, vec(functions.map((f) => f.type))),
    ...section(3, vec(functions.map((_, idx) => uleb(idx)))),
    ...section(5, vec([[0x00, 1]])), // memory: min 1 page, no maximum
    ...section(
      7,
      vec([
        [...name('run'), 0x00, ...uleb(run)],
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(10, vec(functions.map((f) => f.code))),
  ]);
}

interface KernelExports {
  readonly run: (prog: number, end: number, base: number, len: number) => void;
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
}

/**
 * The part of the WebAssembly JS API used here, typed locally: the project compiles against `lib: ES2022`
 * without DOM types, and the runtime may lack WebAssembly entirely (then the JS backend is used).
 */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

/** Largest linear memory a run uses for packet slots; longer packets are processed in column blocks. */
const SLOTS_BYTES_MAX = 1 << 28;
/** Bytes of all packets' stripes touched by one interpreter call: sized to stay in the L2 cache. */
const STRIPE_WORKING_SET_BYTES = 1 << 17;
const STRIPE_BYTES_MIN = 256;
const PAGE_BYTES = 1 << 16;

/** Compiles a schedule into interpreter instructions for packet slots of `slot` bytes after `origin`. */
function compile(schedule: XorSchedule, inputs: number, slot: number, origin: number): Uint8Array {
  const instructions: number[][] = [];
  const at = (packet: number): number => origin + packet * slot;
  schedule.sources.forEach((list, o) => {
    if (list.length === 0) return; // zero-filled by the caller
    const dst = at(inputs + o);
    const src = (i: number): number => at(list[i]!);
    const first = Math.min(4, list.length);
    instructions.push([OP_SET[first]!, dst, ...Array.from({ length: first }, (_, i) => src(i))]);
    for (let i = first; i < list.length; i += 3) {
      const take = Math.min(3, list.length - i);
      instructions.push([OP_ACC[take]!, dst, ...Array.from({ length: take }, (_, j) => src(i + j))]);
    }
  });
  const bytes = new Uint8Array(instructions.length * INSTRUCTION_BYTES);
  const view = new DataView(bytes.buffer);
  instructions.forEach((ins, idx) =>
    ins.forEach((v, f) => view.setInt32(idx * INSTRUCTION_BYTES + 4 * f, v, true)),
  );
  return bytes;
}

/** Memory limits of a WebAssembly backend; the defaults suit production, tests shrink them. */
export interface WasmXorOptions {
  /** Largest linear memory used for packet slots (default 256 MiB); longer packets go in column blocks. */
  readonly slotsBytesMax?: number;
  /** Bytes of all packets' stripes touched by one interpreter call (default 128 KiB, L2-sized). */
  readonly stripeWorkingSetBytes?: number;
}

/** A new WebAssembly SIMD backend (own memory), or undefined where WebAssembly SIMD is missing. */
export function createWasmXorBackend(options: WasmXorOptions = {}): XorBackend | undefined {
  const slotsBytesMax = options.slotsBytesMax ?? SLOTS_BYTES_MAX;
  const stripeWorkingSetBytes = options.stripeWorkingSetBytes ?? STRIPE_WORKING_SET_BYTES;
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  let k: KernelExports;
  try {
    const bytes = xorKernelModuleBytes();
    if (api === undefined || !api.validate(bytes)) return undefined;
    k = new api.Instance(new api.Module(bytes), {}).exports as KernelExports;
  } catch {
    return undefined;
  }
  let memory = new Uint8Array(k.memory.buffer);
  // The compiled program of the last schedule, reused while the schedule and slot size stay the same.
  const programs = new WeakMap<XorSchedule, { slot: number; inputs: number; program: Uint8Array }>();

  return {
    name: 'wasm-simd',
    run(schedule, inputs, outputs, packetBytes) {
      invariant(
        packetBytes > 0 && packetBytes % XOR_PACKET_ALIGN === 0,
        'packet length must be a multiple of 16',
      );
      invariant(schedule.sources.length === outputs.length, 'one source list per output packet');
      const packets = inputs.length + outputs.length;
      const align = (x: number): number => Math.floor(x / XOR_PACKET_ALIGN) * XOR_PACKET_ALIGN;
      // Column blocks: the same byte range of every packet, as long as the memory cap allows.
      const slot = Math.min(packetBytes, Math.max(XOR_PACKET_ALIGN, align(slotsBytesMax / packets)));
      const stripe = Math.min(slot, Math.max(STRIPE_BYTES_MIN, align(stripeWorkingSetBytes / packets)));
      let cached = programs.get(schedule);
      if (cached === undefined || cached.slot !== slot || cached.inputs !== inputs.length) {
        // Program first, then the slots; the program's length does not depend on where it starts.
        const length = compile(schedule, inputs.length, slot, 0).length;
        const origin = Math.ceil(length / XOR_PACKET_ALIGN) * XOR_PACKET_ALIGN;
        cached = { slot, inputs: inputs.length, program: compile(schedule, inputs.length, slot, origin) };
        programs.set(schedule, cached);
      }
      const program = cached.program;
      const origin = Math.ceil(program.length / XOR_PACKET_ALIGN) * XOR_PACKET_ALIGN;
      const need = origin + packets * slot;
      if (memory.byteLength < need) {
        k.memory.grow(Math.ceil((need - memory.byteLength) / PAGE_BYTES));
        memory = new Uint8Array(k.memory.buffer);
      }
      memory.set(program, 0);
      const at = (packet: number): number => origin + packet * slot;
      for (let from = 0; from < packetBytes; from += slot) {
        const blockBytes = Math.min(slot, packetBytes - from);
        for (let s = 0; s < inputs.length; s++)
          memory.set(inputs[s]!.subarray(from, from + blockBytes), at(s));
        for (let base = 0; base < blockBytes; base += stripe) {
          k.run(0, program.length, base, Math.min(stripe, blockBytes - base));
        }
        for (let o = 0; o < outputs.length; o++) {
          const out = outputs[o]!;
          if (schedule.sources[o]!.length === 0) out.fill(0, from, from + blockBytes);
          else out.set(memory.subarray(at(inputs.length + o), at(inputs.length + o) + blockBytes), from);
        }
      }
    },
  };
}

/** The WebAssembly SIMD backend, or undefined where the runtime lacks WebAssembly SIMD. */
export const wasmXorBackend: XorBackend | undefined = createWasmXorBackend();

/** The fastest available backend. */
export const defaultXorBackend: XorBackend = wasmXorBackend ?? jsXorBackend;
