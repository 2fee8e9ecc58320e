import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { ErasureCode } from '../../src/crypto/erasure.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import {
  type XorBackend,
  type XorSchedule,
  createWasmXorBackend,
  defaultXorBackend,
  jsXorBackend,
  wasmXorBackend,
  xorKernelModuleBytes,
} from '../../src/crypto/xor-kernel.js';

/** The obvious byte-by-byte definition both backends must match. */
function reference(schedule: XorSchedule, inputs: readonly Uint8Array[], packetBytes: number): Uint8Array[] {
  return schedule.sources.map((list) => {
    const out = new Uint8Array(packetBytes);
    for (const s of list) for (let i = 0; i < packetBytes; i++) out[i]! ^= inputs[s]![i]!;
    return out;
  });
}

function randomCase(seed: string, packetBytes: number): { schedule: XorSchedule; inputs: Uint8Array[] } {
  const rng = deterministicRandom(seed);
  const inputCount = 1 + (rng(1)[0]! % 24);
  const outputCount = 1 + (rng(1)[0]! % 12);
  const inputs = Array.from({ length: inputCount }, () => rng(packetBytes));
  const sources = Array.from({ length: outputCount }, (_, o) => {
    // Lengths 0..40 exercise every kernel (set1..set4, acc1..acc3) and the empty list (zeros).
    const length = o === 0 ? 0 : rng(1)[0]! % 41;
    return Int32Array.from(rng(length), (b) => b % inputCount);
  });
  return { schedule: { sources }, inputs };
}

function runOn(
  backend: XorBackend,
  schedule: XorSchedule,
  inputs: Uint8Array[],
  packetBytes: number,
): string[] {
  // Outputs start dirty: a backend must overwrite them, not accumulate into them.
  const outputs = schedule.sources.map(() => new Uint8Array(packetBytes).fill(0xa5));
  backend.run(schedule, inputs, outputs, packetBytes);
  return outputs.map(toHex);
}

describe('XOR kernels: the WebAssembly SIMD and JS backends agree byte for byte', () => {
  it('the WebAssembly module is well formed and SIMD is available on this Node', () => {
    const bytes = xorKernelModuleBytes();
    expect(toHex(bytes.subarray(0, 8))).toBe('0061736d01000000');
    // Node ≥ 16.4 has WebAssembly SIMD; on such a runtime the fast backend must be the default.
    expect(wasmXorBackend?.name).toBe('wasm-simd');
    expect(defaultXorBackend).toBe(wasmXorBackend);
  });

  it('random schedules: js = wasm = reference, for packet sizes from one vector to many stripes', () => {
    const tiny = createWasmXorBackend({ slotsBytesMax: 4096, stripeWorkingSetBytes: 1024 });
    const striped = createWasmXorBackend({ stripeWorkingSetBytes: 1024 });
    expect(tiny).toBeDefined();
    expect(striped).toBeDefined();
    for (const packetBytes of [16, 48, 256, 1040, 4096, 20_000]) {
      for (let t = 0; t < 6; t++) {
        const { schedule, inputs } = randomCase(`xor/${packetBytes}/${t}`, packetBytes);
        const expected = reference(schedule, inputs, packetBytes).map(toHex);
        expect(runOn(jsXorBackend, schedule, inputs, packetBytes)).toEqual(expected);
        expect(runOn(wasmXorBackend!, schedule, inputs, packetBytes)).toEqual(expected);
        // Tiny limits force column blocks (tiny) and many interpreter calls per block (striped).
        expect(runOn(tiny!, schedule, inputs, packetBytes)).toEqual(expected);
        expect(runOn(striped!, schedule, inputs, packetBytes)).toEqual(expected);
      }
    }
  });

  it('the erasure code gives the same fragments and decodings on both backends', () => {
    const rng = deterministicRandom('xor/erasure');
    for (const [n, k] of [
      [4, 2],
      [7, 3],
      [16, 6],
      [40, 13],
    ] as const) {
      const wasm = ErasureCode.get(n, k);
      const js = wasm.withBackend(jsXorBackend);
      const data = Array.from({ length: k }, () => rng(128 * 5));
      const a = wasm.encode(data);
      const b = js.encode(data);
      expect(a.map(toHex)).toEqual(b.map(toHex));
      const survivors = new Map(a.map((s, i) => [i, s] as const).slice(n - k));
      expect(js.decode(survivors).map(toHex)).toEqual(data.map(toHex));
      expect(wasm.decode(survivors).map(toHex)).toEqual(data.map(toHex));
    }
  });
});
