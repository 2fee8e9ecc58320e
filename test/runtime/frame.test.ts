import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Writer } from '../../src/codec.js';
import { isOmegaError } from '../../src/errors.js';
import { FrameDecoder, decodePayload, encodeFrame, type Frame } from '../../src/runtime/transport/index.js';

const MAX = 1024;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isOmegaError(e) ? e.code : `non-Omega error: ${String(e)}`;
  }
  return undefined;
}

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({
    type: fc.constant('hello' as const),
    protocolVersion: fc.integer({ min: 0, max: 0xffff }),
    chainId: fc.string({ maxLength: 20 }),
    from: fc.integer({ min: 0, max: 0xffff }),
    to: fc.integer({ min: 0, max: 0xffff }),
  }),
  fc.record({
    type: fc.constant('data' as const),
    channel: fc.integer({ min: 0, max: 255 }),
    body: fc.uint8Array({ maxLength: 200 }),
  }),
  fc.record({ type: fc.constantFrom('ping' as const, 'pong' as const), seq: fc.nat({ max: 0xffffffff }) }),
);

describe('frame codec', () => {
  it('every frame round-trips however the stream is split into chunks (seed 11)', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 8 }),
        fc.array(fc.nat({ max: 50 }), { maxLength: 20 }),
        (frames, cuts) => {
          const stream = Buffer.concat(frames.map((f) => encodeFrame(f)));
          const decoder = new FrameDecoder(MAX);
          const out: Frame[] = [];
          let offset = 0;
          for (const cut of cuts) {
            out.push(...decoder.push(stream.subarray(offset, offset + cut)));
            offset = Math.min(stream.length, offset + cut);
          }
          out.push(...decoder.push(stream.subarray(offset)));
          expect(out).toEqual(
            frames.map((f) => (f.type === 'data' ? { ...f, body: Uint8Array.from(f.body) } : f)),
          );
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { seed: 11, numRuns: 200 },
    );
  });

  it('an oversized frame is rejected from its 4-byte header alone, before any body is buffered', () => {
    const decoder = new FrameDecoder(MAX);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX + 1);
    expect(codeOf(() => decoder.push(header))).toBe('FRAME_TOO_LARGE');
    expect(decoder.bufferedBytes).toBe(0);
    // and the stream stays rejected
    expect(codeOf(() => decoder.push(Buffer.from([1])))).toBe('MALFORMED_FRAME');
  });

  it('a header announcing 4 GiB is rejected even when split byte by byte', () => {
    const decoder = new FrameDecoder(MAX);
    expect(decoder.push(Buffer.from([0xff]))).toEqual([]);
    expect(decoder.push(Buffer.from([0xff, 0xff]))).toEqual([]);
    expect(codeOf(() => decoder.push(Buffer.from([0xff, 0x00, 0x00])))).toBe('FRAME_TOO_LARGE');
  });

  it('malformed payloads are MALFORMED_FRAME, never a crash (seed 12)', () => {
    expect(codeOf(() => new FrameDecoder(MAX).push(Buffer.from([0, 0, 0, 0])))).toBe('MALFORMED_FRAME');
    expect(codeOf(() => decodePayload(Uint8Array.of(0x7f), MAX))).toBe('MALFORMED_FRAME');
    expect(codeOf(() => decodePayload(Uint8Array.of(3, 0, 0, 0, 1, 9), MAX))).toBe('MALFORMED_FRAME'); // trailing byte
    expect(codeOf(() => decodePayload(Uint8Array.of(2, 1, 0, 0, 0, 5, 1), MAX))).toBe('MALFORMED_FRAME'); // truncated body
    expect(codeOf(() => decodePayload(Uint8Array.of(2, 1, 0xff, 0xff, 0xff, 0xff), MAX))).toBe(
      'MALFORMED_FRAME',
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
        const code = codeOf(() => new FrameDecoder(MAX).push(bytes));
        expect(code === undefined || code === 'MALFORMED_FRAME' || code === 'FRAME_TOO_LARGE').toBe(true);
      }),
      { seed: 12, numRuns: 500 },
    );
  });

  it('the DATA fast path writes exactly the src/codec.ts encoding', () => {
    const body = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const payload = new Writer().u8(2).u8(42).bytes(body).finish();
    const header = new Writer().u32(payload.length).finish();
    expect(Uint8Array.from(encodeFrame({ type: 'data', channel: 42, body }))).toEqual(
      Uint8Array.from([...header, ...payload]),
    );
  });

  it('encodings are canonical: decode(encode(f)) re-encodes to the same bytes', () => {
    const f: Frame = { type: 'hello', protocolVersion: 1, chainId: 'omega-test', from: 1, to: 4 };
    const bytes = encodeFrame(f);
    expect(encodeFrame(decodePayload(bytes.subarray(4), MAX))).toEqual(bytes);
    expect([...bytes.subarray(0, 4)]).toEqual([0, 0, 0, bytes.length - 4]);
  });
});
