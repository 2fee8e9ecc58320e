import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import type { OmegaError } from '../../src/errors.js';
import { isOmegaError } from '../../src/errors.js';
import type { Block, RequestResult } from '../../src/core/machine/index.js';
import {
  MACHINE_LIMITS,
  ReplicatedMachine,
  checkEnvelope,
  decodeEnvelope,
  decodeResult,
  encodeResult,
  envelopeHash,
} from '../../src/core/machine/index.js';
import { CHAIN, client, config, envelope } from './helpers.js';

const T = 1_030_000; // inside the default test window [1_000_000, 1_060_000]

function block(height: number, requests: Uint8Array[], timeMs = T): Block {
  return { height, timeMs, requests };
}

function codes(results: RequestResult[]): string[] {
  return results.map((r) => (r.status.ok ? 'ok' : r.status.code));
}

describe('ping', () => {
  it('echoes its payload in a result bound to the request (hash, id, principal, height, index)', () => {
    const alice = client('alice');
    const req = envelope(alice, { body: Uint8Array.from([7, 7]) });
    const results = ReplicatedMachine.genesis(config).apply(block(1, [envelope(alice), req]));
    const r = results[1]!;
    expect(r.status).toEqual({ ok: true, output: Uint8Array.from([7, 7]) });
    expect(r.envelopeHash).toEqual(envelopeHash(req));
    expect(r.requestId).toEqual(decodeEnvelope(req).requestId);
    expect(r.principal).toEqual(alice.publicKey);
    expect([r.height, r.index]).toEqual([1, 1]);
    expect(decodeResult(encodeResult(r))).toEqual(r);
  });
});

describe('determinism', () => {
  it('two machines fed the same blocks (valid, invalid and garbage requests) agree on every result byte and the state hash', () => {
    const alice = client('alice');
    const bob = client('bob');
    const a = ReplicatedMachine.genesis(config);
    const b = ReplicatedMachine.genesis(config);
    const replay = envelope(bob);
    const tampered = envelope(alice);
    tampered[tampered.length - 1]! ^= 1;
    const blocks = [
      block(1, [envelope(alice), replay, new Uint8Array(0), Uint8Array.from([1, 2, 3]), tampered]),
      block(
        2,
        [replay, envelope(alice, { chainId: 'other' }), envelope(alice, { operation: 0xbeef })],
        T + 1,
      ),
      block(3, [envelope(bob, { notAfterMs: T + 1 })], T + 5_000),
    ];
    for (const blk of blocks) {
      const ra = a.apply(blk).map(encodeResult);
      const rb = b.apply(blk).map(encodeResult);
      expect(ra.map(toHex)).toEqual(rb.map(toHex));
      expect(toHex(a.stateHash())).toBe(toHex(b.stateHash()));
    }
    expect(codes(a.apply(block(4, [], T + 6_000)))).toEqual([]);
    expect(a.seenCount).toBe(2);
  });

  it('a machine restored from a snapshot continues exactly like the original (same results, same hash)', () => {
    const alice = client('alice');
    const original = ReplicatedMachine.genesis(config);
    const replayed = envelope(alice, { notAfterMs: T + 100 });
    original.apply(block(1, [replayed, envelope(alice), envelope(alice, { notAfterMs: T })]));
    const restored = ReplicatedMachine.restore(config, original.snapshot());
    expect(toHex(restored.stateHash())).toBe(toHex(original.stateHash()));
    expect(restored.snapshot()).toEqual(original.snapshot());
    const next = block(2, [replayed, envelope(alice)], T + 50);
    expect(restored.apply(next).map(encodeResult)).toEqual(original.apply(next).map(encodeResult));
    expect(toHex(restored.stateHash())).toBe(toHex(original.stateHash()));
  });

  it('the snapshot is canonical: the state hash does not depend on the order requests were seen in', () => {
    const alice = client('alice');
    const reqs = [envelope(alice), envelope(alice), envelope(alice)];
    const a = ReplicatedMachine.genesis(config);
    const b = ReplicatedMachine.genesis(config);
    a.apply(block(1, reqs));
    b.apply(block(1, [...reqs].reverse()));
    expect(toHex(a.stateHash())).toBe(toHex(b.stateHash()));
  });
});

