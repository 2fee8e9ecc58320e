import { describe, expect, it } from 'vitest';
import { Writer } from '../../src/codec.js';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import {
  MERKLE_EMPTY_ROOT,
  MerkleTree,
  decodeInclusionProof,
  encodeInclusionProof,
  expectInclusion,
  inclusionPathLength,
  merkleLeafHash,
  merkleNodeHash,
  merkleRoot,
  taggedLeaf,
  verifyInclusion,
  verifyInclusionOfHash,
} from '../../src/crypto/merkle.js';
import { isOmegaError } from '../../src/errors.js';

// The Certificate Transparency reference tree (RFC 6962 / RFC 9162 §2.1): leaf inputs and the published
// root for every prefix of 1..8 leaves.
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(fromHex);
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION = [
  {
    index: 0,
    size: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

const leavesOf = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => utf8(`leaf-${i}`));

describe('Merkle trees (RFC 9162 §2.1)', () => {
  it('matches the RFC 6962 reference roots for 0..8 leaves', () => {
    expect(toHex(MERKLE_EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(merkleRoot([]))).toBe(toHex(MERKLE_EMPTY_ROOT));
    for (let n = 1; n <= 8; n++) expect(toHex(merkleRoot(CT_LEAVES.slice(0, n)))).toBe(CT_ROOTS[n - 1]);
  });

  it('produces the RFC 6962 reference inclusion proofs, which verify', () => {
    const tree = MerkleTree.fromLeaves(CT_LEAVES);
    for (const v of CT_INCLUSION) {
      const proof = tree.proof(v.index);
      expect(proof.path.map(toHex)).toEqual(v.path);
      expect(verifyInclusion(fromHex(CT_ROOTS[7]!), CT_LEAVES[v.index]!, proof)).toBe(true);
    }
  });

  it('every inclusion proof verifies for every size 1..64 and has the length (index, size) implies', () => {
    for (let n = 1; n <= 64; n++) {
      const leaves = leavesOf(n);
      const tree = MerkleTree.fromLeaves(leaves);
      for (let i = 0; i < n; i++) {
        const proof = tree.proof(i);
        expect(proof.path.length).toBe(inclusionPathLength(i, n));
        expect(verifyInclusion(tree.root, leaves[i]!, proof)).toBe(true);
      }
    }
  });

  // The size is not bound by the root alone (RFC 9162 §2.1.3: the verifier knows the size from a signed
  // tree head); callers check proof.size against the size they trust, as the erasure decoder does.
  it('a proof binds the position: it never verifies at another index or for another leaf', () => {
    for (let n = 2; n <= 20; n++) {
      const leaves = leavesOf(n);
      const tree = MerkleTree.fromLeaves(leaves);
      for (let i = 0; i < n; i++) {
        const proof = tree.proof(i);
        for (let j = 0; j < n; j++) {
          if (j === i) continue;
          expect(verifyInclusion(tree.root, leaves[i]!, { ...proof, index: j })).toBe(false);
          expect(verifyInclusion(tree.root, leaves[j]!, proof)).toBe(false);
        }
        expect(verifyInclusion(tree.root, leaves[i]!, { ...proof, index: n })).toBe(false);
      }
    }
  });

  it('a tampered proof is rejected: flipped bit, truncated, extended, swapped', () => {
    for (let n = 2; n <= 33; n++) {
      const leaves = leavesOf(n);
      const tree = MerkleTree.fromLeaves(leaves);
      for (let i = 0; i < n; i++) {
        const proof = tree.proof(i);
        for (let s = 0; s < proof.path.length; s++) {
          const path = proof.path.map((h) => h.slice());
          path[s]![s % 32]! ^= 1 << (s % 8);
          expect(verifyInclusion(tree.root, leaves[i]!, { ...proof, path })).toBe(false);
        }
        const truncated = { ...proof, path: proof.path.slice(0, -1) };
        expect(verifyInclusion(tree.root, leaves[i]!, truncated)).toBe(false);
        const extended = { ...proof, path: [...proof.path, new Uint8Array(32)] };
        expect(verifyInclusion(tree.root, leaves[i]!, extended)).toBe(false);
        expect(verifyInclusion(tree.root, leaves[i]!, { ...proof, path: 'x' as any })).toBe(false);
        if (proof.path.length >= 2) {
          const swapped = { ...proof, path: [proof.path[1]!, proof.path[0]!, ...proof.path.slice(2)] };
          expect(verifyInclusion(tree.root, leaves[i]!, swapped)).toBe(false);
        }
      }
    }
  });

  it('no duplicate-last-leaf malleability: [a, b, c] and [a, b, c, c] have different roots', () => {
    const [a, b, c] = leavesOf(3) as [Uint8Array, Uint8Array, Uint8Array];
    expect(toHex(merkleRoot([a, b, c]))).not.toBe(toHex(merkleRoot([a, b, c, c])));
  });

  it('leaf and node hashes are domain-separated: an interior node cannot be passed off as a leaf', () => {
    const [a, b] = leavesOf(2) as [Uint8Array, Uint8Array];
    const root = merkleRoot([a, b]);
    const forged = concatBytes(merkleLeafHash(a), merkleLeafHash(b));
    expect(toHex(merkleRoot([forged]))).not.toBe(toHex(root));
    expect(toHex(merkleNodeHash(merkleLeafHash(a), merkleLeafHash(b)))).toBe(toHex(root));
    // The root itself is not a leaf of the tree at any position.
    expect(verifyInclusionOfHash(root, root, { index: 0, size: 1, path: [] })).toBe(true);
    expect(verifyInclusion(root, root, { index: 0, size: 1, path: [] })).toBe(false);
  });

  it('tagged leaves length-prefix their fields so boundaries cannot shift', () => {
    const x = taggedLeaf('omega/test/v1', utf8('ab'), utf8('c'));
    const y = taggedLeaf('omega/test/v1', utf8('a'), utf8('bc'));
    expect(toHex(x)).not.toBe(toHex(y));
  });

  it('expectInclusion throws BAD_INCLUSION_PROOF naming the culprit', () => {
    const leaves = leavesOf(5);
    const tree = MerkleTree.fromLeaves(leaves);
    expect(() => expectInclusion(tree.root, leaves[2]!, tree.proof(2), [3])).not.toThrow();
    try {
      expectInclusion(tree.root, leaves[1]!, tree.proof(2), [3]);
      throw new Error('unreachable');
    } catch (e) {
      expect(isOmegaError(e, 'BAD_INCLUSION_PROOF')).toBe(true);
      expect((e as { culprits: number[] }).culprits).toEqual([3]);
    }
  });

  it('proof encoding round-trips and the decoder is strict', () => {
    const tree = MerkleTree.fromLeaves(leavesOf(11));
    for (let i = 0; i < 11; i++) {
      const bytes = encodeInclusionProof(tree.proof(i));
      const back = decodeInclusionProof(bytes);
      expect(back.index).toBe(i);
      expect(back.size).toBe(11);
      expect(back.path.map(toHex)).toEqual(tree.proof(i).path.map(toHex));
    }
    const good = encodeInclusionProof(tree.proof(4));
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return isOmegaError(e) ? e.code : 'not an OmegaError';
      }
      return undefined;
    };
    expect(code(() => decodeInclusionProof(concatBytes(good, Uint8Array.of(0))))).toBe('INVALID_ENCODING');
    expect(code(() => decodeInclusionProof(good.subarray(0, good.length - 1)))).toBe('INVALID_ENCODING');
    expect(code(() => decodeInclusionProof(new Uint8Array(0)))).toBe('INVALID_ENCODING');
    // A count that disagrees with (index, size).
    const wrongCount = good.slice();
    wrongCount[8] = wrongCount[8]! + 1;
    expect(code(() => decodeInclusionProof(wrongCount))).toBe('INVALID_ENCODING');
    // index >= size, and size 0.
    expect(code(() => decodeInclusionProof(new Writer().u32(11).u32(11).u8(0).finish()))).toBe(
      'OUT_OF_RANGE',
    );
    expect(code(() => decodeInclusionProof(new Writer().u32(0).u32(0).u8(0).finish()))).toBe('OUT_OF_RANGE');
    expect(code(() => encodeInclusionProof({ index: 4, size: 11, path: [] }))).toBe('INVALID_ARGUMENT');
    expect(code(() => tree.proof(11))).toBe('OUT_OF_RANGE');
    expect(code(() => MerkleTree.fromLeafHashes([new Uint8Array(31)]))).toBe('INVALID_LENGTH');
  });

  it('single-leaf and two-leaf trees have the shapes RFC 9162 defines', () => {
    const [a, b] = leavesOf(2) as [Uint8Array, Uint8Array];
    expect(toHex(merkleRoot([a]))).toBe(toHex(merkleLeafHash(a)));
    expect(MerkleTree.fromLeaves([a]).proof(0).path).toEqual([]);
    expect(toHex(merkleRoot([a, b]))).toBe(toHex(merkleNodeHash(merkleLeafHash(a), merkleLeafHash(b))));
  });
});
