/**
 * Bad input gets a typed error, never a crash: every public BLS entry point, called with garbage in
 * any one argument position, throws an OmegaError (or returns a boolean), never a TypeError.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { BlsBackend } from '../../src/crypto/bls/backend.js';
import { BLS_SIG_DST } from '../../src/crypto/bls/encoding.js';
import { loadBlsBackend } from '../../src/crypto/bls/load.js';
import { nobleBackend } from '../../src/crypto/bls/noble.js';
import {
  combine,
  decodePartial,
  encodePartial,
  findBadPartials,
  partialSign,
  thresholdKeyFromCommitments,
  verify,
  verifyPartial,
} from '../../src/crypto/bls/threshold.js';
import { utf8 } from '../../src/crypto/bytes.js';
import { G2 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { deal } from '../../src/crypto/vss.js';
import { OmegaError } from '../../src/errors.js';

const GARBAGE: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  'x',
  {},
  [],
  [undefined],
  new Uint8Array(3),
  5n,
  true,
];

let mcl: BlsBackend;
beforeAll(async () => {
  mcl = await loadBlsBackend({ prefer: 'mcl' });
});

function outcome(f: () => unknown): string {
  try {
    const r = f();
    return typeof r === 'boolean' || r instanceof Uint8Array || typeof r === 'object'
      ? 'returned'
      : 'returned?';
  } catch (e) {
    return e instanceof OmegaError ? 'omega' : `crash: ${String(e)}`;
  }
}

/** Calls f with `good` arguments, replacing one position at a time by each garbage value. */
function fuzzArgs(name: string, good: unknown[], f: (...args: any[]) => unknown): void {
  for (let pos = 0; pos < good.length; pos++) {
    for (const g of GARBAGE) {
      const args = [...good];
      args[pos] = g;
      const r = outcome(() => f(...args));
      expect(r, `${name}: argument ${pos} = ${String(g)}`).not.toMatch(/^crash/);
    }
  }
}

describe('garbage arguments give OmegaErrors, never crashes', () => {
  it('backend methods (both backends)', () => {
    for (const b of [nobleBackend, mcl]) {
      const m = utf8('m');
      const sig = b.signG1(m, BLS_SIG_DST, 7n);
      const pk = b.g2MulBase(7n);
      fuzzArgs('hashToG1', [m, BLS_SIG_DST], b.hashToG1);
      fuzzArgs('signG1', [m, BLS_SIG_DST, 7n], b.signG1);
      fuzzArgs('verifyG1', [pk, m, BLS_SIG_DST, sig], b.verifyG1);
      fuzzArgs('batchVerifyG1', [[pk], m, BLS_SIG_DST, [sig], [3n]], b.batchVerifyG1);
      fuzzArgs('findInvalidG1', [[pk], m, BLS_SIG_DST, [sig], [3n]], b.findInvalidG1);
      fuzzArgs('combineVerifyG1', [[sig], [1n], pk, m, BLS_SIG_DST], b.combineVerifyG1);
      fuzzArgs('g1Mul', [sig, 3n], b.g1Mul);
      fuzzArgs('g2Mul', [pk, 3n], b.g2Mul);
      fuzzArgs('g2MulBase', [3n], b.g2MulBase);
      fuzzArgs('g1Lincomb', [[sig], [3n]], b.g1Lincomb);
      fuzzArgs('g2Lincomb', [[pk], [3n]], b.g2Lincomb);
      fuzzArgs('g1Neg', [sig], b.g1Neg);
      fuzzArgs('g2Neg', [pk], b.g2Neg);
      fuzzArgs('pairingProductIsOne', [[[sig, pk]]], b.pairingProductIsOne);
      fuzzArgs('validateG1', [sig], b.validateG1);
      fuzzArgs('validateG2', [pk], b.validateG2);
    }
  });

  it('threshold functions', () => {
    const dealing = deal(G2, { threshold: 1, parties: 3 }, deterministicRandom('garbage'));
    const commitments = dealing.commitments.map((c) => G2.encode(c));
    const key = thresholdKeyFromCommitments(mcl, commitments, { threshold: 1, parties: 3 });
    const m = utf8('m');
    const p1 = partialSign(mcl, dealing.shares[0]!, m);
    const p2 = partialSign(mcl, dealing.shares[1]!, m);
    fuzzArgs('thresholdKeyFromCommitments', [mcl, commitments, { threshold: 1, parties: 3 }], (b, c, o) =>
      thresholdKeyFromCommitments(b === mcl ? b : mcl, c, o),
    );
    fuzzArgs('partialSign', [dealing.shares[0], m], (s, msg) => partialSign(mcl, s, msg));
    fuzzArgs('verifyPartial', [key.publicShares[0], m, p1], (pk, msg, p) => verifyPartial(mcl, pk, msg, p));
    fuzzArgs('combine', [key, m, [p1, p2]], (k, msg, ps) => combine(mcl, k, msg, ps));
    fuzzArgs('findBadPartials', [key, m, [p1, p2]], (k, msg, ps) => findBadPartials(mcl, k, msg, ps));
    fuzzArgs('verify', [key.publicKey, m, p1.signature], (pk, msg, s) => verify(mcl, pk, msg, s));
    fuzzArgs('encodePartial', [p1], (p) => encodePartial(p));
    fuzzArgs('decodePartial', [encodePartial(p1)], (b) => decodePartial(mcl, b));
    // Garbage inside the key object.
    for (const field of ['threshold', 'publicKey', 'publicShares'] as const) {
      for (const g of GARBAGE) {
        const bad = { ...key, [field]: g };
        expect(
          outcome(() => combine(mcl, bad as any, m, [p1, p2])),
          `key.${field} = ${String(g)}`,
        ).not.toMatch(/^crash/);
      }
    }
  });
});
