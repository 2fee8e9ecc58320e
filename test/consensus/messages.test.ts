/**
 * Committees, canonical encodings, strict decoders, certificates and the pure part of block sync.
 */
import { describe, expect, it } from 'vitest';
import {
  CONSENSUS_LIMITS,
  type ConsensusMessage,
  VoteType,
  blockHash,
  committeeAt,
  decodeMessage,
  decodeWal,
  encodeMessage,
  encodeWal,
  fixedSchedule,
  genesisHash,
  isOneCorrect,
  isQuorum,
  makeCommittee,
  maxFaultyPower,
  proposerIndex,
  scheduleCommittee,
  verifyCertificate,
  verifyDecidedBlock,
  voteSignBytes,
  walRecord,
  type Certificate,
} from '../../src/core/consensus/index.js';
import { isOmegaError } from '../../src/errors.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { ed25519Keys } from '../../sim/keys.js';
import { CHAIN, Cluster, decisions, enc } from './harness.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return isOmegaError(e) ? e.code : `not an OmegaError: ${String(e)}`;
  }
}

function decidedHeight(): { c: Cluster; block: any; cert: Certificate } {
  const c = new Cluster(4);
  c.startAll();
  const v = c.block(0, ['a', 'b'], 0, 1);
  c.deliver(0, c.proposal(1, 1, 0, v));
  for (const i of [1, 2, 3]) c.deliver(0, c.precommit(i, 1, 0, blockHash(v)));
  const d = decisions(c.log[0]!)[0]!;
  return { c, block: d.block, cert: d.certificate };
}

describe('committee', () => {
  const keys = ed25519Keys(4, 'committee');
  const members = keys.identities.map((k) => ({ publicKey: k.publicKey, power: 1 }));

  it('quorums are computed by voting power: 2f+1 is > 2/3, f+1 is > 1/3', () => {
    const c = makeCommittee(members);
    expect([isQuorum(c, 2), isQuorum(c, 3)]).toEqual([false, true]);
    expect([isOneCorrect(c, 1), isOneCorrect(c, 2)]).toEqual([false, true]);
    expect(maxFaultyPower(c)).toBe(1);
    const w = makeCommittee(members.map((m, i) => ({ ...m, power: i === 0 ? 4 : 1 })));
    expect(isQuorum(w, 4)).toBe(false); // 4 of 7 is not > 2/3
    expect(isQuorum(w, 5)).toBe(true);
    expect(maxFaultyPower(w)).toBe(2);
  });

  it('proposer rotation: (h + r) mod n with equal power; proportional to power otherwise', () => {
    const c = makeCommittee(members);
    expect([0, 1, 2, 3, 4].map((r) => proposerIndex(c, 1, r))).toEqual([1, 2, 3, 0, 1]);
    const w = makeCommittee(members.map((m, i) => ({ ...m, power: i === 2 ? 3 : 1 })));
    const counts = [0, 0, 0, 0];
    for (let h = 1; h <= 600; h++) counts[proposerIndex(w, h, 0)]!++;
    expect(counts).toEqual([100, 100, 300, 100]);
  });

  it('rejects a malformed committee with a stable code', () => {
    expect(code(() => makeCommittee([]))).toBe('OUT_OF_RANGE');
    expect(code(() => makeCommittee([{ publicKey: new Uint8Array(31), power: 1 }]))).toBe('INVALID_LENGTH');
    expect(code(() => makeCommittee([members[0]!, members[0]!]))).toBe('INVALID_ARGUMENT');
    expect(code(() => makeCommittee([{ ...members[0]!, power: 0 }]))).toBe('OUT_OF_RANGE');
    expect(code(() => makeCommittee([{ ...members[0]!, power: 1.5 }]))).toBe('OUT_OF_RANGE');
  });

  it('committee as data: a schedule changes membership at a height boundary', () => {
    const a = makeCommittee(members);
    const b = makeCommittee(members.slice(0, 3));
    const s = scheduleCommittee(fixedSchedule(a), 10, b);
    expect(committeeAt(s, 9)).toBe(a);
    expect(committeeAt(s, 10)).toBe(b);
    expect(code(() => scheduleCommittee(s, 5, a))).toBe('OUT_OF_RANGE');
  });
});

