/**
 * The canonical binary encoding used for everything that is hashed, signed or sent between replicas
 * (ARCHITECTURE.md D13: "schema'd, canonical where hashed or signed").
 *
 * A message schema is a pair of functions written against {@link Writer} and {@link Reader}: fields in a
 * fixed order, fixed-width big-endian integers, length-prefixed byte strings and arrays. There is exactly
 * one encoding of every value, so `encode(decode(b))` equals `b` for every accepted `b`, and hashing the
 * encoding is safe (research/protocol-design.md §9: never JSON for hashing).
 *
 * The reader is strict: reading past the end, a length above its limit, a non-canonical boolean or a
 * trailing byte all throw `OmegaError` with INVALID_ENCODING or LIMIT_EXCEEDED — never garbage.
 *
 * Like `src/errors.ts`, this is a leaf module usable from every layer.
 */
import { OmegaError } from './errors.js';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Appends fields to a growing buffer. */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    checkUint(v, 0xff, 'u8');
    this.reserve(1);
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number): this {
    checkUint(v, 0xffff, 'u16');
    this.reserve(2);
    this.view.setUint16(this.len, v);
    this.len += 2;
    return this;
  }

  u32(v: number): this {
    checkUint(v, 0xffffffff, 'u32');
    this.reserve(4);
    this.view.setUint32(this.len, v);
    this.len += 4;
    return this;
  }

  /** Unsigned 64-bit; accepts a safe integer or a bigint. */
  u64(v: number | bigint): this {
    const b = BigInt(v);
    if (b < 0n || b >= 1n << 64n) throw new OmegaError('OUT_OF_RANGE', 'u64 out of range');
    this.reserve(8);
    this.view.setBigUint64(this.len, b);
    this.len += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }

  /** Raw bytes of a length fixed by the schema (no prefix). */
  fixed(bytes: Uint8Array, length: number): this {
    if (bytes.length !== length) {
      throw new OmegaError('INVALID_LENGTH', `expected ${length} bytes, got ${bytes.length}`);
    }
    this.reserve(length);
    this.buf.set(bytes, this.len);
    this.len += length;
    return this;
  }

  /** u32 length prefix, then the bytes. */
  bytes(bytes: Uint8Array): this {
    this.u32(bytes.length);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** UTF-8 string with a u32 byte-length prefix. */
  string(s: string): this {
    return this.bytes(textEncoder.encode(s));
  }

  /** u32 count, then each item written by `each`. */
  array<T>(items: readonly T[], each: (w: Writer, item: T) => void): this {
    this.u32(items.length);
    for (const item of items) each(this, item);
    return this;
  }

  /** 0 for absent, 1 then the value for present. */
  optional<T>(value: T | undefined, each: (w: Writer, item: T) => void): this {
    if (value === undefined) return this.u8(0);
    this.u8(1);
    each(this, value);
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Reads fields in schema order; every method validates what it reads. */
export class Reader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new OmegaError(
        'INVALID_ENCODING',
        `truncated input reading ${what} (need ${n}, have ${this.remaining})`,
      );
    }
  }

  u8(): number {
    this.need(1, 'u8');
    return this.buf[this.offset++]!;
  }

  u16(): number {
    this.need(2, 'u16');
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4, 'u32');
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  /** u64 as a bigint. */
  u64(): bigint {
    this.need(8, 'u64');
    const v = this.view.getBigUint64(this.offset);
    this.offset += 8;
    return v;
  }

  /** u64 that must fit a safe integer (heights, rounds, timestamps). */
  u64Number(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new OmegaError('OUT_OF_RANGE', 'u64 exceeds 2^53-1');
    return Number(v);
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new OmegaError('INVALID_ENCODING', 'boolean must be 0 or 1');
    return v === 1;
  }

  fixed(length: number): Uint8Array {
    this.need(length, `${length} fixed bytes`);
    const out = this.buf.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  /** Length-prefixed bytes; the length must not exceed `maxLength`. */
  bytes(maxLength: number): Uint8Array {
    const length = this.u32();
    if (length > maxLength) {
      throw new OmegaError(
        'LIMIT_EXCEEDED',
        `byte string of ${length} bytes exceeds the limit of ${maxLength}`,
      );
    }
    return this.fixed(length);
  }

  string(maxBytes: number): string {
    const raw = this.bytes(maxBytes);
    try {
      return textDecoder.decode(raw);
    } catch (cause) {
      throw new OmegaError('INVALID_ENCODING', 'string is not valid UTF-8', { cause });
    }
  }

  array<T>(maxCount: number, each: (r: Reader) => T): T[] {
    const count = this.u32();
    if (count > maxCount) {
      throw new OmegaError('LIMIT_EXCEEDED', `array of ${count} items exceeds the limit of ${maxCount}`);
    }
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(each(this));
    return out;
  }

  optional<T>(each: (r: Reader) => T): T | undefined {
    const tag = this.u8();
    if (tag === 0) return undefined;
    if (tag !== 1) throw new OmegaError('INVALID_ENCODING', 'optional tag must be 0 or 1');
    return each(this);
  }

  /** Asserts the whole input was consumed (no trailing bytes: one encoding per value). */
  end(): void {
    if (this.remaining !== 0) {
      throw new OmegaError('INVALID_ENCODING', `${this.remaining} trailing bytes after the message`);
    }
  }
}

/** Decodes `bytes` with `read` and requires that it consumes all of them. */
export function decodeAll<T>(bytes: Uint8Array, read: (r: Reader) => T): T {
  const r = new Reader(bytes);
  const value = read(r);
  r.end();
  return value;
}

/** Encodes a value with a schema's write function. */
export function encodeWith<T>(value: T, write: (w: Writer, value: T) => void): Uint8Array {
  const w = new Writer();
  write(w, value);
  return w.finish();
}

function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max)
    throw new OmegaError('OUT_OF_RANGE', `${what} out of range: ${v}`);
}
