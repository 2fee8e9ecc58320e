/**
 * The replica mesh's wire format (ARCHITECTURE.md D13; docs/transport.md "Wire format").
 *
 *     frame   = u32be length || payload            (length = payload bytes, 1 ≤ length ≤ maxFrameBytes)
 *     payload = src/codec.ts encoding of one of
 *       HELLO (1): u16 protocolVersion, string chainId, u16 from, u16 to
 *       DATA  (2): u8 channel, bytes body
 *       PING  (3): u32 seq
 *       PONG  (4): u32 seq
 *
 * The transport never interprets a DATA body: the consensus core and the session protocols own their
 * schemas; the channel byte tells the runtime which decoder to hand the body to.
 *
 * {@link FrameDecoder} is incremental and enforces the maximum frame size from the 4-byte header alone, so
 * a peer announcing an oversized frame is rejected (FRAME_TOO_LARGE) before a single byte of the body is
 * buffered; anything that does not decode is MALFORMED_FRAME. Both are attributed to the peer by the mesh.
 */
import type { Reader } from '../../codec.js';
import { Writer, decodeAll } from '../../codec.js';
import { OmegaError, isOmegaError } from '../../errors.js';
import { TRANSPORT_LIMITS } from '../limits.js';

export const FRAME_HEADER_BYTES = 4;
/** Version of this wire protocol, carried in HELLO; a peer with another version is refused. */
export const PROTOCOL_VERSION = 1;

const TYPE_HELLO = 1;
const TYPE_DATA = 2;
const TYPE_PING = 3;
const TYPE_PONG = 4;

/** Payload bytes a DATA frame adds around its body: type, channel, u32 body length. */
export const DATA_OVERHEAD_BYTES = 1 + 1 + 4;

export interface HelloFrame {
  readonly type: 'hello';
  readonly protocolVersion: number;
  readonly chainId: string;
  readonly from: number;
  readonly to: number;
}
export interface DataFrame {
  readonly type: 'data';
  readonly channel: number;
  readonly body: Uint8Array;
}
export interface PingFrame {
  readonly type: 'ping' | 'pong';
  readonly seq: number;
}
export type Frame = HelloFrame | DataFrame | PingFrame;

function readU32(b: Uint8Array, offset: number): number {
  return ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
}

/** Encodes a frame with its length prefix. */
export function encodeFrame(frame: Frame): Uint8Array {
  if (frame.type === 'data') return encodeDataFrame(frame.channel, frame.body);
  const w = new Writer(64);
  w.u32(0); // length placeholder, patched below
  switch (frame.type) {
    case 'hello':
      w.u8(TYPE_HELLO).u16(frame.protocolVersion).string(frame.chainId).u16(frame.from).u16(frame.to);
      break;
    case 'ping':
      w.u8(TYPE_PING).u32(frame.seq);
      break;
    case 'pong':
      w.u8(TYPE_PONG).u32(frame.seq);
      break;
  }
  const out = w.finish();
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(0, out.length - FRAME_HEADER_BYTES);
  return out;
}

/**
 * DATA frames are the hot path (every consensus message): written straight into one pooled buffer instead
 * of through a growing `Writer`. The bytes are exactly the codec encoding `u8 2 ‖ u8 channel ‖ bytes body`
 * behind the length prefix (the round-trip property test decodes them with the codec-based decoder).
 */
function encodeDataFrame(channel: number, body: Uint8Array): Uint8Array {
  if (!Number.isInteger(channel) || channel < 0 || channel > 0xff) {
    throw new OmegaError('OUT_OF_RANGE', `channel out of range: ${channel}`);
  }
  const payload = DATA_OVERHEAD_BYTES + body.length;
  if (payload > 0xffffffff) throw new OmegaError('LIMIT_EXCEEDED', 'frame larger than 4 GiB');
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload);
  out.writeUInt32BE(payload, 0);
  out[4] = TYPE_DATA;
  out[5] = channel;
  out.writeUInt32BE(body.length, 6);
  out.set(body, 10);
  return out;
}