describe('replay protection', () => {
  it('rejects a replayed request id with DUPLICATE_REQUEST, in a later block and within one block', () => {
    const alice = client('alice');
    const req = envelope(alice);
    const m = ReplicatedMachine.genesis(config);
    expect(codes(m.apply(block(1, [req, req])))).toEqual(['ok', 'DUPLICATE_REQUEST']);
    const before = m.stateHash();
    expect(codes(m.apply(block(2, [req])))).toEqual(['DUPLICATE_REQUEST']);
    // A different envelope reusing the id (new body, new signature) is a replay too.
    const id = decodeEnvelope(req).requestId;
    expect(codes(m.apply(block(3, [envelope(alice, { requestId: id, body: new Uint8Array(9) })])))).toEqual([
      'DUPLICATE_REQUEST',
    ]);
    expect(m.seenCount).toBe(1);
    expect(m.stateHash()).not.toEqual(before); // height advanced, nothing else
  });

  it('dedup is per principal: another principal cannot burn an id it copied from a pending request', () => {
    const alice = client('alice');
    const mallory = client('mallory');
    const victim = envelope(alice);
    const frontRun = envelope(mallory, { requestId: decodeEnvelope(victim).requestId });
    const m = ReplicatedMachine.genesis(config);
    expect(codes(m.apply(block(1, [frontRun, victim])))).toEqual(['ok', 'ok']);
  });

  it('forgets an id once its window has closed, so the set stays bounded, and the replay is then EXPIRED', () => {
    const alice = client('alice');
    const req = envelope(alice, { notAfterMs: T + 10 });
    const m = ReplicatedMachine.genesis(config);
    m.apply(block(1, [req]));
    m.apply(block(2, [], T + 10)); // notAfter is inclusive: still remembered
    expect(m.seenCount).toBe(1);
    m.apply(block(3, [], T + 11));
    expect(m.seenCount).toBe(0);
    expect(codes(m.apply(block(4, [req], T + 12)))).toEqual(['REQUEST_EXPIRED']);
  });

  it('answers CAPACITY_EXHAUSTED (deterministically, nothing recorded) when the dedup set is full', () => {
    const alice = client('alice');
    const m = ReplicatedMachine.genesis({ ...config, seenRequestsMax: 2 });
    expect(codes(m.apply(block(1, [envelope(alice), envelope(alice), envelope(alice)])))).toEqual([
      'ok',
      'ok',
      'CAPACITY_EXHAUSTED',
    ]);
    expect(m.seenCount).toBe(2);
  });
});

describe('validity window (checked against block time, inclusive)', () => {
  it('rejects a request before notBefore with REQUEST_NOT_YET_VALID and does not record it', () => {
    const alice = client('alice');
    const req = envelope(alice, { notBeforeMs: T + 1, notAfterMs: T + 100 });
    const m = ReplicatedMachine.genesis(config);
    expect(codes(m.apply(block(1, [req])))).toEqual(['REQUEST_NOT_YET_VALID']);
    expect(m.seenCount).toBe(0);
    expect(codes(m.apply(block(2, [req], T + 1)))).toEqual(['ok']);
  });

  it('rejects a request after notAfter with REQUEST_EXPIRED', () => {
    const alice = client('alice');
    const m = ReplicatedMachine.genesis(config);
    const results = m.apply(
      block(1, [envelope(alice, { notAfterMs: T - 1 }), envelope(alice, { notAfterMs: T })]),
    );
    expect(codes(results)).toEqual(['REQUEST_EXPIRED', 'ok']);
  });

  it('rejects an empty or over-long window with INVALID_WINDOW, statelessly', () => {
    const alice = client('alice');
    const reversed = envelope(alice, { notBeforeMs: T + 1, notAfterMs: T });
    const long = envelope(alice, { notBeforeMs: T, notAfterMs: T + MACHINE_LIMITS.validityWindowMsMax + 1 });
    const longest = envelope(alice, { notBeforeMs: T, notAfterMs: T + MACHINE_LIMITS.validityWindowMsMax });
    for (const bad of [reversed, long]) expect(() => checkEnvelope(bad, config)).toThrow(/INVALID_WINDOW/);
    expect(codes(ReplicatedMachine.genesis(config).apply(block(1, [reversed, long, longest])))).toEqual([
      'INVALID_WINDOW',
      'INVALID_WINDOW',
      'ok',
    ]);
  });
});

