/** Byte helpers shared by every encoder in `src/crypto`. Big-endian unless a name says otherwise. */
import { OmegaError } from '../errors.js';

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Constant-time comparison of two byte arrays (length is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const encoder = new TextEncoder();
/** UTF-8 encoding of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Parses lower- or upper-case hex; throws INVALID_ENCODING on odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new OmegaError('INVALID_ENCODING', 'hex string has odd length or a non-hex character');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Throws INVALID_LENGTH unless `bytes` is a Uint8Array of exactly `length` bytes. */
export function expectLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', `${what}: expected bytes`);
  if (bytes.length !== length) {
    throw new OmegaError('INVALID_LENGTH', `${what}: expected ${length} bytes, got ${bytes.length}`);
  }
}

/** Big-endian unsigned 16-bit encoding. */
export function u16be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new OmegaError('OUT_OF_RANGE', 'u16 out of range');
  return new Uint8Array([n >>> 8, n & 0xff]);
}

/** Big-endian unsigned 32-bit encoding. */
export function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new OmegaError('OUT_OF_RANGE', 'u32 out of range');
  }
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** Big-endian unsigned 64-bit encoding. */
export function u64be(n: bigint | number): Uint8Array {
  const v = BigInt(n);
  if (v < 0n || v >= 1n << 64n) throw new OmegaError('OUT_OF_RANGE', 'u64 out of range');
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v);
  return out;
}

/**
 * Length-prefixed framing of several fields (u32be length || bytes, each), so that no two different
 * field lists hash to the same transcript. Used for every hashed context (domain separation).
 */
export function lengthPrefixed(...fields: readonly Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) parts.push(u32be(f.length), f);
  return concatBytes(...parts);
}

/** Big-endian bytes → bigint. */
export function bytesToBigintBE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Little-endian bytes → bigint. */
export function bytesToBigintLE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/** bigint → big-endian bytes of fixed length; throws OUT_OF_RANGE if it does not fit. */
export function bigintToBytesBE(v: bigint, length: number): Uint8Array {
  if (v < 0n || v >= 1n << BigInt(8 * length)) throw new OmegaError('OUT_OF_RANGE', 'integer too large');
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** bigint → little-endian bytes of fixed length. */
export function bigintToBytesLE(v: bigint, length: number): Uint8Array {
  return bigintToBytesBE(v, length).reverse();
}
