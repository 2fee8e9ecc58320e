/**
 * Fuzzing the decoders that read bytes from other replicas and from clients (docs/reliability.md,
 * "Fuzzing"): consensus messages (mesh channels 1–2), mempool gossip (channel 4), request envelopes,
 * signed results, and the frame layer under them fed through a streaming decoder in random chunks.
 * Inputs are valid encodings mutated by fast-check (bit flips, truncation, extension, splices) plus
 * arbitrary bytes. Property: every input decodes or throws an OmegaError with a code documented in
 * src/errors.ts — never a TypeError, RangeError or hang. Fixed seeds; fast-check prints the seed and the
 * shrunk counterexample on failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  type Block,
  type ConsensusMessage,
  type Vote,
} from '../../src/core/consensus/index.js';
import { checkEnvelope, decodeEnvelope, decodeResult, encodeResult } from '../../src/core/machine/index.js';
import { ERROR_CODES, isOmegaError } from '../../src/errors.js';
import { nodeEd25519Verify } from '../../src/api/ed25519.js';
import { decodeGossip, encodeGossip } from '../../src/runtime/replica/mempool.js';
import { FrameDecoder, encodeFrame } from '../../src/runtime/transport/index.js';
import { OmegaClient } from '../../src/sdk/index.js';
import { deterministicRandom } from '../../src/crypto/rand.js';

/** undefined if `fn` returned; the code if it threw a documented OmegaError; a description otherwise. */
function outcome(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (isOmegaError(e) && Object.hasOwn(ERROR_CODES, e.code)) return e.code;
    return `undocumented failure: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
}

/** Mutations of a valid encoding. */
function mutated(valid: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const base = fc.constantFrom(...valid);
  return fc.oneof(
    // Flip bits at a few positions.
    fc
      .tuple(
        base,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      )
      .map(([b, flips]) => {
        const out = Uint8Array.from(b);
        for (const [at, x] of flips) if (out.length > 0) out[at % out.length] = out[at % out.length]! ^ x;
        return out;
      }),
    // Truncate.
    fc.tuple(base, fc.nat()).map(([b, n]) => b.subarray(0, b.length === 0 ? 0 : n % b.length)),
    // Extend with junk.
    fc
      .tuple(base, fc.uint8Array({ minLength: 1, maxLength: 16 }))
      .map(([b, tail]) => Uint8Array.from([...b, ...tail])),
    // Overwrite a 4-byte window with an extreme length (count/length prefixes).
    fc.tuple(base, fc.nat(), fc.constantFrom(0xffffffff, 0x7fffffff, 0x00010000, 0)).map(([b, at, v]) => {
      const out = Uint8Array.from(b);
      if (out.length >= 4) new DataView(out.buffer).setUint32(at % (out.length - 3), v);
      return out;
    }),
    // Splice two valid encodings.
    fc
      .tuple(base, base, fc.nat())
      .map(([a, b, cut]) =>
        Uint8Array.from([...a.subarray(0, cut % (a.length + 1)), ...b.subarray(cut % (b.length + 1))]),
      ),
    fc.uint8Array({ maxLength: 512 }),
  );
}

const sig = (fill: number) => new Uint8Array(64).fill(fill);
const block: Block = {
  header: {
    height: 7,
    round: 1,
    proposer: 2,
    prevHash: new Uint8Array(32).fill(3),
    timeMs: 1_700_000_000_000,
  },
  requests: [Uint8Array.from([1, 2, 3]), new Uint8Array(40).fill(9)],
};
const vote = (type: 1 | 2, hash: Uint8Array | undefined): Vote => ({
  type,
  height: 7,
  round: 1,
  blockHash: hash,
  validator: 1,
  signature: sig(5),
});
const messages: ConsensusMessage[] = [
  {
    kind: 'proposal',
    proposal: { height: 7, round: 1, validRound: -1, block, proposer: 2, signature: sig(1) },
  },
  { kind: 'vote', vote: vote(1, new Uint8Array(32).fill(4)) },
  { kind: 'vote', vote: vote(2, undefined) },
  { kind: 'votes', votes: [vote(1, new Uint8Array(32).fill(4)), vote(2, new Uint8Array(32).fill(4))] },
  { kind: 'sync-request', fromHeight: 3, maxCount: 64 },
  {
    kind: 'sync-response',
    blocks: [
      {
        block,
        certificate: {
          height: 7,
          round: 1,
          blockHash: new Uint8Array(32).fill(4),
          signatures: [{ validator: 1, signature: sig(2) }],
        },
      },
    ],
  },
];

function validMessages(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of messages) {
    try {
      out.push(encodeMessage(m));
    } catch {
      // A message shape this version does not encode (e.g. validRound −1 encoding) is simply not a seed.
    }
  }
  return out;
}

const chainId = 'omega-fuzz';
const client = new OmegaClient({
  cluster: {
    chainId,
    f: 1,
    replicas: [1, 2, 3, 4].map((index) => ({
      index,
      url: `http://127.0.0.1:${index}`,
      publicKey: new Uint8Array(32).fill(index),
    })),
  },
  secretKey: new Uint8Array(32).fill(7),
  random: deterministicRandom('fuzz-envelopes'),
});
const envelopes = [0, 1, 100, 1024].map(
  (n) => client.buildEnvelope('ping', new Uint8Array(n).fill(n & 0xff)).bytes,
);

