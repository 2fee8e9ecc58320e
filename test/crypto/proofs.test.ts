import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/bytes.js';
import { G1, RISTRETTO255, SECP256K1 } from '../../src/crypto/group.js';
import type { ProofContext } from '../../src/crypto/proofs.js';
import {
  decodeProof,
  encodeProof,
  proveDleq,
  proveSchnorr,
  verifyDleq,
  verifySchnorr,
} from '../../src/crypto/proofs.js';
import { deterministicRandom } from '../../src/crypto/rand.js';

const ctx: ProofContext = { sessionId: utf8('session-1'), purpose: 'test/pok', dealer: 2, receiver: 3 };

describe.each([
  ['ristretto255', RISTRETTO255],
  ['secp256k1', SECP256K1],
  ['bls12-381-g1', G1],
] as const)('proofs over %s', (_name, group: any) => {
  const rng = deterministicRandom(`proofs/${group.name}`);

  it('Schnorr PoK verifies in its context and round-trips its encoding', () => {
    const x = group.field.random(rng);
    const X = group.mulBase(x);
    const proof = proveSchnorr(group, x, ctx, rng);
    expect(verifySchnorr(group, X, proof, ctx)).toBe(true);
    expect(verifySchnorr(group, X, decodeProof(group, encodeProof(group, proof)), ctx)).toBe(true);
  });

  it('a proof replayed under another session id, purpose, dealer or receiver is rejected', () => {
    const x = group.field.random(rng);
    const X = group.mulBase(x);
    const proof = proveSchnorr(group, x, ctx, rng);
    expect(verifySchnorr(group, X, proof, { ...ctx, sessionId: utf8('session-2') })).toBe(false);
    expect(verifySchnorr(group, X, proof, { ...ctx, purpose: 'other' })).toBe(false);
    expect(verifySchnorr(group, X, proof, { ...ctx, dealer: 1 })).toBe(false);
    expect(verifySchnorr(group, X, proof, { ...ctx, receiver: 4 })).toBe(false);
  });

  it('a Schnorr proof for another key is rejected', () => {
    const x = group.field.random(rng);
    const proof = proveSchnorr(group, x, ctx, rng);
    expect(verifySchnorr(group, group.mulBase(group.field.add(x, 1n)), proof, ctx)).toBe(false);
  });

  it('DLEQ verifies for equal logs and fails for unequal ones or another context', () => {
    const x = group.field.random(rng);
    const H = group.mulBase(group.field.random(rng));
    const st = { G: group.generator, A: group.mulBase(x), H, B: group.mul(H, x) };
    const proof = proveDleq(group, x, st, ctx, rng);
    expect(verifyDleq(group, st, proof, ctx)).toBe(true);
    expect(verifyDleq(group, { ...st, B: group.add(st.B, group.generator) }, proof, ctx)).toBe(false);
    expect(verifyDleq(group, st, proof, { ...ctx, sessionId: utf8('other') })).toBe(false);
    // A prover that lies (B = y·H with y != x) cannot make a proof that verifies.
    const lying = { ...st, B: group.mul(H, group.field.add(x, 1n)) };
    expect(verifyDleq(group, lying, proveDleq(group, x, lying, ctx, rng), ctx)).toBe(false);
  });

  it('malformed proof encodings throw typed errors', () => {
    expect(() => decodeProof(group, new Uint8Array(63))).toThrowError(/INVALID_LENGTH/);
    expect(() => decodeProof(group, new Uint8Array(64).fill(0xff))).toThrowError(/NON_CANONICAL/);
  });
});
