/**
 * Threshold-signed replies (output voting, Schneider–Zhou §6; Omega §3; ARCHITECTURE.md D7;
 * docs/replies.md).
 *
 * After each decided, non-empty block every replica builds the RFC 9162 Merkle tree of the block's
 * results (one leaf per result, in block order) and signs
 *
 * ```
 * lengthPrefixed("omega/block-results/v1", chainId, u64 epoch, u64 height, u32 size, root)
 * ```
 *
 * with its share of the service signing key (threshold BLS, min-sig, src/crypto/bls/threshold.ts). Any
 * t+1 partials combine into one 48-byte signature that is the plain BLS signature of the service key,
 * so one pairing check verifies every result of the block. A *certified reply* is the result bytes
 * plus a {@link ReplyCertificate}: key epoch, height, the leaf's inclusion proof and that signature.
 *
 * Why the tree size is signed: RFC 9162 proofs carry (index, size), and a proof for a different size
 * can reproduce the same root (the leaf at index 1 of a 2-leaf tree "is" the leaf at index 2 of a
 * 3-leaf tree whose first sibling is leaf 0's hash). CT signs the size in the tree head for this reason
 * (RFC 9162 §4.10); so do we, and the verifier takes the size from the signed statement.
 *
 * Pure: no I/O, no clock; BLS verification is injected (the SDK passes @noble/curves, a replica may
 * pass a worker pool).
 */
import type { Reader } from '../../codec.js';
import { Writer, decodeAll } from '../../codec.js';
import { equalBytes, lengthPrefixed, u32be, u64be, utf8 } from '../../crypto/bytes.js';
import type { InclusionProof } from '../../crypto/merkle.js';
import {
  MERKLE_HASH_BYTES,
  MerkleTree,
  merkleLeafHash,
  readInclusionProof,
  rootFromInclusionProof,
  taggedLeaf,
  writeInclusionProof,
} from '../../crypto/merkle.js';
import { OmegaError } from '../../errors.js';
import { CONSENSUS_LIMITS } from '../consensus/limits.js';
import type { RequestResult } from '../machine/result.js';
import { decodeResult, encodeResult } from '../machine/result.js';

/** Domain-separation tag of the signed block-results statement. */
export const BLOCK_RESULTS_SIGN_TAG = 'omega/block-results/v1';
/** Domain-separation tag of a block-results Merkle leaf. */
export const BLOCK_RESULT_LEAF_TAG = 'omega/block-result/v1';
/** Format version of {@link ReplyCertificate} encodings. */
export const CERTIFICATE_VERSION = 1;
/** A combined service signature: one compressed G1 point. */
export const SERVICE_SIGNATURE_BYTES = 48;
/** A service public key: one compressed G2 point. */
export const SERVICE_PUBLIC_KEY_BYTES = 96;
/** A block holds at most this many requests, so its results tree at most this many leaves. */
export const BLOCK_RESULTS_MAX = CONSENSUS_LIMITS.maxBatchCount;
/** Longest inclusion path in a tree of {@link BLOCK_RESULTS_MAX} leaves: ⌈log2(1000)⌉ = 10. */
export const CERTIFICATE_PATH_MAX = Math.ceil(Math.log2(BLOCK_RESULTS_MAX));
/** version + epoch + height + (index, size, count) + path + signature. */
export const CERTIFICATE_BYTES_MAX =
  1 + 8 + 8 + 4 + 4 + 1 + CERTIFICATE_PATH_MAX * MERKLE_HASH_BYTES + SERVICE_SIGNATURE_BYTES;

/** What a certified reply carries besides the result bytes. */
export interface ReplyCertificate {
  /** Epoch of the service key whose shares signed (bound into the signed statement). */
  readonly epoch: number;
  /** Height of the block whose results tree holds the result. */
  readonly height: number;
  /** Inclusion proof of the result's leaf; `proof.size` is the number of results of the block. */
  readonly proof: InclusionProof;
  /** The combined threshold BLS signature (48 bytes) over {@link blockResultsSignBytes}. */
  readonly signature: Uint8Array;
}

