/**
 * The pure part of threshold-signed replies (src/core/replies): the block-results tree, the signed
 * statement, the certificate encoding, and verifyCertifiedReply. A certified reply must not survive
 * being moved to another height, chain, epoch or position, nor a change to its result or path.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BlsBackend } from '../../src/crypto/bls/backend.js';
import { BLS_SIG_DST } from '../../src/crypto/bls/encoding.js';
import { loadBlsBackend } from '../../src/crypto/bls/load.js';
import { bigintToBytesBE, toHex, utf8 } from '../../src/crypto/bytes.js';
import { MerkleTree, merkleLeafHash } from '../../src/crypto/merkle.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { encodeResult, type RequestResult } from '../../src/core/machine/index.js';
import {
  BLOCK_RESULTS_MAX,
  CERTIFICATE_BYTES_MAX,
  type BlsVerify,
  type ReplyCertificate,
  blockResultLeaf,
  blockResultsSignBytes,
  blockResultsTree,
  decodeCertificate,
  decodeRepliesMessage,
  encodeCertificate,
  encodeRepliesMessage,
  verifyCertifiedReply,
} from '../../src/core/replies/index.js';
import { isOmegaError } from '../../src/errors.js';

const CHAIN = 'omega-replies-test';
const SEED = 'replies-certificate';
let mcl: BlsBackend;
let verifyBls: BlsVerify;
const secret = 0x1234567890abcdef1234567890abcdefn;
const publicKey = bls12_381.shortSignatures.getPublicKey(bigintToBytesBE(secret, 32)).toBytes();

beforeAll(async () => {
  mcl = await loadBlsBackend({ prefer: 'mcl' });
  verifyBls = (pk, m, s) => mcl.verifyG1(pk, m, BLS_SIG_DST, s);
});

function results(height: number, count: number): RequestResult[] {
  const rng = deterministicRandom(`${SEED}/${height}/${count}`);
  return Array.from({ length: count }, (_, index) => ({
    envelopeHash: rng(32),
    requestId: rng(16),
    principal: rng(32),
    height,
    index,
    status: index % 3 === 2 ? { ok: false, code: 'REQUEST_EXPIRED' } : { ok: true, output: rng(index) },
  }));
}

/** Certifies every result of a block with the plain key (equal to a combined threshold signature). */
function certify(rs: RequestResult[], epoch = 7, chainId = CHAIN) {
  const tree = blockResultsTree(rs);
  const message = blockResultsSignBytes({
    chainId,
    epoch,
    height: rs[0]!.height,
    size: rs.length,
    root: tree.root,
  });
  const signature = mcl.signG1(message, BLS_SIG_DST, secret);
  return rs.map((r) => ({
    result: r,
    resultBytes: encodeResult(r),
    cert: { epoch, height: r.height, proof: tree.proof(r.index), signature } satisfies ReplyCertificate,
  }));
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isOmegaError(e)) return e.code;
    throw e;
  }
  return 'none';
}