describe('stateless checks (checkEnvelope) and their results inside blocks', () => {
  const alice = client('alice');

  function rejectedWith(bytes: Uint8Array, code: string): void {
    let thrown: unknown;
    try {
      checkEnvelope(bytes, config);
    } catch (e) {
      thrown = e;
    }
    expect(isOmegaError(thrown), String(thrown)).toBe(true);
    expect((thrown as OmegaError).code).toBe(code);
    const m = ReplicatedMachine.genesis(config);
    const [r] = m.apply(block(1, [bytes]));
    expect(r!.status).toEqual({ ok: false, code });
    expect(r!.envelopeHash).toEqual(envelopeHash(bytes));
    expect(m.seenCount).toBe(0);
  }

  it('a signature over other bytes is BAD_SIGNATURE (tampered body, tampered signature)', () => {
    const req = envelope(alice);
    const tamperedSig = req.slice();
    tamperedSig[req.length - 10]! ^= 0x40;
    rejectedWith(tamperedSig, 'BAD_SIGNATURE');
    const tamperedBody = req.slice();
    tamperedBody[req.length - 65]! ^= 1; // last body byte
    rejectedWith(tamperedBody, 'BAD_SIGNATURE');
  });

  it('a request signed by another key than its principal is BAD_SIGNATURE', () => {
    const bob = client('bob');
    const forged = envelope(alice, { principal: bob.publicKey });
    rejectedWith(forged, 'BAD_SIGNATURE');
  });

  it('a small-order principal (which anyone could "sign" for) is INVALID_PRINCIPAL', () => {
    const identity = new Uint8Array(32);
    identity[0] = 1; // the identity point (0, 1)
    rejectedWith(envelope(alice, { principal: identity }), 'INVALID_PRINCIPAL');
    rejectedWith(envelope(alice, { principal: new Uint8Array(32).fill(0xff) }), 'INVALID_PRINCIPAL');
  });

  it('another chain id is WRONG_CHAIN', () =>
    rejectedWith(envelope(alice, { chainId: `${CHAIN}-2` }), 'WRONG_CHAIN'));

  it('an unknown operation is UNKNOWN_OPERATION, not a crash', () =>
    rejectedWith(envelope(alice, { operation: 0x7777 }), 'UNKNOWN_OPERATION'));

  it('a ping payload above its limit is LIMIT_EXCEEDED', () =>
    rejectedWith(
      envelope(alice, { body: new Uint8Array(MACHINE_LIMITS.pingBytesMax + 1) }),
      'LIMIT_EXCEEDED',
    ));

  it('an unknown version is UNSUPPORTED_VERSION', () => {
    const req = envelope(alice);
    req[0] = 2;
    rejectedWith(req, 'UNSUPPORTED_VERSION');
  });

  it('garbage, truncated, trailing and oversized bytes are rejected with encoding codes', () => {
    rejectedWith(new Uint8Array(0), 'INVALID_ENCODING');
    rejectedWith(envelope(alice).subarray(0, 100), 'INVALID_ENCODING');
    const withTrailing = new Uint8Array([...envelope(alice), 0]);
    rejectedWith(withTrailing, 'INVALID_ENCODING');
    rejectedWith(new Uint8Array(MACHINE_LIMITS.envelopeBytesMax + 1), 'LIMIT_EXCEEDED');
  });

  it('every single-byte change of a valid envelope is rejected with a stable code (the signature covers every byte)', () => {
    const req = envelope(client('fuzz'));
    fc.assert(
      fc.property(fc.nat(req.length - 1), fc.integer({ min: 1, max: 255 }), (pos, delta) => {
        const mutated = req.slice();
        mutated[pos] = (mutated[pos]! + delta) & 0xff;
        try {
          checkEnvelope(mutated, config);
          return false;
        } catch (e) {
          return isOmegaError(e);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('random bytes never crash apply and always yield an error result (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const [r] = ReplicatedMachine.genesis(config).apply(block(1, [bytes]));
        return r !== undefined && !r.status.ok;
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('preconditions from consensus are invariants', () => {
  it('a height gap or a block time going backwards stops the machine (a bug, not bad input)', () => {
    const m = ReplicatedMachine.genesis(config);
    expect(() => m.apply(block(2, []))).toThrow(/invariant/);
    m.apply(block(1, [], T));
    expect(() => m.apply(block(2, [], T - 1))).toThrow(/invariant/);
    expect(m.height).toBe(1);
  });
});

describe('snapshot decoding is strict', () => {
  const alice = client('alice');
  const m = ReplicatedMachine.genesis(config);
  m.apply(block(1, [envelope(alice), envelope(alice)]));
  const snap = m.snapshot();

  it('rejects another chain, another version, trailing bytes, and unsorted entries', () => {
    expect(() => ReplicatedMachine.restore({ ...config, chainId: 'x' }, snap)).toThrow(/WRONG_CHAIN/);
    const v3 = snap.slice();
    v3[0] = 3;
    expect(() => ReplicatedMachine.restore(config, v3)).toThrow(/UNSUPPORTED_VERSION/);
    expect(() => ReplicatedMachine.restore(config, new Uint8Array([...snap, 0]))).toThrow(/INVALID_ENCODING/);
    // Swap the two 56-byte entries before the (empty) module section count.
    const swapped = snap.slice();
    const end = snap.length - 4;
    swapped.set(snap.subarray(end - 56, end), end - 112);
    swapped.set(snap.subarray(end - 112, end - 56), end - 56);
    expect(() => ReplicatedMachine.restore(config, swapped)).toThrow(/NON_CANONICAL/);
  });
});