describe('canonical encodings and strict decoders', () => {
  it('every consensus message round-trips byte for byte', () => {
    const { c, block, cert } = decidedHeight();
    const msgs: ConsensusMessage[] = [
      c.proposal(1, 1, 0, block),
      c.proposal(2, 1, 3, block, 1),
      c.prevote(2, 1, 0, blockHash(block)),
      c.precommit(3, 1, 7, undefined),
      {
        kind: 'votes',
        votes: [(c.prevote(1, 1, 0, undefined) as any).vote, (c.prevote(2, 1, 0, undefined) as any).vote],
      },
      { kind: 'sync-request', fromHeight: 5, maxCount: 3 },
      { kind: 'sync-response', blocks: [{ block, certificate: cert }] },
    ];
    for (const m of msgs) {
      const bytes = encodeMessage(m);
      const back = decodeMessage(bytes);
      expect(encodeMessage(back)).toEqual(bytes);
    }
  });

  it('garbage is rejected with a stable OmegaError code, never a crash (1000 random byte strings)', () => {
    const rng = deterministicRandom('garbage');
    const { c, block } = decidedHeight();
    const valid = encodeMessage(c.proposal(1, 1, 0, block));
    for (let i = 0; i < 1000; i++) {
      const len = rng(1)[0]! % 200;
      let bytes = rng(len);
      if (i % 2 === 0) {
        // mutate a valid message: flip bytes or truncate
        bytes = valid.slice(0, Math.max(1, valid.length - (rng(1)[0]! % 20)));
        const at = rng(1)[0]! % bytes.length;
        bytes[at] = bytes[at]! ^ 0xff;
      }
      try {
        decodeMessage(bytes);
      } catch (e) {
        expect(isOmegaError(e), String(e)).toBe(true);
      }
    }
  });

  it('oversized messages are rejected before decoding (LIMIT_EXCEEDED)', () => {
    expect(code(() => decodeMessage(new Uint8Array(CONSENSUS_LIMITS.maxMessageBytes + 1)))).toBe(
      'LIMIT_EXCEEDED',
    );
    // a block claiming more requests than the batch limit
    const { c, block } = decidedHeight();
    const big = {
      ...block,
      requests: Array.from({ length: CONSENSUS_LIMITS.maxBatchCount + 1 }, () => enc('x')),
    };
    expect(code(() => decodeMessage(encodeMessage(c.proposal(1, 1, 0, big))))).toBe('LIMIT_EXCEEDED');
  });

  it('trailing bytes, unknown kinds, bad vote types and unsorted certificates are rejected', () => {
    const { c, block, cert } = decidedHeight();
    const v = encodeMessage(c.prevote(1, 1, 0, undefined));
    expect(code(() => decodeMessage(new Uint8Array([...v, 0])))).toBe('INVALID_ENCODING');
    expect(code(() => decodeMessage(new Uint8Array([9, ...v.slice(1)])))).toBe('INVALID_ENCODING');
    const badType = v.slice();
    badType[1] = 3;
    expect(code(() => decodeMessage(badType))).toBe('INVALID_ENCODING');
    const unsorted = { ...cert, signatures: [...cert.signatures].reverse() };
    expect(
      code(() =>
        decodeMessage(encodeMessage({ kind: 'sync-response', blocks: [{ block, certificate: unsorted }] })),
      ),
    ).toBe('NON_CANONICAL');
  });

  it('sign-bytes bind the chain id, type, height and round (domain separation)', () => {
    const base = { type: VoteType.prevote, height: 1, round: 0, blockHash: undefined, validator: 0 };
    const a = voteSignBytes(CHAIN, base);
    expect(voteSignBytes('other-chain', base)).not.toEqual(a);
    expect(voteSignBytes(CHAIN, { ...base, type: VoteType.precommit })).not.toEqual(a);
    expect(voteSignBytes(CHAIN, { ...base, height: 2 })).not.toEqual(a);
    expect(voteSignBytes(CHAIN, { ...base, round: 1 })).not.toEqual(a);
    expect(genesisHash('a')).not.toEqual(genesisHash('b'));
  });

  it('a WAL record round-trips and a corrupt one is rejected', () => {
    const { c } = decidedHeight();
    const rec = walRecord(c.states[0]!);
    const bytes = encodeWal(rec);
    expect(encodeWal(decodeWal(bytes))).toEqual(bytes);
    expect(code(() => decodeWal(bytes.slice(0, bytes.length - 1)))).toBe('INVALID_ENCODING');
    expect(code(() => decodeWal(new Uint8Array([2, ...bytes.slice(1)])))).toBe('INVALID_ENCODING');
  });
});