/** Verifies a plain (combined) min-sig BLS signature: (publicKey 96 B, message, signature 48 B) → valid. */
export type BlsVerify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/** The leaf of one result: `taggedLeaf("omega/block-result/v1", encodeResult(result))`. */
export function blockResultLeaf(resultBytes: Uint8Array): Uint8Array {
  return taggedLeaf(BLOCK_RESULT_LEAF_TAG, resultBytes);
}

/**
 * The results tree of one block. `results` are the block's results in block order (result k has
 * `index` k and the block's height; checked, since a tree with a misplaced result would certify a
 * position the result does not claim).
 */
export function blockResultsTree(results: readonly RequestResult[]): MerkleTree {
  if (results.length > BLOCK_RESULTS_MAX) {
    throw new OmegaError('LIMIT_EXCEEDED', `a block has at most ${BLOCK_RESULTS_MAX} results`);
  }
  const height = results[0]?.height;
  results.forEach((r, k) => {
    if (r.index !== k || r.height !== height) {
      throw new OmegaError('INVALID_ARGUMENT', `result ${k} claims index ${r.index} at height ${r.height}`);
    }
  });
  return MerkleTree.fromLeafHashes(results.map((r) => merkleLeafHash(blockResultLeaf(encodeResult(r)))));
}

/** The statement the service key signs for one block (see the module comment). */
export interface BlockResultsStatement {
  readonly chainId: string;
  readonly epoch: number;
  readonly height: number;
  /** Number of results (leaves); at least 1 — empty blocks are not signed. */
  readonly size: number;
  readonly root: Uint8Array;
}

/** `lengthPrefixed("omega/block-results/v1", chainId, u64 epoch, u64 height, u32 size, root)`. */
export function blockResultsSignBytes(s: BlockResultsStatement): Uint8Array {
  checkStatement(s);
  return lengthPrefixed(
    utf8(BLOCK_RESULTS_SIGN_TAG),
    utf8(s.chainId),
    u64be(s.epoch),
    u64be(s.height),
    u32be(s.size),
    s.root,
  );
}

function checkStatement(s: BlockResultsStatement): void {
  if (!Number.isSafeInteger(s.epoch) || s.epoch < 0) throw new OmegaError('OUT_OF_RANGE', 'bad epoch');
  if (!Number.isSafeInteger(s.height) || s.height < 1) throw new OmegaError('OUT_OF_RANGE', 'bad height');
  if (!Number.isInteger(s.size) || s.size < 1 || s.size > BLOCK_RESULTS_MAX) {
    throw new OmegaError('OUT_OF_RANGE', `results tree size ${s.size} outside 1..${BLOCK_RESULTS_MAX}`);
  }
  if (!(s.root instanceof Uint8Array) || s.root.length !== MERKLE_HASH_BYTES) {
    throw new OmegaError('INVALID_LENGTH', 'root must be 32 bytes');
  }
}

/**
 * Encoding (all integers big-endian):
 *
 * ```
 * version    u8  = 1
 * epoch      u64 (≤ 2^53 − 1)
 * height     u64 (1 ≤ height ≤ 2^53 − 1)
 * proof      u32 index ‖ u32 size ‖ u8 count ‖ count × 32 bytes   (src/crypto/merkle.ts)
 * signature  48 bytes (compressed G1)
 * ```
 *
 * `count` must be the path length (index, size) imply and size ≤ {@link BLOCK_RESULTS_MAX}, so every
 * certificate has exactly one encoding of at most {@link CERTIFICATE_BYTES_MAX} bytes.
 */
export function encodeCertificate(c: ReplyCertificate): Uint8Array {
  const w = new Writer(64 + c.proof.path.length * MERKLE_HASH_BYTES);
  w.u8(CERTIFICATE_VERSION).u64(c.epoch).u64(c.height);
  writeInclusionProof(w, c.proof);
  w.fixed(c.signature, SERVICE_SIGNATURE_BYTES);
  return w.finish();
}