describe('block-results tree and signed statement', () => {
  it('leaves are tagged result encodings in block order (RFC 9162 tree)', () => {
    const rs = results(5, 5);
    const tree = blockResultsTree(rs);
    const expected = MerkleTree.fromLeaves(rs.map((r) => blockResultLeaf(encodeResult(r))));
    expect(toHex(tree.root)).toBe(toHex(expected.root));
    expect(tree.leafHash(3)).toEqual(merkleLeafHash(blockResultLeaf(encodeResult(rs[3]!))));
  });

  it('refuses a results list whose positions or heights do not match the block (a misplaced result)', () => {
    const rs = results(5, 3);
    expect(code(() => blockResultsTree([rs[1]!, rs[0]!, rs[2]!]))).toBe('INVALID_ARGUMENT');
    expect(code(() => blockResultsTree([rs[0]!, { ...rs[1]!, height: 6 }]))).toBe('INVALID_ARGUMENT');
  });

  it('the sign bytes bind chain, epoch, height, size and root: changing any one changes them', () => {
    const base = { chainId: CHAIN, epoch: 1, height: 2, size: 3, root: new Uint8Array(32).fill(4) };
    const ref = toHex(blockResultsSignBytes(base));
    const variants = [
      { ...base, chainId: 'other' },
      { ...base, epoch: 2 },
      { ...base, height: 3 },
      { ...base, size: 4 },
      { ...base, root: new Uint8Array(32).fill(5) },
    ];
    for (const v of variants) expect(toHex(blockResultsSignBytes(v))).not.toBe(ref);
    expect(new TextDecoder().decode(blockResultsSignBytes(base).subarray(4, 26))).toBe(
      'omega/block-results/v1',
    );
  });

  it('rejects statements that cannot be signed (empty block, height 0, oversized tree, bad root)', () => {
    const base = { chainId: CHAIN, epoch: 1, height: 2, size: 3, root: new Uint8Array(32) };
    expect(code(() => blockResultsSignBytes({ ...base, size: 0 }))).toBe('OUT_OF_RANGE');
    expect(code(() => blockResultsSignBytes({ ...base, size: BLOCK_RESULTS_MAX + 1 }))).toBe('OUT_OF_RANGE');
    expect(code(() => blockResultsSignBytes({ ...base, height: 0 }))).toBe('OUT_OF_RANGE');
    expect(code(() => blockResultsSignBytes({ ...base, epoch: -1 }))).toBe('OUT_OF_RANGE');
    expect(code(() => blockResultsSignBytes({ ...base, root: new Uint8Array(31) }))).toBe('INVALID_LENGTH');
  });
});

describe('certificate encoding', () => {
  it('round-trips, and every certificate of a maximal block fits the size limit', () => {
    for (const c of certify(results(9, 7))) {
      const bytes = encodeCertificate(c.cert);
      expect(decodeCertificate(bytes)).toEqual(c.cert);
      expect(encodeCertificate(decodeCertificate(bytes))).toEqual(bytes);
    }
    const big = blockResultsTree(results(1, BLOCK_RESULTS_MAX));
    const c = { epoch: 1, height: 1, proof: big.proof(0), signature: new Uint8Array(48) };
    expect(encodeCertificate(c).length).toBeLessThanOrEqual(CERTIFICATE_BYTES_MAX);
  });

  it('decodes garbage strictly: truncation, trailing bytes, version, height 0, wrong path length, oversized tree', () => {
    const good = encodeCertificate(certify(results(3, 5))[2]!.cert);
    expect(code(() => decodeCertificate(good.subarray(0, good.length - 1)))).toBe('INVALID_ENCODING');
    expect(code(() => decodeCertificate(Uint8Array.from([...good, 0])))).toBe('INVALID_ENCODING');
    const v2 = good.slice();
    v2[0] = 2;
    expect(code(() => decodeCertificate(v2))).toBe('UNSUPPORTED_VERSION');
    const h0 = good.slice();
    h0.fill(0, 9, 17);
    expect(code(() => decodeCertificate(h0))).toBe('OUT_OF_RANGE');
    const count = good.slice();
    count[25] = count[25]! + 1; // the path count byte
    expect(code(() => decodeCertificate(count))).toBe('INVALID_ENCODING');
    expect(code(() => decodeCertificate(new Uint8Array(CERTIFICATE_BYTES_MAX + 1)))).toBe('LIMIT_EXCEEDED');
    expect(code(() => decodeCertificate(new Uint8Array(0)))).toBe('INVALID_ENCODING');
    // A random byte soup never decodes to garbage: it throws an OmegaError or yields a canonical value.
    const rng = deterministicRandom(`${SEED}/garbage`);
    for (let i = 0; i < 300; i++) {
      const junk = rng((rng(1)[0]! % 200) + 1);
      try {
        expect(encodeCertificate(decodeCertificate(junk))).toEqual(junk);
      } catch (e) {
        expect(isOmegaError(e), `seed ${SEED}/garbage #${i}`).toBe(true);
      }
    }
    const oversize = new Uint8Array(good.length);
    oversize.set(good);
    // size = 1001 at index 0: above the block limit even with a consistent path length.
    const big = encodeCertificate({
      epoch: 1,
      height: 1,
      proof: MerkleTree.fromLeafHashes(Array.from({ length: 1001 }, () => new Uint8Array(32))).proof(0),
      signature: new Uint8Array(48),
    });
    expect(code(() => decodeCertificate(big))).toBe('OUT_OF_RANGE');
  });
});

