/**
 * Erasure coding throughput (MB/s of input data, 1 MiB per operation) for (n, k) = (4, 2), (7, 3),
 * (16, 6), side by side in the same run with npm Reed–Solomon libraries:
 *
 * - `@ronomon/reed-solomon` 6.0.0 — native C addon (N-API), built from source by `npm ci` (node-gyp).
 *   Limited to 6 parity shards: for (16, 6) it runs two m = 5 contexts (the same 10 parity rows of work).
 * - `@digitaldefiance/reed-solomon-erasure.wasm` 1.0.2 — the Rust `reed-solomon-erasure` crate in WebAssembly.
 * - `reed-solomon` 3.1.2 — pure JavaScript port of Backblaze's JavaReedSolomon (its optional native
 *   binding is disabled in package.json `allowScripts`; we pass its JavaScript binding explicitly).
 *
 * Decode = recover the first e = min(k, n − k, 5) data shards from the survivors (the same pattern for
 * every library; 5 because ronomon's m = 5 context cannot recover more).
 *
 * The machine is shared, so implementations are measured in interleaved rounds and each keeps its best
 * round; ratios compare numbers from the same run only. Targets (ARCHITECTURE.md §6): ≥ 0.25× the
 * native peer, ≥ 5× the pure-JS peer.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { measure } from './harness.js';
import { ErasureCode, type Sha256, disperse, retrieve } from '../src/crypto/erasure.js';
import { deterministicRandom } from '../src/crypto/rand.js';
import { jsXorBackend } from '../src/crypto/xor-kernel.js';

const require = createRequire(import.meta.url);

const INPUT_BYTES = 1 << 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_MS = Number(process.env.BENCH_MIN_MS ?? 400);

interface Impl {
  readonly name: string;
  readonly encode: () => unknown;
  readonly decode?: () => unknown;
}

type Callback = (error?: Error) => void;
interface Ronomon {
  MAX_M: number;
  create(k: number, m: number): unknown;
  encode(
    ctx: unknown,
    sources: number,
    targets: number,
    buffer: Buffer,
    bufferOffset: number,
    bufferSize: number,
    parity: Buffer,
    parityOffset: number,
    paritySize: number,
    cb: Callback,
  ): void;
}
interface BackblazeJs {
  encode(
    buf: Buffer,
    off: number,
    size: number,
    shardLen: number,
    shardOff: number,
    shardSize: number,
    cb: Callback,
  ): void;
  decode(
    buf: Buffer,
    off: number,
    size: number,
    shardLen: number,
    shardOff: number,
    shardSize: number,
    targets: number,
    cb: Callback,
  ): void;
}
interface BackblazeCtor {
  new (k: number, m: number, binding: unknown): BackblazeJs;
  binding: { javascript: unknown };
}
interface RustWasm {
  encode(shards: Uint8Array, k: number, m: number): number;
}

function load<T>(id: string): T | undefined {
  try {
    return require(id) as T;
  } catch (e) {
    console.log(`(peer ${id} unavailable: ${(e as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

const promisify = (f: (cb: Callback) => void) => (): Promise<void> =>
  new Promise((resolve, reject) => f((e) => (e ? reject(e) : resolve())));

function implementations(n: number, k: number): Impl[] {
  const m = n - k;
  const shard = Math.ceil(INPUT_BYTES / k / 128) * 128;
  const erased = Math.min(k, m, 5);
  const rng = deterministicRandom(`bench/erasure/${n}/${k}`);
  const impls: Impl[] = [];

  for (const [label, code] of [
    ['omega (wasm-simd)', ErasureCode.get(n, k)],
    ['omega (js)', ErasureCode.get(n, k).withBackend(jsXorBackend)],
  ] as const) {
    if (label === 'omega (wasm-simd)' && code.backend.name !== 'wasm-simd') continue;
    const shards = Array.from({ length: n }, () => rng(shard));
    code.encodeInto(shards);
    const survivors = new Map<number, Uint8Array>();
    for (let p = erased; p < n; p++) survivors.set(p, shards[p]!);
    impls.push({ name: label, encode: () => code.encodeInto(shards), decode: () => code.decode(survivors) });
  }

  const ronomon = load<Ronomon>('@ronomon/reed-solomon');
  if (ronomon) {
    const parts = m <= ronomon.MAX_M ? [m] : [Math.ceil(m / 2), Math.floor(m / 2)];
    const contexts = parts.map((mm) => ({
      mm,
      ctx: ronomon.create(k, mm),
      parity: Buffer.alloc(shard * mm),
    }));
    const buffer = Buffer.from(rng(shard * k));
    const all = (bits: number): number => (1 << bits) - 1;
    const encodeOne = (c: (typeof contexts)[number]): (() => Promise<void>) =>
      promisify((cb) =>
        ronomon.encode(
          c.ctx,
          all(k),
          all(k + c.mm) ^ all(k),
          buffer,
          0,
          shard * k,
          c.parity,
          0,
          shard * c.mm,
          cb,
        ),
      );
    const encoders = contexts.map(encodeOne);
    const first = contexts[0]!;
    let targets = 0;
    for (let j = 0; j < erased; j++) targets |= 1 << j;
    const sources = all(k + first.mm) ^ targets;
    const decodeOne = promisify((cb) =>
      ronomon.encode(
        first.ctx,
        sources,
        targets,
        buffer,
        0,
        shard * k,
        first.parity,
        0,
        shard * first.mm,
        cb,
      ),
    );
    impls.push({
      name: parts.length > 1 ? 'ronomon native (2 × m=5)' : 'ronomon native',
      encode: async () => {
        for (const e of encoders) await e();
      },
      decode: decodeOne,
    });
  }

  const rust = load<{ ReedSolomonErasure: { fromCurrentDirectorySync(): RustWasm } }>(
    '@digitaldefiance/reed-solomon-erasure.wasm',
  );
  if (rust) {
    const rs = rust.ReedSolomonErasure.fromCurrentDirectorySync();
    const shards = new Uint8Array(shard * n);
    shards.set(rng(shard * k));
    rs.encode(shards, k, m);
    // Encode only: its reconstruct() corrupts its own heap and traps ("memory access out of bounds") on
    // the second call on an instance (1.0.2), and a fresh instance per call would time instantiation.
    impls.push({ name: 'rust reed-solomon-erasure (wasm)', encode: () => rs.encode(shards, k, m) });
  }

  const Backblaze = load<BackblazeCtor>('reed-solomon');
  if (Backblaze) {
    const rs = new Backblaze(k, m, Backblaze.binding.javascript);
    const buffer = Buffer.alloc(shard * n);
    buffer.set(rng(shard * k));
    let targets = 0;
    for (let j = 0; j < erased; j++) targets |= 1 << j;
    impls.push({
      name: 'reed-solomon (pure JS, Backblaze port)',
      encode: promisify((cb) => rs.encode(buffer, 0, buffer.length, shard, 0, shard, cb)),
      decode: promisify((cb) => rs.decode(buffer, 0, buffer.length, shard, 0, shard, targets, cb)),
    });
  }
  return impls;
}

async function best(fns: { key: string; fn: () => unknown }[]): Promise<Map<string, number>> {
  const bestMs = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const { key, fn } of fns) {
      const r = await measure(key, fn, { minTimeMs: ROUND_MS, minSamples: 5, warmup: 3 });
      bestMs.set(key, Math.min(bestMs.get(key) ?? Infinity, r.msPerOp));
    }
  }
  return bestMs;
}

const mbps = (ms: number): number => INPUT_BYTES / 1e6 / (ms / 1000);

export async function run(): Promise<void> {
  const summary: string[] = [];
  for (const [n, k] of [
    [4, 2],
    [7, 3],
    [16, 6],
  ] as const) {
    const impls = implementations(n, k);
    const fns = impls.flatMap((i) => [
      { key: `${i.name}|encode`, fn: i.encode },
      ...(i.decode ? [{ key: `${i.name}|decode`, fn: i.decode }] : []),
    ]);
    const ms = await best(fns);
    const ours = impls[0]!.name;
    console.log(`\n### Erasure coding (n, k) = (${n}, ${k}), 1 MiB input, MB/s (best of ${ROUNDS} rounds)\n`);
    console.log(
      '| implementation | encode MB/s | decode MB/s | omega ÷ this (encode) | omega ÷ this (decode) |',
    );
    console.log('|---|---:|---:|---:|---:|');
    for (const impl of impls) {
      const enc = ms.get(`${impl.name}|encode`)!;
      const dec = ms.get(`${impl.name}|decode`);
      const ourEnc = ms.get(`${ours}|encode`)!;
      const ourDec = ms.get(`${ours}|decode`)!;
      const ratio = (theirs: number | undefined, mine: number): string =>
        theirs === undefined ? '' : `${(theirs / mine).toFixed(2)}×`;
      console.log(
        `| ${impl.name} | ${mbps(enc).toFixed(0)} | ${dec === undefined ? '' : mbps(dec).toFixed(0)} | ${
          impl.name === ours ? '' : ratio(enc, ourEnc)
        } | ${impl.name === ours ? '' : ratio(dec, ourDec)} |`,
      );
      if (impl.name.startsWith('ronomon') || impl.name.startsWith('reed-solomon (pure')) {
        const target = impl.name.startsWith('ronomon') ? 0.25 : 5;
        const e = enc / ourEnc;
        const d = dec === undefined ? NaN : dec / ourDec;
        const ok = (x: number): string => (x >= target ? '✓' : '✗');
        summary.push(
          `| (${n}, ${k}) | ${impl.name} | ≥ ${target}× | ${e.toFixed(2)}× ${ok(e)} | ${d.toFixed(2)}× ${ok(d)} |`,
        );
      }
    }
  }
  console.log('\n### Erasure coding targets (omega throughput / peer throughput, same run)\n');
  console.log('| (n, k) | peer | target | encode | decode |');
  console.log('|---|---|---:|---:|---:|');
  for (const line of summary) console.log(line);

  // Whole dispersal path: encode + SHA-256 fragment hashes + Merkle trees, and read = verify every
  // fragment + decode + re-encode + compare roots. No peer: this is Omega's own protocol.
  const input = deterministicRandom('bench/disperse')(4 * INPUT_BYTES);
  const params = { n: 7, k: 3, chunkSize: INPUT_BYTES };
  const d = disperse(input, params);
  const picked = d.chunks.map((c) => c.fragments.slice(2, 5));
  const native: Sha256 = (parts) => {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  };
  const withNative = { sha256: native };
  const dispersal = await best([
    { key: 'disperse (SHA-256: @noble/hashes)', fn: () => disperse(input, params) },
    { key: 'retrieve (SHA-256: @noble/hashes)', fn: () => retrieve(d.header, picked, d.chunkProofs) },
    { key: 'disperse (SHA-256: node:crypto, injected)', fn: () => disperse(input, params, withNative) },
    {
      key: 'retrieve (SHA-256: node:crypto, injected)',
      fn: () => retrieve(d.header, picked, d.chunkProofs, withNative),
    },
  ]);
  console.log(
    '\n### Dispersal (n, k) = (7, 3), 4 MiB in 1 MiB chunks, including hashing and the re-encode check\n',
  );
  console.log('| operation | MB/s |');
  console.log('|---|---:|');
  for (const [key, value] of dispersal) console.log(`| ${key} | ${(mbps(value) * 4).toFixed(0)} |`);
}
