import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reader, Writer } from '../src/codec.js';
import { decodeAll, encodeWith } from '../src/codec.js';

interface Msg {
  kind: number;
  height: number;
  payload: Uint8Array;
  tags: string[];
  note?: string;
}
const write = (w: Writer, m: Msg) =>
  w
    .u8(m.kind)
    .u64(m.height)
    .bytes(m.payload)
    .array(m.tags, (w2, t) => w2.string(t))
    .optional(m.note, (w2, n) => w2.string(n));
const read = (r: Reader): Msg => {
  const kind = r.u8();
  const height = r.u64Number();
  const payload = r.bytes(1024);
  const tags = r.array(16, (r2) => r2.string(64));
  const note = r.optional((r2) => r2.string(64));
  return note === undefined ? { kind, height, payload, tags } : { kind, height, payload, tags, note };
};

describe('canonical binary codec', () => {
  it('round-trips and re-encodes to the same bytes (one encoding per value)', () => {
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.integer({ min: 0, max: 255 }),
          height: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          payload: fc.uint8Array({ maxLength: 100 }),
          tags: fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }),
        }),
        (m) => {
          const bytes = encodeWith(m, write);
          const back = decodeAll(bytes, read);
          expect(back).toEqual(m);
          expect(encodeWith(back, write)).toEqual(bytes);
        },
      ),
      { seed: 7, numRuns: 100 },
    );
  });

  it('rejects truncation, trailing bytes and oversized lengths with stable codes', () => {
    const bytes = encodeWith({ kind: 1, height: 2, payload: new Uint8Array(10), tags: ['a'] }, write);
    expect(() => decodeAll(bytes.subarray(0, bytes.length - 1), read)).toThrowError(/INVALID_ENCODING/);
    const trailing = new Uint8Array([...bytes, 0]);
    expect(() => decodeAll(trailing, read)).toThrowError(/INVALID_ENCODING: 1 trailing/);
    const huge = encodeWith({ kind: 1, height: 2, payload: new Uint8Array(2000), tags: [] }, write);
    expect(() => decodeAll(huge, read)).toThrowError(/LIMIT_EXCEEDED/);
  });

  it('never throws anything but OmegaError on random garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (garbage) => {
        try {
          decodeAll(garbage, read);
        } catch (e) {
          expect((e as Error).name).toBe('OmegaError');
        }
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});
