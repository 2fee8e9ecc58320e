/**
 * Messages replicas exchange on the replies channel of the mesh (docs/replies.md, "Mesh messages").
 *
 * Both kinds name the statement they are about — (epoch, height, size, root) of one block's results
 * tree — so a receiver compares it with its own statement for that height before doing any pairing:
 * a correct replica computes byte-identical results, so a mismatch is the sender's fault (or a key
 * epoch switch at a different height, which docs/replies.md rules out for a correct key source).
 *
 * ```
 * version  u8 = 1
 * kind     u8: 1 = partial, 2 = signature
 * epoch    u64    height u64    size u32    root 32 bytes
 * partial:   u16 share index ‖ 48-byte G1 point      (src/crypto/bls/threshold.ts encodePartial)
 * signature: 48-byte G1 point (the combined signature)
 * ```
 *
 * Fixed sizes (104 and 102 bytes), decoded strictly. Points are only checked for length here; their
 * curve and subgroup membership is checked where they are verified (in the crypto pool).
 */
import type { Reader } from '../../codec.js';
import { Writer, decodeAll } from '../../codec.js';
import { MERKLE_HASH_BYTES } from '../../crypto/merkle.js';
import { OmegaError } from '../../errors.js';
import { BLOCK_RESULTS_MAX, SERVICE_SIGNATURE_BYTES } from './certificate.js';

export const REPLIES_MESSAGE_VERSION = 1;
const KIND_PARTIAL = 1;
const KIND_SIGNATURE = 2;
/** Largest replies-channel message. */
export const REPLIES_MESSAGE_BYTES_MAX = 2 + 8 + 8 + 4 + MERKLE_HASH_BYTES + 2 + SERVICE_SIGNATURE_BYTES;

/** The block statement a message is about (see certificate.ts `blockResultsSignBytes`). */
export interface StatementRef {
  readonly epoch: number;
  readonly height: number;
  readonly size: number;
  readonly root: Uint8Array;
}

export type RepliesMessage =
  | (StatementRef & { readonly kind: 'partial'; readonly index: number; readonly signature: Uint8Array })
  | (StatementRef & { readonly kind: 'signature'; readonly signature: Uint8Array });

export function encodeRepliesMessage(m: RepliesMessage): Uint8Array {
  const w = new Writer(REPLIES_MESSAGE_BYTES_MAX);
  w.u8(REPLIES_MESSAGE_VERSION).u8(m.kind === 'partial' ? KIND_PARTIAL : KIND_SIGNATURE);
  w.u64(m.epoch).u64(m.height).u32(m.size).fixed(m.root, MERKLE_HASH_BYTES);
  if (m.kind === 'partial') w.u16(m.index);
  w.fixed(m.signature, SERVICE_SIGNATURE_BYTES);
  return w.finish();
}

/** Strict decoding; throws INVALID_ENCODING, UNSUPPORTED_VERSION or OUT_OF_RANGE. */
export function decodeRepliesMessage(bytes: Uint8Array): RepliesMessage {
  if (bytes.length > REPLIES_MESSAGE_BYTES_MAX) {
    throw new OmegaError('LIMIT_EXCEEDED', `replies message exceeds ${REPLIES_MESSAGE_BYTES_MAX} bytes`);
  }
  return decodeAll(bytes, (r: Reader): RepliesMessage => {
    const version = r.u8();
    if (version !== REPLIES_MESSAGE_VERSION) {
      throw new OmegaError('UNSUPPORTED_VERSION', `replies message version ${version}`);
    }
    const kind = r.u8();
    const epoch = r.u64Number();
    const height = r.u64Number();
    const size = r.u32();
    if (height < 1) throw new OmegaError('OUT_OF_RANGE', 'height must be at least 1');
    if (size < 1 || size > BLOCK_RESULTS_MAX) {
      throw new OmegaError('OUT_OF_RANGE', `results tree size ${size} outside 1..${BLOCK_RESULTS_MAX}`);
    }
    const root = r.fixed(MERKLE_HASH_BYTES);
    if (kind === KIND_PARTIAL) {
      const index = r.u16();
      if (index < 1 || index > 255) throw new OmegaError('OUT_OF_RANGE', `share index ${index}`);
      return {
        kind: 'partial',
        epoch,
        height,
        size,
        root,
        index,
        signature: r.fixed(SERVICE_SIGNATURE_BYTES),
      };
    }
    if (kind === KIND_SIGNATURE) {
      return { kind: 'signature', epoch, height, size, root, signature: r.fixed(SERVICE_SIGNATURE_BYTES) };
    }
    throw new OmegaError('INVALID_ENCODING', `unknown replies message kind ${kind}`);
  });
}