describe('verifyCertifiedReply', () => {
  it('accepts every result of a certified block under the service key', () => {
    for (const c of certify(results(4, 6))) {
      const out = verifyCertifiedReply(
        publicKey,
        CHAIN,
        c.result.envelopeHash,
        { resultBytes: c.resultBytes, certificate: encodeCertificate(c.cert) },
        verifyBls,
      );
      expect(out.result).toEqual(c.result);
      expect(out.certificate).toEqual(c.cert);
    }
  });

  it('accepts a single-result block (empty path)', () => {
    const [c] = certify(results(2, 1));
    const reply = { resultBytes: c!.resultBytes, certificate: encodeCertificate(c!.cert) };
    expect(verifyCertifiedReply(publicKey, CHAIN, c!.result.envelopeHash, reply, verifyBls).result).toEqual(
      c!.result,
    );
  });

  const block = () => certify(results(11, 5));
  const check = (
    c: { result: RequestResult; resultBytes: Uint8Array; cert: ReplyCertificate },
    over: {
      cert?: Partial<ReplyCertificate>;
      resultBytes?: Uint8Array;
      chainId?: string;
      key?: Uint8Array;
      hash?: Uint8Array;
    } = {},
  ) =>
    code(() =>
      verifyCertifiedReply(
        over.key ?? publicKey,
        over.chainId ?? CHAIN,
        over.hash ?? c.result.envelopeHash,
        {
          resultBytes: over.resultBytes ?? c.resultBytes,
          certificate: encodeCertificate({ ...c.cert, ...over.cert }),
        },
        verifyBls,
      ),
    );

  it('a certified reply moved to another chain, epoch or height does not verify', () => {
    const c = block()[1]!;
    expect(check(c)).toBe('none');
    expect(check(c, { chainId: 'another-chain' })).toBe('BAD_REPLY_CERTIFICATE');
    expect(check(c, { cert: { epoch: 8 } })).toBe('BAD_REPLY_CERTIFICATE');
    // Another height: the result names its height, so both must move together — and still fail.
    const moved = encodeResult({ ...c.result, height: 12 });
    expect(check(c, { cert: { height: 12 } })).toBe('BAD_REPLY_CERTIFICATE');
    expect(check(c, { cert: { height: 12 }, resultBytes: moved })).toBe('BAD_REPLY_CERTIFICATE');
  });

  it('an altered result (output, code, position) does not verify with the real certificate', () => {
    const c = block()[1]!;
    const altered = encodeResult({ ...c.result, status: { ok: true, output: utf8('forged') } });
    expect(check(c, { resultBytes: altered })).toBe('BAD_REPLY_CERTIFICATE');
    // The same result claiming another position: the proof's index no longer matches.
    expect(check(c, { resultBytes: encodeResult({ ...c.result, index: 2 }) })).toBe('BAD_REPLY_CERTIFICATE');
    // Another result of the same block, with its own valid certificate, answers another request.
    const other = block()[3]!;
    expect(check(other, { hash: c.result.envelopeHash })).toBe('BAD_REPLY');
  });

  it('an altered path, index or tree size does not verify', () => {
    const cs = block();
    const c = cs[1]!;
    const path = c.cert.proof.path.map((h) => h.slice());
    path[0]![0]! ^= 1;
    expect(check(c, { cert: { proof: { ...c.cert.proof, path } } })).toBe('BAD_REPLY_CERTIFICATE');
    // Leaf 1's proof used for leaf 1 claimed at index 2 of a 3-leaf tree (the RFC 9162 size ambiguity):
    // the size is signed, so the root is for another statement.
    const two = certify(results(11, 2));
    const leaf1 = two[1]!;
    const claim = encodeResult({ ...leaf1.result, index: 2 });
    const forgedProof = { index: 2, size: 3, path: [merkleLeafHash(blockResultLeaf(two[0]!.resultBytes))] };
    expect(check(leaf1, { resultBytes: claim, cert: { proof: forgedProof } })).toBe('BAD_REPLY_CERTIFICATE');
  });

  it('a signature under another key, a flipped signature bit or a non-point does not verify', () => {
    const c = block()[0]!;
    const otherKey = bls12_381.shortSignatures.getPublicKey(bigintToBytesBE(secret + 1n, 32)).toBytes();
    expect(check(c, { key: otherKey })).toBe('BAD_REPLY_CERTIFICATE');
    const flipped = c.cert.signature.slice();
    flipped[47]! ^= 1;
    expect(check(c, { cert: { signature: flipped } })).toBe('BAD_REPLY_CERTIFICATE');
    expect(check(c, { cert: { signature: new Uint8Array(48) } })).toBe('BAD_REPLY_CERTIFICATE');
    const identity = new Uint8Array(48);
    identity[0] = 0xc0;
    expect(check(c, { cert: { signature: identity } })).toBe('BAD_REPLY_CERTIFICATE');
  });

  it('undecodable certificate or result bytes are refused with stable codes', () => {
    const c = block()[0]!;
    const reply = (resultBytes: Uint8Array, certificate: Uint8Array) => () =>
      verifyCertifiedReply(publicKey, CHAIN, c.result.envelopeHash, { resultBytes, certificate }, verifyBls);
    expect(code(reply(c.resultBytes, new Uint8Array(10)))).toBe('BAD_REPLY_CERTIFICATE');
    expect(code(reply(new Uint8Array(10), encodeCertificate(c.cert)))).toBe('BAD_REPLY');
  });
});