/** Decodes one payload (without its length prefix). MALFORMED_FRAME for anything but a valid frame. */
export function decodePayload(payload: Uint8Array, maxFrameBytes: number): Frame {
  try {
    return decodeAll(payload, (r: Reader): Frame => {
      const type = r.u8();
      switch (type) {
        case TYPE_HELLO:
          return {
            type: 'hello',
            protocolVersion: r.u16(),
            chainId: r.string(TRANSPORT_LIMITS.chainIdBytesMax),
            from: r.u16(),
            to: r.u16(),
          };
        case TYPE_DATA:
          return { type: 'data', channel: r.u8(), body: r.bytes(maxFrameBytes) };
        case TYPE_PING:
          return { type: 'ping', seq: r.u32() };
        case TYPE_PONG:
          return { type: 'pong', seq: r.u32() };
        default:
          throw new OmegaError('INVALID_ENCODING', `unknown frame type ${type}`);
      }
    });
  } catch (cause) {
    if (isOmegaError(cause, 'MALFORMED_FRAME')) throw cause;
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new OmegaError('MALFORMED_FRAME', `frame does not decode: ${detail}`, { cause });
  }
}

/**
 * Splits a byte stream into frames. Feed it every chunk read from the socket; it returns the complete
 * frames and keeps the rest. After it throws, the stream is unusable (the mesh closes the connection).
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Payload length of the frame being read, once its header is in. */
  private expected: number | undefined;
  private failed = false;

  constructor(private readonly maxFrameBytes: number) {
    if (
      !Number.isSafeInteger(maxFrameBytes) ||
      maxFrameBytes < 16 ||
      maxFrameBytes > TRANSPORT_LIMITS.frameBytesMaxCeiling
    ) {
      throw new OmegaError(
        'OUT_OF_RANGE',
        `maxFrameBytes must be in [16, ${TRANSPORT_LIMITS.frameBytesMaxCeiling}]`,
      );
    }
  }

  /** Bytes held while waiting for the rest of a frame (never more than one header + maxFrameBytes). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.failed) throw new OmegaError('MALFORMED_FRAME', 'stream already rejected');
    const frames: Frame[] = [];
    // A plain Uint8Array view: subarray() on a Node Buffer goes through its species constructor.
    let input = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    try {
      while (input.length > 0) {
        if (this.expected === undefined) {
          if (this.buffered === 0 && input.length >= FRAME_HEADER_BYTES) {
            // Fast path: the header is whole in this chunk.
            this.expected = this.checkLength(readU32(input, 0));
            input = input.subarray(FRAME_HEADER_BYTES);
          } else {
            const need = FRAME_HEADER_BYTES - this.buffered;
            const part = input.subarray(0, need);
            this.chunks.push(part);
            this.buffered += part.length;
            input = input.subarray(part.length);
            if (this.buffered < FRAME_HEADER_BYTES) break;
            this.expected = this.checkLength(readU32(this.take(), 0));
          }
        }
        if (this.buffered === 0 && input.length >= this.expected) {
          // Fast path: the whole payload is in this chunk; decode it in place (the decoder copies fields).
          frames.push(decodePayload(input.subarray(0, this.expected), this.maxFrameBytes));
          input = input.subarray(this.expected);
          this.expected = undefined;
          continue;
        }
        const need = this.expected - this.buffered;
        const part = input.subarray(0, need);
        this.chunks.push(part);
        this.buffered += part.length;
        input = input.subarray(part.length);
        if (this.buffered < this.expected) break;
        frames.push(decodePayload(this.take(), this.maxFrameBytes));
        this.expected = undefined;
      }
    } catch (e) {
      this.failed = true;
      this.chunks = [];
      this.buffered = 0;
      throw e;
    }
    return frames;
  }

  /** The limit is checked on the announced length, before any of the body is buffered. */
  private checkLength(length: number): number {
    if (length > this.maxFrameBytes) {
      throw new OmegaError(
        'FRAME_TOO_LARGE',
        `frame of ${length} bytes announced; the maximum is ${this.maxFrameBytes}`,
      );
    }
    if (length === 0) throw new OmegaError('MALFORMED_FRAME', 'empty frame');
    return length;
  }

  private take(): Uint8Array {
    const out = new Uint8Array(this.buffered);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    this.chunks = [];
    this.buffered = 0;
    return out;
  }
}
