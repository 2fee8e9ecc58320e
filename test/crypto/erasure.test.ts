import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Writer } from '../../src/codec.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, toHex, u32be } from '../../src/crypto/bytes.js';
import {
  Disperser,
  ErasureCode,
  type DispersalHeader,
  type EncodedChunk,
  type Fragment,
  type Sha256,
  chunkLeaf,
  decodeChunk,
  decodeDispersalHeader,
  decodeFragment,
  decodeMalEncodingProof,
  disperse,
  disperseStream,
  encodeDispersalHeader,
  encodeFragment,
  encodeMalEncodingProof,
  expectFragment,
  fragmentLeafHash,
  fragmentLength,
  retrieve,
  verifyFragment,
  verifyMalEncodingProof,
} from '../../src/crypto/erasure.js';
import { gfMul } from '../../src/crypto/gf256.js';
import {
  type InclusionProof,
  MerkleTree,
  decodeInclusionProof,
  merkleLeafHash,
  taggedLeaf,
} from '../../src/crypto/merkle.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { defaultXorBackend, jsXorBackend } from '../../src/crypto/xor-kernel.js';
import { isOmegaError } from '../../src/errors.js';

function errorOf(f: () => unknown): { code: string; culprits: readonly number[] } | undefined {
  try {
    f();
  } catch (e) {
    if (!isOmegaError(e)) throw e;
    return { code: e.code, culprits: e.culprits };
  }
  return undefined;
}

/** All k-subsets of 0..n−1, in lexicographic order. */
function* subsets(n: number, k: number, start = 0, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === k) {
    yield prefix.slice();
    return;
  }
  for (let i = start; i <= n - (k - prefix.length); i++) {
    prefix.push(i);
    yield* subsets(n, k, i + 1, prefix);
    prefix.pop();
  }
}

/**
 * Byte-wise reference for the bit-sliced layout: the GF(2^8) symbol at bit position p of a shard is bit
 * p of each of its 8 packets (bit b from packet b). Encodes symbol by symbol with gfMul.
 */
function referenceParity(code: ErasureCode, data: readonly Uint8Array[]): Uint8Array[] {
  const length = data[0]!.length;
  const packetBytes = length / 8;
  const symbol = (shard: Uint8Array, p: number): number => {
    let v = 0;
    const byte = p >> 3;
    const bit = p & 7;
    for (let b = 0; b < 8; b++) v |= ((shard[b * packetBytes + byte]! >> bit) & 1) << b;
    return v;
  };
  const out: Uint8Array[] = [];
  for (let i = 0; i < code.n - code.k; i++) {
    const shard = new Uint8Array(length);
    for (let p = 0; p < packetBytes * 8; p++) {
      let acc = 0;
      for (let j = 0; j < code.k; j++) acc ^= gfMul(code.parityCoefficient(i, j), symbol(data[j]!, p));
      for (let b = 0; b < 8; b++) shard[b * packetBytes + (p >> 3)]! |= ((acc >> b) & 1) << (p & 7);
    }
    out.push(shard);
  }
  return out;
}

