/**
 * Merkle trees with inclusion proofs, exactly as RFC 9162 §2.1 (Certificate Transparency v2, the same
 * tree as RFC 6962 §2.1):
 *
 * - leaf hash `SHA-256(0x00 || leaf)`, interior node `SHA-256(0x01 || left || right)`: the one-byte
 *   prefixes separate the two domains, so no leaf can be passed off as an interior node (second-preimage
 *   attack on plain Merkle trees);
 * - a tree of n > 1 leaves splits at k, the largest power of two < n (RFC 9162 §2.1.1). An odd node is
 *   never duplicated, so unlike Bitcoin's tree two different leaf lists never share a root
 *   (CVE-2012-2459);
 * - the empty tree's root is `SHA-256("")`.
 *
 * The tree is generic over byte-string leaves. Callers bind their context into the leaf bytes (a tag
 * `omega/<purpose>/v1`, the index of the leaf, the session or block) — see {@link taggedLeaf} — so a
 * leaf of one tree is never a leaf of another. Used for block result roots (D7) and vault fragments (D9).
 *
 * An inclusion proof carries the leaf index and the tree size; verification (RFC 9162 §2.1.3.2) binds the
 * position of the leaf, so the same hash list never proves the leaf at another index.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Reader } from '../codec.js';
import { Writer, decodeAll } from '../codec.js';
import { OmegaError } from '../errors.js';
import { equalBytes, lengthPrefixed, utf8 } from './bytes.js';

/** Every hash in the tree is 32 bytes (SHA-256). */
export const MERKLE_HASH_BYTES = 32;
/** Largest tree: sizes and indices are u32 in the proof encoding. */
export const MERKLE_SIZE_MAX = 0xffffffff;
/** A proof never has more siblings than the tree has levels. */
export const MERKLE_PATH_MAX = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** Root of the tree with no leaves: SHA-256 of the empty string (RFC 9162 §2.1.1). */
export const MERKLE_EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/** `SHA-256(0x00 || leaf)`. */
export function merkleLeafHash(leaf: Uint8Array): Uint8Array {
  return sha256.create().update(Uint8Array.of(LEAF_PREFIX)).update(leaf).digest();
}

/** `SHA-256(0x01 || left || right)`. */
export function merkleNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256.create().update(Uint8Array.of(NODE_PREFIX)).update(left).update(right).digest();
}

/**
 * Leaf bytes that bind a purpose tag and context fields (length-prefixed, so field boundaries are
 * unambiguous): `lengthPrefixed(utf8(tag), ...fields)`.
 *
 * @example
 * const leaf = taggedLeaf('omega/vault/fragment/v1', u32be(index), fragmentBytes);
 */
export function taggedLeaf(tag: string, ...fields: readonly Uint8Array[]): Uint8Array {
  return lengthPrefixed(utf8(tag), ...fields);
}

/** An inclusion proof: the leaf's index, the tree size, and the sibling hashes from the leaf upwards. */
export interface InclusionProof {
  readonly index: number;
  readonly size: number;
  readonly path: readonly Uint8Array[];
}

/**
 * A Merkle tree over leaf hashes, keeping every level so proofs cost no hashing.
 *
 * Building bottom-up and carrying an unpaired last node up unchanged gives exactly RFC 9162's MTH: the
 * largest-power-of-two split puts every complete subtree on the left, and the ragged right edge is
 * the carried node.
 *
 * @example
 * const tree = MerkleTree.fromLeaves([utf8('a'), utf8('b'), utf8('c')]);
 * const proof = tree.proof(2);
 * verifyInclusion(tree.root, utf8('c'), proof); // true
 */
export class MerkleTree {
  /** levels[0] are the leaf hashes; the last level holds the root (absent for the empty tree). */
  private readonly levels: readonly (readonly Uint8Array[])[];

  private constructor(levels: Uint8Array[][]) {
    this.levels = levels;
  }

  /** Builds the tree of the given leaves (each hashed with the 0x00 prefix). */
  static fromLeaves(leaves: readonly Uint8Array[]): MerkleTree {
    return MerkleTree.fromLeafHashes(leaves.map(merkleLeafHash));
  }

  /** Builds the tree over already-computed leaf hashes (each exactly 32 bytes). */
  static fromLeafHashes(leafHashes: readonly Uint8Array[]): MerkleTree {
    if (leafHashes.length > MERKLE_SIZE_MAX) throw new OmegaError('LIMIT_EXCEEDED', 'too many Merkle leaves');
    for (const h of leafHashes) {
      if (!(h instanceof Uint8Array) || h.length !== MERKLE_HASH_BYTES) {
        throw new OmegaError('INVALID_LENGTH', 'a Merkle leaf hash must be 32 bytes');
      }
    }
    const levels: Uint8Array[][] = [leafHashes.slice()];
    let level = levels[0]!;
    while (level.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(merkleNodeHash(level[i]!, level[i + 1]!));
      if (level.length % 2 === 1) next.push(level[level.length - 1]!);
      levels.push(next);
      level = next;
    }
    return new MerkleTree(levels);
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  get root(): Uint8Array {
    if (this.size === 0) return MERKLE_EMPTY_ROOT;
    return this.levels[this.levels.length - 1]![0]!;
  }

  /** The leaf hash at `index`. */
  leafHash(index: number): Uint8Array {
    this.checkIndex(index);
    return this.levels[0]![index]!;
  }

  /** The inclusion proof of the leaf at `index` (RFC 9162 §2.1.3.1 PATH). */
  proof(index: number): InclusionProof {
    this.checkIndex(index);
    const path: Uint8Array[] = [];
    let i = index;
    for (let l = 0; l < this.levels.length - 1; l++) {
      const level = this.levels[l]!;
      const sibling = i ^ 1;
      // A carried (unpaired) last node has no sibling at this level.
      if (sibling < level.length) path.push(level[sibling]!);
      i >>= 1;
    }
    return { index, size: this.size, path };
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new OmegaError('OUT_OF_RANGE', `leaf index ${index} outside a tree of ${this.size}`);
    }
  }
}