describe('decoder fuzzing: decode or a documented OmegaError, never a crash', () => {
  it('consensus messages (mesh channels 1 and 2), seed 801', () => {
    const valid = validMessages();
    expect(valid.length).toBeGreaterThanOrEqual(5);
    for (const v of valid) expect(outcome(() => decodeMessage(v))).toBeUndefined();
    fc.assert(
      fc.property(mutated(valid), (bytes) => {
        const o = outcome(() => decodeMessage(bytes));
        expect(o === undefined || !o.startsWith('undocumented'), o).toBe(true);
      }),
      { seed: 801, numRuns: 3_000 },
    );
  });

  it('mempool gossip bodies (channel 4), seed 802', () => {
    const valid = [encodeGossip(envelopes), encodeGossip([]), encodeGossip([envelopes[0]!])];
    fc.assert(
      fc.property(mutated(valid), (bytes) => {
        const o = outcome(() => decodeGossip(bytes));
        expect(o === undefined || !o.startsWith('undocumented'), o).toBe(true);
      }),
      { seed: 802, numRuns: 3_000 },
    );
  });

  it('request envelopes through the full stateless check, seed 803', () => {
    for (const e of envelopes)
      expect(outcome(() => checkEnvelope(e, { chainId, verify: nodeEd25519Verify }))).toBeUndefined();
    let accepted = 0;
    fc.assert(
      fc.property(mutated(envelopes), (bytes) => {
        const o = outcome(() => checkEnvelope(bytes, { chainId, verify: nodeEd25519Verify }));
        expect(o === undefined || !o.startsWith('undocumented'), o).toBe(true);
        if (o === undefined) accepted++;
        // decodeEnvelope alone must agree: whatever checkEnvelope accepts, it decodes.
        if (o === undefined) expect(outcome(() => decodeEnvelope(bytes))).toBeUndefined();
      }),
      { seed: 803, numRuns: 1_500 },
    );
    // A mutated envelope that still passes would be a signature bypass, unless it is byte-identical to a valid one.
    expect(accepted).toBeLessThan(1_500);
  });

  it('signed results as the SDK decodes them, seed 804', () => {
    const results = [0, 1].map((k) =>
      encodeResult({
        envelopeHash: new Uint8Array(32).fill(k),
        requestId: new Uint8Array(16).fill(k),
        principal: new Uint8Array(32).fill(k),
        height: 5,
        index: k,
        status:
          k === 0 ? { ok: true, output: Uint8Array.from([1, 2]) } : { ok: false, code: 'DUPLICATE_REQUEST' },
      }),
    );
    fc.assert(
      fc.property(mutated(results), (bytes) => {
        const o = outcome(() => decodeResult(bytes));
        expect(o === undefined || !o.startsWith('undocumented'), o).toBe(true);
      }),
      { seed: 804, numRuns: 3_000 },
    );
  });

  it('a frame stream of mutated frames in random chunks: frames, MALFORMED_FRAME or FRAME_TOO_LARGE, seed 805', () => {
    const frames = validMessages().map((body, i) =>
      encodeFrame({ type: 'data', channel: 1 + (i % 3), body }),
    );
    frames.push(
      encodeFrame({ type: 'ping', seq: 9 }),
      encodeFrame({ type: 'hello', protocolVersion: 1, chainId, from: 1, to: 2 }),
    );
    fc.assert(
      fc.property(
        fc.array(mutated(frames), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
        (parts, cuts) => {
          const stream = Uint8Array.from(parts.flatMap((p) => [...p]));
          const decoder = new FrameDecoder(4096);
          let at = 0;
          let k = 0;
          const o = outcome(() => {
            while (at < stream.length) {
              const n = cuts[k++ % cuts.length]!;
              decoder.push(stream.subarray(at, at + n));
              at += n;
            }
          });
          expect(o === undefined || o === 'MALFORMED_FRAME' || o === 'FRAME_TOO_LARGE', o).toBe(true);
          // Never buffers more than one header plus one maximal frame.
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(4 + 4096);
        },
      ),
      { seed: 805, numRuns: 1_500 },
    );
  });
});