describe('commit certificates and block sync (pure part)', () => {
  it('a decided certificate verifies against the committee of its height', () => {
    const { c, block, cert } = decidedHeight();
    expect(() => verifyCertificate(CHAIN, c.committee, blockHash(block), cert, c.keys.verify)).not.toThrow();
    expect(() =>
      verifyDecidedBlock(
        CHAIN,
        c.committee,
        { height: 0, hash: genesisHash(CHAIN), timeMs: 0 },
        block,
        cert,
        c.keys.verify,
      ),
    ).not.toThrow();
  });

  it('an invalid certificate is rejected (INVALID_CERTIFICATE) naming the bad signers', () => {
    const { c, block, cert } = decidedHeight();
    const h = blockHash(block);
    const bad = {
      ...cert,
      signatures: cert.signatures.map((s, i) => (i === 1 ? { ...s, signature: new Uint8Array(64) } : s)),
    };
    try {
      verifyCertificate(CHAIN, c.committee, h, bad, c.keys.verify);
      expect.unreachable();
    } catch (e) {
      expect(isOmegaError(e, 'INVALID_CERTIFICATE')).toBe(true);
      expect((e as any).culprits).toEqual([cert.signatures[1]!.validator]);
    }
    const short = { ...cert, signatures: cert.signatures.slice(0, 2) };
    expect(code(() => verifyCertificate(CHAIN, c.committee, h, short, c.keys.verify))).toBe(
      'INVALID_CERTIFICATE',
    );
    const dup = { ...cert, signatures: [cert.signatures[0]!, cert.signatures[0]!, cert.signatures[1]!] };
    expect(code(() => verifyCertificate(CHAIN, c.committee, h, dup, c.keys.verify))).toBe(
      'INVALID_CERTIFICATE',
    );
    expect(code(() => verifyCertificate('other', c.committee, h, cert, c.keys.verify))).toBe(
      'INVALID_CERTIFICATE',
    );
    expect(code(() => verifyCertificate(CHAIN, c.committee, new Uint8Array(32), cert, c.keys.verify))).toBe(
      'INVALID_CERTIFICATE',
    );
    const other = new Cluster(4, [1, 1, 1, 1]);
    const stranger = makeCommittee(
      ed25519Keys(4, 'x').identities.map((k) => ({ publicKey: k.publicKey, power: 1 })),
    );
    expect(code(() => verifyCertificate(CHAIN, stranger, h, cert, other.keys.verify))).toBe(
      'INVALID_CERTIFICATE',
    );
  });

  it('block sync: a lagging replica verifies a fetched block and certificate and decides it', () => {
    const { c, block, cert } = decidedHeight();
    const lagging = new Cluster(4);
    lagging.run(2, { type: 'start' });
    const eff = lagging.run(2, { type: 'decided-block', block, certificate: cert });
    expect(decisions(eff)).toHaveLength(1);
    expect(lagging.states[2]!.height).toBe(2);
    expect(c.states[0]!.height).toBe(2);
  });

  it('block sync rejects a block whose certificate does not verify, or that does not extend the prefix', () => {
    const { block, cert } = decidedHeight();
    const lagging = new Cluster(4);
    lagging.run(2, { type: 'start' });
    const forged = { ...cert, signatures: cert.signatures.slice(0, 2) };
    const eff = lagging.run(2, { type: 'decided-block', block, certificate: forged });
    expect(eff).toContainEqual(expect.objectContaining({ type: 'rejected', code: 'INVALID_CERTIFICATE' }));
    const other = { ...block, header: { ...block.header, prevHash: new Uint8Array(32) } };
    const eff2 = lagging.run(2, { type: 'decided-block', block: other, certificate: cert });
    expect(eff2).toContainEqual(expect.objectContaining({ type: 'rejected', code: 'INVALID_BLOCK' }));
    expect(lagging.states[2]!.height).toBe(1);
  });
});

describe('the core on hostile input', () => {
  it('never throws on decodable but mutated messages (2000 byte flips of real proposals, votes, bundles)', () => {
    const { c, block } = decidedHeight();
    const fresh = new Cluster(4);
    fresh.startAll();
    const h = blockHash(block);
    const seeds: ConsensusMessage[] = [
      fresh.proposal(1, 1, 0, fresh.block(0, ['x'], 0, 1)),
      fresh.proposal(2, 1, 1, fresh.block(0, ['y'], 1, 2), 0),
      fresh.prevote(2, 1, 0, h),
      fresh.precommit(3, 1, 0, undefined),
      { kind: 'votes', votes: [1, 2, 3].map((i) => (fresh.prevote(i, 1, 0, h) as any).vote) },
    ];
    const rng = deterministicRandom('hostile');
    let accepted = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = encodeMessage(seeds[i % seeds.length]!);
      const flips = 1 + (rng(1)[0]! % 3);
      for (let k = 0; k < flips; k++) {
        const at = (rng(2)[0]! * 256 + rng(1)[0]!) % bytes.length;
        bytes[at] = bytes[at]! ^ (1 << (rng(1)[0]! % 8));
      }
      let m: ConsensusMessage;
      try {
        m = decodeMessage(bytes);
      } catch (e) {
        expect(isOmegaError(e), String(e)).toBe(true);
        continue;
      }
      accepted++;
      expect(() => fresh.deliver(i % 4, m)).not.toThrow();
    }
    expect(accepted).toBeGreaterThan(100);
    expect(c.states[0]!.height).toBe(2);
  });
});