describe('Reed–Solomon code over GF(2^8)', () => {
  it('decodes from every k-subset of fragments, for every 1 ≤ k ≤ n ≤ 12 (every erasure pattern)', () => {
    // Exhaustive for small (n, k): research/protocol-design.md §8.3 (GF(2^8) table bugs are common).
    // The default (WebAssembly SIMD) backend up to n = 12, the JS backend up to n = 8.
    const rng = deterministicRandom('erasure/exhaustive');
    let patterns = 0;
    for (const [backend, nMax] of [
      [defaultXorBackend, 12],
      [jsXorBackend, 8],
    ] as const) {
      for (let n = 1; n <= nMax; n++) {
        for (let k = 1; k <= n; k++) {
          const code = ErasureCode.get(n, k).withBackend(backend);
          const data = Array.from({ length: k }, () => rng(128));
          const shards = code.encode(data);
          for (let j = 0; j < k; j++) expect(toHex(shards[j]!)).toBe(toHex(data[j]!));
          for (const subset of subsets(n, k)) {
            const decoded = code.decode(new Map(subset.map((p) => [p, shards[p]!])));
            for (let j = 0; j < k; j++) {
              if (toHex(decoded[j]!) !== toHex(data[j]!))
                throw new Error(`(n=${n}, k=${k}) subset ${subset.join(',')}`);
            }
            patterns++;
          }
        }
      }
    }
    expect(patterns).toBe(8178 + 502); // Σ_{n ≤ 12} (2^n − 1) + Σ_{n ≤ 8} (2^n − 1)
  });

  it('property: for random (n, k, data, subset), decode(any k fragments) = input', () => {
    // fast-check prints the seed and path that replay a failure.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer(),
        (a, b, words, seed) => {
          const n = Math.max(a, b);
          const k = Math.min(a, b);
          const rng = deterministicRandom(`erasure/property/${seed}`);
          const code = ErasureCode.get(n, k);
          const data = Array.from({ length: k }, () => rng(128 * words));
          const shards = code.encode(data);
          const order = Array.from({ length: n }, (_, i) => i);
          const r = rng(n);
          order.sort((x, y) => r[x]! - r[y]! || x - y);
          const decoded = code.decode(new Map(order.slice(0, k).map((p) => [p, shards[p]!])));
          return decoded.every((d, j) => toHex(d) === toHex(data[j]!));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('works at the limit n = 255 (k = 85 and k = 254)', () => {
    const rng = deterministicRandom('erasure/255');
    for (const k of [85, 254]) {
      const code = ErasureCode.get(255, k);
      const data = Array.from({ length: k }, () => rng(128));
      const shards = code.encode(data);
      const tail = new Map<number, Uint8Array>();
      for (let p = 255 - k; p < 255; p++) tail.set(p, shards[p]!);
      expect(code.decode(tail).map(toHex)).toEqual(data.map(toHex));
    }
  });

  it('the bit-sliced XOR schedule computes exactly the GF(2^8) matrix product (byte-wise reference)', () => {
    const rng = deterministicRandom('erasure/reference');
    for (const [n, k] of [
      [4, 2],
      [7, 3],
      [16, 6],
      [10, 1],
      [9, 8],
    ] as const) {
      const code = ErasureCode.get(n, k);
      const data = Array.from({ length: k }, () => rng(256));
      const shards = code.encode(data);
      expect(shards.slice(k).map(toHex)).toEqual(referenceParity(code, data).map(toHex));
    }
  });

  it('the encoding format is stable (golden vector for (4, 2))', () => {
    const data = [0, 1].map((j) => Uint8Array.from({ length: 128 }, (_, i) => 128 * j + i));
    const shards = ErasureCode.get(4, 2).encode(data);
    expect(toHex(shards[2]!)).toBe(toHex(data[0]!.map((x, i) => x ^ data[1]![i]!)));
    // Frozen: a change here changes the bytes every replica stores (docs/crypto.md, "Erasure coding").
    expect(toHex(sha256(shards[3]!))).toBe(
      '26ee6c5e7e2cd3a32abacb1e23a0e10f45a44c6a4cb5209042068a5f9467a445',
    );
  });

  it('every malformed input is rejected with a stable code', () => {
    expect(errorOf(() => ErasureCode.get(4, 0))?.code).toBe('OUT_OF_RANGE');
    expect(errorOf(() => ErasureCode.get(4, 5))?.code).toBe('OUT_OF_RANGE');
    expect(errorOf(() => ErasureCode.get(256, 2))?.code).toBe('OUT_OF_RANGE');
    expect(errorOf(() => ErasureCode.get(0, 0))?.code).toBe('OUT_OF_RANGE');
    expect(errorOf(() => ErasureCode.get(4.5, 2))?.code).toBe('OUT_OF_RANGE');
    const code = ErasureCode.get(4, 2);
    expect(errorOf(() => code.encode([new Uint8Array(128)]))?.code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => code.encode([new Uint8Array(128), new Uint8Array(256)]))?.code).toBe(
      'INVALID_LENGTH',
    );
    expect(errorOf(() => code.encode([new Uint8Array(33), new Uint8Array(33)]))?.code).toBe('INVALID_LENGTH');
    expect(errorOf(() => code.encode([new Uint8Array(0), new Uint8Array(0)]))?.code).toBe('INVALID_LENGTH');
    const shards = code.encode([new Uint8Array(128), new Uint8Array(128)]);
    expect(errorOf(() => code.decode(new Map([[0, shards[0]!]])))?.code).toBe('NOT_ENOUGH_SHARES');
    expect(
      errorOf(() =>
        code.decode(
          new Map([
            [0, shards[0]!],
            [4, shards[1]!],
          ]),
        ),
      )?.code,
    ).toBe('OUT_OF_RANGE');
    expect(
      errorOf(() =>
        code.decode(
          new Map([
            [0, shards[0]!],
            [-1, shards[1]!],
          ]),
        ),
      )?.code,
    ).toBe('OUT_OF_RANGE');
    expect(
      errorOf(() =>
        code.decode(
          new Map([
            [0, shards[0]!],
            [3, new Uint8Array(256)],
          ]),
        ),
      )?.code,
    ).toBe('INVALID_LENGTH');
  });

  it('accepts unaligned input views (copies them) and rejects unaligned in-place shards', () => {
    const code = ErasureCode.get(5, 3);
    const rng = deterministicRandom('erasure/unaligned');
    const backing = rng(3 * 128 + 1);
    const data = [0, 1, 2].map((j) => backing.subarray(1 + 128 * j, 1 + 128 * (j + 1)));
    const shards = code.encode(data);
    const odd = new Uint8Array(5 * 128 + 2);
    const views = shards.map((s, i) => {
      const v = odd.subarray(1 + 128 * i, 1 + 128 * (i + 1));
      v.set(s);
      return v;
    });
    expect(
      code
        .decode(
          new Map([
            [1, views[1]!],
            [3, views[3]!],
            [4, views[4]!],
          ]),
        )
        .map(toHex),
    ).toEqual(data.map(toHex));
    expect(errorOf(() => code.encodeInto(views))?.code).toBe('INVALID_ARGUMENT');
  });
});

// ── dispersal ──────────────────────────────────────────────────────────────────────────────────────

function randomFragments(all: readonly Fragment[], count: number, seed: string): Fragment[] {
  const r = deterministicRandom(seed)(all.length);
  return all
    .map((f, i) => ({ f, key: r[i]! * 256 + i }))
    .sort((a, b) => a.key - b.key)
    .slice(0, count)
    .map((x) => x.f);
}

/**
 * A malicious writer: commits to arbitrary fragment bytes for one chunk (not necessarily a codeword),
 * building the same trees an honest writer would.
 */
function commitArbitrary(
  n: number,
  k: number,
  length: number,
  chunkSize: number,
  shards: readonly Uint8Array[],
): { header: DispersalHeader; fragments: Fragment[]; chunkProof: InclusionProof } {
  const tree = MerkleTree.fromLeafHashes(shards.map((s, i) => fragmentLeafHash(0, i + 1, s)));
  const top = MerkleTree.fromLeaves([chunkLeaf({ n, k, chunkSize, length }, 0, tree.root)]);
  const header = { n, k, chunkSize, length, root: top.root };
  const fragments = shards.map((bytes, i) => ({ chunk: 0, index: i + 1, bytes, proof: tree.proof(i) }));
  return { header, fragments, chunkProof: top.proof(0) };
}

describe('dispersal: chunked encoding committed by a Merkle root', () => {
  it('round-trips inputs of every edge length, from any k fragments of each chunk', () => {
    const rng = deterministicRandom('dispersal/lengths');
    const chunkSize = 1000;
    for (const [n, k] of [
      [4, 2],
      [7, 3],
      [16, 6],
      [1, 1],
      [5, 5],
    ] as const) {
      for (const length of [0, 1, 31, 32, 999, 1000, 1001, 2999, 3000, 3001]) {
        const input = rng(length);
        const { header, chunks, chunkProofs } = disperse(input, { n, k, chunkSize });
        expect(chunks.length).toBe(Math.ceil(length / chunkSize));
        const picked = chunks.map((c) =>
          randomFragments(c.fragments, k, `pick/${n}/${k}/${length}/${c.chunk}`),
        );
        const out = retrieve(header, picked, chunkProofs);
        expect(toHex(out.bytes)).toBe(toHex(input));
        expect(out.culprits).toEqual([]);
      }
    }
  });

  it('streaming in pieces of any size gives the same header and fragments as one shot', () => {
    const rng = deterministicRandom('dispersal/stream');
    const input = rng(10_000);
    const params = { n: 7, k: 3, chunkSize: 777 };
    const whole = disperse(input, params);
    const d = new Disperser(params);
    const chunks: EncodedChunk[] = [];
    const sizes = rng(64);
    let offset = 0;
    for (let i = 0; offset < input.length; i++) {
      const take = Math.min(input.length - offset, sizes[i % 64]! * 13);
      chunks.push(...d.push(input.subarray(offset, offset + take)));
      offset += take;
    }
    const last = d.finish();
    chunks.push(...last.chunks);
    expect(toHex(last.header.root)).toBe(toHex(whole.header.root));
    expect(chunks.map((c) => toHex(c.root))).toEqual(whole.chunks.map((c) => toHex(c.root)));
    expect(errorOf(() => d.push(new Uint8Array(1)))?.code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => d.finish())?.code).toBe('INVALID_ARGUMENT');
  });

  it('disperseStream over an async iterable yields chunk by chunk and returns the same header', async () => {
    const input = deterministicRandom('dispersal/async')(9_000);
    const params = { n: 6, k: 4, chunkSize: 2_000 };
    async function* pieces(): AsyncGenerator<Uint8Array> {
      // One piece larger than several chunks, then odd-sized ones, each after a turn of the event loop.
      await Promise.resolve();
      yield input.subarray(0, 5_500);
      for (let o = 5_500; o < input.length; o += 700)
        yield input.subarray(o, Math.min(o + 700, input.length));
    }
    const it = disperseStream(pieces(), params);
    const chunks: EncodedChunk[] = [];
    let r = await it.next();
    while (r.done !== true) {
      chunks.push(r.value);
      r = await it.next();
    }
    const whole = disperse(input, params);
    expect(chunks.map((c) => c.chunk)).toEqual([0, 1, 2, 3, 4]);
    expect(toHex(r.value.header.root)).toBe(toHex(whole.header.root));
    const picked = chunks.map((c) => c.fragments.slice(2));
    expect(toHex(retrieve(r.value.header, picked, r.value.chunkProofs).bytes)).toBe(toHex(input));
    const bad = disperseStream([new Uint8Array(3), 'x' as any], params);
    await expect(bad.next()).rejects.toThrow(/INVALID_ENCODING/);
  });

  it('an injected native SHA-256 (node:crypto) commits and verifies exactly like the default', () => {
    const native: Sha256 = (parts) => {
      const h = createHash('sha256');
      for (const p of parts) h.update(p);
      return new Uint8Array(h.digest());
    };
    const input = deterministicRandom('dispersal/native-hash')(5000);
    const params = { n: 5, k: 2, chunkSize: 2000 };
    const a = disperse(input, params);
    const b = disperse(input, params, { sha256: native });
    expect(toHex(b.header.root)).toBe(toHex(a.header.root));
    const picked = b.chunks.map((c) => c.fragments.slice(3));
    expect(toHex(retrieve(a.header, picked, b.chunkProofs, { sha256: native }).bytes)).toBe(toHex(input));
    expect(toHex(retrieve(a.header, picked, b.chunkProofs).bytes)).toBe(toHex(input));
    // A wrong "SHA-256" cannot verify anything committed with the real one.
    const wrong: Sha256 = (parts) => native([...parts, Uint8Array.of(1)]);
    expect(
      verifyFragment(a.header, a.chunks[0]!.fragments[0]!, a.chunkProofs[0]!, { sha256: wrong }),
    ).toBeUndefined();
  });

  it('the fragment leaf hash equals the tagged Merkle leaf it is documented to be', () => {
    const bytes = deterministicRandom('leaf')(64);
    const expected = merkleLeafHash(
      taggedLeaf('omega/erasure/fragment/v1', u32be(3), Uint8Array.of(5), bytes),
    );
    expect(toHex(fragmentLeafHash(3, 5, bytes))).toBe(toHex(expected));
  });

  it('a corrupted fragment is detected by its hash and its index is named', () => {
    const input = deterministicRandom('dispersal/corrupt')(5000);
    const { header, chunks, chunkProofs } = disperse(input, { n: 7, k: 3, chunkSize: 2048 });
    const chunk = chunks[1]!;
    const good = chunk.fragments;
    const bad = good.map((f) =>
      f.index === 2 ? { ...f, bytes: f.bytes.map((b, i) => (i === 7 ? b ^ 1 : b)) } : f,
    );
    expect(verifyFragment(header, good[1]!, chunkProofs[1]!)).toBeDefined();
    expect(verifyFragment(header, bad[1]!, chunkProofs[1]!)).toBeUndefined();
    expect(errorOf(() => expectFragment(header, bad[1]!, chunkProofs[1]!))).toEqual({
      code: 'BAD_FRAGMENT',
      culprits: [2],
    });
    // Enough good fragments remain: the data comes back and the bad fragment is named.
    const out = decodeChunk(header, 1, bad, chunkProofs[1]!);
    expect(toHex(out.bytes)).toBe(toHex(input.subarray(2048, 4096)));
    expect(out.culprits).toEqual([2]);
    // Fewer than k good ones: NOT_ENOUGH_SHARES naming every bad fragment.
    const corrupt = (f: Fragment): Fragment => ({ ...f, bytes: f.bytes.map((b) => b ^ 0xff) });
    const mostlyBad = [bad[0]!, bad[1]!, corrupt(bad[4]!), corrupt(bad[6]!)];
    expect(errorOf(() => decodeChunk(header, 1, mostlyBad, chunkProofs[1]!))).toEqual({
      code: 'NOT_ENOUGH_SHARES',
      culprits: [2, 5, 7],
    });
  });

  it('a fragment moved to another index, chunk or header is rejected (index bound in the leaf)', () => {
    const input = deterministicRandom('dispersal/swap')(3000);
    const { header, chunks, chunkProofs } = disperse(input, { n: 4, k: 2, chunkSize: 1000 });
    const f1 = chunks[0]!.fragments[0]!;
    const f2 = chunks[0]!.fragments[1]!;
    // Fragment 1's bytes presented as fragment 2 (with 2's proof): rejected.
    expect(verifyFragment(header, { ...f2, bytes: f1.bytes }, chunkProofs[0]!)).toBeUndefined();
    // Fragment 1 of chunk 0 presented as fragment 1 of chunk 1: rejected.
    expect(verifyFragment(header, { ...f1, chunk: 1 }, chunkProofs[1]!)).toBeUndefined();
    // A proof of the right shape for the wrong position: rejected.
    expect(verifyFragment(header, { ...f1, proof: f2.proof }, chunkProofs[0]!)).toBeUndefined();
    // The root commits to the length and the parameters: changing either breaks every fragment.
    expect(verifyFragment({ ...header, length: header.length - 1 }, f1, chunkProofs[0]!)).toBeUndefined();
    expect(verifyFragment({ ...header, k: 3 }, f1, chunkProofs[0]!)).toBeUndefined();
    expect(verifyFragment({ ...header, chunkSize: 999 }, f1, chunkProofs[0]!)).toBeUndefined();
  });

  it('a non-codeword is rejected by the re-encode check, from every k-subset alike', () => {
    const rng = deterministicRandom('dispersal/non-codeword');
    for (const [n, k] of [
      [4, 2],
      [7, 3],
    ] as const) {
      const length = 128 * k;
      const code = ErasureCode.get(n, k);
      const shards = code.encode(Array.from({ length: k }, () => rng(128)));
      // The writer tampers with one parity fragment and commits to the tampered set.
      shards[n - 1] = shards[n - 1]!.map((b, i) => (i === 0 ? b ^ 0x80 : b));
      const { header, fragments, chunkProof } = commitArbitrary(n, k, length, length, shards);
      for (const f of fragments) expect(verifyFragment(header, f, chunkProof)).toBeDefined();
      for (const subset of subsets(n, k)) {
        const picked = subset.map((p) => fragments[p]!);
        // Without the check, subsets without fragment n would decode the honest data and subsets with it
        // would decode garbage: every reader must instead reach the same verdict.
        expect(errorOf(() => decodeChunk(header, 0, picked, chunkProof))?.code).toBe('NOT_A_CODEWORD');
        // Any such subset is a proof anyone can check against the header alone, also after a round trip
        // through its byte format.
        const proof = { chunk: 0, fragments: picked, chunkProof };
        expect(verifyMalEncodingProof(header, proof)).toBe(true);
        expect(verifyMalEncodingProof(header, decodeMalEncodingProof(encodeMalEncodingProof(proof)))).toBe(
          true,
        );
      }
    }
  });

  it('no proof of incorrect encoding exists for an honest dispersal, and malformed proofs are refused', () => {
    const input = deterministicRandom('dispersal/honest-proof')(3000);
    const { header, chunks, chunkProofs } = disperse(input, { n: 5, k: 2, chunkSize: 1000 });
    const fr = chunks[1]!.fragments;
    for (const subset of subsets(5, 2)) {
      const fragments = subset.map((p) => fr[p]!);
      expect(verifyMalEncodingProof(header, { chunk: 1, fragments, chunkProof: chunkProofs[1]! })).toBe(
        false,
      );
    }
    // Too few, duplicated, or non-verifying fragments are not a proof.
    const proofOf = (fragments: Fragment[]): boolean =>
      verifyMalEncodingProof(header, { chunk: 1, fragments, chunkProof: chunkProofs[1]! });
    expect(proofOf([fr[0]!])).toBe(false);
    expect(proofOf([fr[0]!, fr[0]!])).toBe(false);
    expect(proofOf([fr[0]!, { ...fr[1]!, bytes: fr[1]!.bytes.map((b) => b ^ 1) }])).toBe(false);
  });

  it('non-zero padding is rejected: the committed length leaves one valid encoding', () => {
    const code = ErasureCode.get(4, 2);
    const data = [deterministicRandom('pad')(128), new Uint8Array(128)];
    data[1]![127] = 1; // byte 255 of the chunk, beyond the committed length of 40
    const shards = code.encode(data);
    const { header, fragments, chunkProof } = commitArbitrary(4, 2, 40, 40, shards);
    expect(errorOf(() => decodeChunk(header, 0, fragments.slice(2), chunkProof))?.code).toBe(
      'NOT_A_CODEWORD',
    );
    expect(verifyMalEncodingProof(header, { chunk: 0, fragments: fragments.slice(1, 3), chunkProof })).toBe(
      true,
    );
  });

  it('rejects duplicate indices (naming them), wrong chunks, and bad parameters', () => {
    const input = deterministicRandom('dispersal/dup')(500);
    const { header, chunks, chunkProofs } = disperse(input, { n: 4, k: 2, chunkSize: 500 });
    const fr = chunks[0]!.fragments;
    expect(errorOf(() => decodeChunk(header, 0, [fr[0]!, fr[2]!, fr[2]!], chunkProofs[0]!))).toEqual({
      code: 'INVALID_ARGUMENT',
      culprits: [3],
    });
    expect(errorOf(() => decodeChunk(header, 1, fr, chunkProofs[0]!))?.code).toBe('OUT_OF_RANGE');
    // A fragment of the wrong length never verifies.
    const short = { ...fr[0]!, bytes: fr[0]!.bytes.subarray(32) };
    expect(decodeChunk(header, 0, [short, fr[1]!, fr[2]!], chunkProofs[0]!).culprits).toEqual([1]);
    expect(errorOf(() => new Disperser({ n: 4, k: 0, chunkSize: 10 }))?.code).toBe('OUT_OF_RANGE');
    expect(errorOf(() => new Disperser({ n: 4, k: 2, chunkSize: 0 }))?.code).toBe('OUT_OF_RANGE');
    expect(errorOf(() => new Disperser({ n: 300, k: 2, chunkSize: 10 }))?.code).toBe('OUT_OF_RANGE');
    expect(errorOf(() => retrieve(header, [], []))?.code).toBe('INVALID_ARGUMENT');
    expect(fragmentLength(1, 3)).toBe(128);
    expect(fragmentLength(1000, 3)).toBe(384);
  });

  it('header and fragment byte formats round-trip and decode strictly', () => {
    const input = deterministicRandom('dispersal/format')(3000);
    const { header, chunks, chunkProofs } = disperse(input, { n: 5, k: 3, chunkSize: 1024 });
    const hb = encodeDispersalHeader(header);
    expect(hb.length).toBe(46);
    const h2 = decodeDispersalHeader(hb);
    expect({ ...h2, root: toHex(h2.root) }).toEqual({ ...header, root: toHex(header.root) });
    expect(errorOf(() => decodeDispersalHeader(concatBytes(hb, Uint8Array.of(0))))?.code).toBe(
      'INVALID_ENCODING',
    );
    expect(errorOf(() => decodeDispersalHeader(hb.subarray(0, 45)))?.code).toBe('INVALID_ENCODING');
    const tooManyChunks = new Writer()
      .u8(5)
      .u8(3)
      .u64(2 ** 33)
      .u32(1)
      .fixed(header.root, 32)
      .finish();
    expect(errorOf(() => decodeDispersalHeader(tooManyChunks))?.code).toBe('LIMIT_EXCEEDED');
    const kTooBig = hb.slice();
    kTooBig[1] = 6;
    expect(errorOf(() => decodeDispersalHeader(kTooBig))?.code).toBe('OUT_OF_RANGE');

    const f = chunks[2]!.fragments[4]!;
    const fb = encodeFragment(f);
    const f2 = decodeFragment(fb);
    expect(verifyFragment(header, f2, chunkProofs[2]!)).toBeDefined();
    expect(errorOf(() => decodeFragment(concatBytes(fb, Uint8Array.of(1))))?.code).toBe('INVALID_ENCODING');
    const zeroIndex = fb.slice();
    zeroIndex[4] = 0;
    expect(errorOf(() => decodeFragment(zeroIndex))?.code).toBe('OUT_OF_RANGE');
    const otherIndex = fb.slice();
    otherIndex[4] = 4; // proof is for index 5
    expect(errorOf(() => decodeFragment(otherIndex))?.code).toBe('INVALID_ENCODING');
    const huge = new Writer().u32(0).u8(1).u32(0xffffffff).finish();
    expect(errorOf(() => decodeFragment(huge))?.code).toBe('LIMIT_EXCEEDED');
  });
});

describe('decoders never crash on arbitrary bytes', () => {
  it('fuzz: header, fragment and proof decoders either decode or throw an OmegaError', () => {
    const input = deterministicRandom('fuzz/seed')(3000);
    const { header, chunks, chunkProofs } = disperse(input, { n: 5, k: 2, chunkSize: 1024 });
    const seeds = [
      encodeDispersalHeader(header),
      encodeFragment(chunks[1]!.fragments[3]!),
      encodeMalEncodingProof({
        chunk: 1,
        fragments: chunks[1]!.fragments.slice(0, 2),
        chunkProof: chunkProofs[1]!,
      }),
    ];
    const decoders: ((b: Uint8Array) => unknown)[] = [
      decodeDispersalHeader,
      decodeFragment,
      decodeInclusionProof,
      decodeMalEncodingProof,
    ];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          // Mutations of valid encodings reach deeper into the decoders than random bytes.
          fc
            .tuple(fc.constantFrom(...seeds), fc.nat(), fc.integer({ min: 1, max: 255 }))
            .map(([seed, at, x]) => {
              const b = seed.slice();
              b[at % b.length]! ^= x;
              return b;
            }),
          fc
            .tuple(fc.constantFrom(...seeds), fc.nat())
            .map(([seed, cut]) => seed.subarray(0, cut % seed.length)),
        ),
        (bytes) => {
          for (const decode of decoders) {
            try {
              decode(bytes);
            } catch (e) {
              if (!isOmegaError(e)) throw e;
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