/** Strict decoding of {@link encodeCertificate}: any other byte string throws an OmegaError. */
export function decodeCertificate(bytes: Uint8Array): ReplyCertificate {
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'certificate must be bytes');
  if (bytes.length > CERTIFICATE_BYTES_MAX) {
    throw new OmegaError('LIMIT_EXCEEDED', `certificate exceeds ${CERTIFICATE_BYTES_MAX} bytes`);
  }
  return decodeAll(bytes, (r: Reader) => {
    const version = r.u8();
    if (version !== CERTIFICATE_VERSION) {
      throw new OmegaError('UNSUPPORTED_VERSION', `certificate version ${version}`);
    }
    const epoch = r.u64Number();
    const height = r.u64Number();
    if (height < 1) throw new OmegaError('OUT_OF_RANGE', 'certificate height must be at least 1');
    const proof = readInclusionProof(r);
    if (proof.size > BLOCK_RESULTS_MAX) {
      throw new OmegaError('OUT_OF_RANGE', `results tree size ${proof.size} above ${BLOCK_RESULTS_MAX}`);
    }
    const signature = r.fixed(SERVICE_SIGNATURE_BYTES);
    return { epoch, height, proof, signature };
  });
}

/** A reply as the SDK receives it: the result bytes and the certificate bytes. */
export interface CertifiedReply {
  readonly resultBytes: Uint8Array;
  readonly certificate: Uint8Array;
}

/**
 * Verifies a certified reply against the service public key and returns the decoded result and
 * certificate. Throws BAD_REPLY_CERTIFICATE when the certificate is malformed or does not prove the
 * result (wrong height or position, path not leading to a signed root, signature not verifying), and
 * BAD_REPLY when the result itself is undecodable or bound to another request.
 *
 * Checks, in order (cheapest first, the pairing last):
 * 1. both byte strings decode strictly;
 * 2. the result is bound to this request: `result.envelopeHash == envelopeHash`;
 * 3. the result names the certificate's height and the proof's position (`result.height`, `result.index`);
 * 4. the proof leads from the result's leaf to a root (RFC 9162 §2.1.3.2);
 * 5. the service key signed (chainId, epoch, height, size, root): one BLS verification.
 *
 * @example
 * const { result } = verifyCertifiedReply(servicePublicKey, chainId, envelope.hash, reply, nobleVerify);
 */
export function verifyCertifiedReply(
  servicePublicKey: Uint8Array,
  chainId: string,
  envelopeHash: Uint8Array,
  reply: CertifiedReply,
  verifyBls: BlsVerify,
): { readonly result: RequestResult; readonly certificate: ReplyCertificate } {
  let certificate: ReplyCertificate;
  try {
    certificate = decodeCertificate(reply.certificate);
  } catch (cause) {
    throw new OmegaError('BAD_REPLY_CERTIFICATE', 'certificate does not decode', { cause });
  }
  let result: RequestResult;
  try {
    result = decodeResult(reply.resultBytes);
  } catch (cause) {
    throw new OmegaError('BAD_REPLY', 'result does not decode', { cause });
  }
  if (!equalBytes(result.envelopeHash, envelopeHash)) {
    throw new OmegaError('BAD_REPLY', 'result is not bound to this request');
  }
  if (result.height !== certificate.height || result.index !== certificate.proof.index) {
    throw new OmegaError(
      'BAD_REPLY_CERTIFICATE',
      `certificate is for position ${certificate.proof.index} of height ${certificate.height}, the result claims ${result.index} of ${result.height}`,
    );
  }
  const root = rootFromInclusionProof(merkleLeafHash(blockResultLeaf(reply.resultBytes)), certificate.proof);
  if (root === undefined) throw new OmegaError('BAD_REPLY_CERTIFICATE', 'inclusion proof is malformed');
  const message = blockResultsSignBytes({
    chainId,
    epoch: certificate.epoch,
    height: certificate.height,
    size: certificate.proof.size,
    root,
  });
  let valid: boolean;
  try {
    valid = verifyBls(servicePublicKey, message, certificate.signature);
  } catch {
    // A signature that is not a valid G1 point (off curve, wrong subgroup, identity) does not verify.
    valid = false;
  }
  if (!valid) {
    throw new OmegaError('BAD_REPLY_CERTIFICATE', 'service signature does not verify for this result');
  }
  return { result, certificate };
}