/** The root of the tree over `leaves` (RFC 9162 MTH). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  return MerkleTree.fromLeaves(leaves).root;
}

/** Number of sibling hashes in the inclusion proof of `index` in a tree of `size` leaves. */
export function inclusionPathLength(index: number, size: number): number {
  checkIndexAndSize(index, size);
  let length = 0;
  let fn = index;
  let sn = size - 1;
  // Mirrors the verifier below: one sibling per level at which the node is not the carried last node.
  while (sn > 0) {
    if (fn % 2 === 1 || fn !== sn) length++;
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return length;
}

/**
 * Computes the root implied by a leaf hash and its proof (RFC 9162 §2.1.3.2), or undefined when the
 * proof has the wrong shape for its index and size.
 */
export function rootFromInclusionProof(leafHash: Uint8Array, proof: InclusionProof): Uint8Array | undefined {
  const { index, size, path } = proof;
  if (!Number.isInteger(index) || !Number.isInteger(size) || size < 1 || size > MERKLE_SIZE_MAX) {
    return undefined;
  }
  if (index < 0 || index >= size || leafHash.length !== MERKLE_HASH_BYTES) return undefined;
  if (!Array.isArray(path) || path.length > MERKLE_PATH_MAX) return undefined;
  // Numbers up to 2^32 - 1: use Math.floor division, not 32-bit shifts, which are signed.
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of path) {
    if (!(p instanceof Uint8Array) || p.length !== MERKLE_HASH_BYTES || sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = merkleNodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = merkleNodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return undefined;
  return r;
}

/** True iff `leaf` is at `proof.index` of the tree of `proof.size` leaves with this root. */
export function verifyInclusion(root: Uint8Array, leaf: Uint8Array, proof: InclusionProof): boolean {
  return verifyInclusionOfHash(root, merkleLeafHash(leaf), proof);
}

/** As {@link verifyInclusion}, for an already-hashed leaf. */
export function verifyInclusionOfHash(
  root: Uint8Array,
  leafHash: Uint8Array,
  proof: InclusionProof,
): boolean {
  const computed = rootFromInclusionProof(leafHash, proof);
  return computed !== undefined && root.length === MERKLE_HASH_BYTES && equalBytes(computed, root);
}

/**
 * Throws BAD_INCLUSION_PROOF (naming `culprits`, when given) unless the proof verifies.
 */
export function expectInclusion(
  root: Uint8Array,
  leaf: Uint8Array,
  proof: InclusionProof,
  culprits: readonly number[] = [],
): void {
  if (!verifyInclusion(root, leaf, proof)) {
    throw new OmegaError('BAD_INCLUSION_PROOF', `leaf ${proof.index} of ${proof.size} is not in the tree`, {
      culprits,
    });
  }
}

/**
 * Byte format of a proof: `u32 index || u32 size || u8 count || count × 32-byte hash`, big-endian.
 * `count` must equal the path length that (index, size) implies, so each proof has one encoding.
 */
export function writeInclusionProof(w: Writer, proof: InclusionProof): void {
  const expected = inclusionPathLength(proof.index, proof.size);
  if (proof.path.length !== expected) {
    throw new OmegaError('INVALID_ARGUMENT', `proof has ${proof.path.length} hashes, expected ${expected}`);
  }
  w.u32(proof.index).u32(proof.size).u8(proof.path.length);
  for (const h of proof.path) w.fixed(h, MERKLE_HASH_BYTES);
}

/** Strict reader for {@link writeInclusionProof}'s format. */
export function readInclusionProof(r: Reader): InclusionProof {
  const index = r.u32();
  const size = r.u32();
  if (size === 0 || index >= size) {
    throw new OmegaError('OUT_OF_RANGE', `proof index ${index} outside a tree of ${size}`);
  }
  const count = r.u8();
  const expected = inclusionPathLength(index, size);
  if (count !== expected) {
    throw new OmegaError('INVALID_ENCODING', `proof has ${count} hashes, (index, size) implies ${expected}`);
  }
  const path: Uint8Array[] = [];
  for (let i = 0; i < count; i++) path.push(r.fixed(MERKLE_HASH_BYTES));
  return { index, size, path };
}

export function encodeInclusionProof(proof: InclusionProof): Uint8Array {
  const w = new Writer(9 + proof.path.length * MERKLE_HASH_BYTES);
  writeInclusionProof(w, proof);
  return w.finish();
}

/** Decodes a whole byte string as one proof (no trailing bytes). */
export function decodeInclusionProof(bytes: Uint8Array): InclusionProof {
  return decodeAll(bytes, readInclusionProof);
}

function checkIndexAndSize(index: number, size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > MERKLE_SIZE_MAX) {
    throw new OmegaError('OUT_OF_RANGE', `tree size ${size} out of range`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new OmegaError('OUT_OF_RANGE', `leaf index ${index} outside a tree of ${size}`);
  }
}