describe('replies mesh messages', () => {
  const ref = { epoch: 3, height: 9, size: 4, root: new Uint8Array(32).fill(7) };
  it('round-trip with fixed sizes', () => {
    const partial = { kind: 'partial' as const, ...ref, index: 2, signature: new Uint8Array(48).fill(1) };
    const sig = { kind: 'signature' as const, ...ref, signature: new Uint8Array(48).fill(2) };
    expect(encodeRepliesMessage(partial)).toHaveLength(104);
    expect(encodeRepliesMessage(sig)).toHaveLength(102);
    expect(decodeRepliesMessage(encodeRepliesMessage(partial))).toEqual(partial);
    expect(decodeRepliesMessage(encodeRepliesMessage(sig))).toEqual(sig);
  });

  it('decodes garbage strictly (kind, version, index 0, size 0, truncation, trailing bytes)', () => {
    const good = encodeRepliesMessage({ kind: 'partial', ...ref, index: 2, signature: new Uint8Array(48) });
    const at = (i: number, v: number) => {
      const b = good.slice();
      b[i] = v;
      return b;
    };
    expect(code(() => decodeRepliesMessage(at(0, 2)))).toBe('UNSUPPORTED_VERSION');
    expect(code(() => decodeRepliesMessage(at(1, 3)))).toBe('INVALID_ENCODING');
    expect(code(() => decodeRepliesMessage(at(55, 0)))).toBe('OUT_OF_RANGE'); // index u16 low byte → 0
    expect(code(() => decodeRepliesMessage(at(21, 0)))).toBe('OUT_OF_RANGE'); // size → 0
    expect(code(() => decodeRepliesMessage(good.subarray(0, 103)))).toBe('INVALID_ENCODING');
    expect(code(() => decodeRepliesMessage(Uint8Array.from([...good, 1])))).toBe('LIMIT_EXCEEDED');
    expect(code(() => decodeRepliesMessage(at(1, 2)))).toBe('INVALID_ENCODING'); // signature kind, 2 bytes too many
  });
});
