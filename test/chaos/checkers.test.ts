/**
 * The chaos checkers (chaos/checkers.ts) on synthetic histories: each property passes on a correct
 * history and fails, naming the op or height, on a history that violates it — a checker that cannot
 * fail would prove nothing about a real run.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  checkAcknowledged,
  checkAuditNoIssueAfterRevoke,
  checkEchoes,
  checkIssuedCertificates,
  checkLinearizable,
  checkLogsAgree,
  checkNoIssueAfterRevoke,
  checkNoProgressBeyondF,
  checkSignatures,
  linearizable,
  registryModel,
  type DecidedLog,
} from '../../chaos/checkers.js';
import { operations, type HistoryEvent, type OpModel } from '../../chaos/history.js';
import { encodeResult, replySignBytes } from '../../src/core/machine/result.js';
import { toHex } from '../../src/crypto/bytes.js';

const hash = (id: number) => toHex(new Uint8Array(32).fill(id));

function resultHex(id: number, height: number, index: number, output = Uint8Array.from([id])): string {
  return toHex(
    encodeResult({
      envelopeHash: new Uint8Array(32).fill(id),
      requestId: new Uint8Array(16).fill(id),
      principal: new Uint8Array(32).fill(9),
      height,
      index,
      status: { ok: true, output },
    }),
  );
}

function invoke(
  id: number,
  t: number,
  model: OpModel = { f: 'ping', value: toHex(Uint8Array.from([id])) },
): HistoryEvent {
  return { type: 'invoke', id, client: 0, t, model, envelopeHash: hash(id) };
}

function ok(
  id: number,
  t: number,
  height: number,
  index: number,
  extra: Partial<{ output: string }> = {},
): HistoryEvent {
  return {
    type: 'ok',
    id,
    t,
    output: extra.output ?? toHex(Uint8Array.from([id])),
    height,
    index,
    resultBytes: resultHex(id, height, index),
    signatures: [],
  };
}

function block(height: number, ids: number[], hashTag = 'a'): DecidedLog[number] {
  return {
    height,
    hash: `${hashTag}${height}`,
    requests: ids.map((id, index) => ({
      envelopeHash: hash(id),
      resultBytes: resultHex(id, height, index),
      duplicate: false,
    })),
  };
}

describe('checkLogsAgree', () => {
  it('passes when logs are prefixes of each other', () => {
    const logs = new Map([
      [1, [block(1, [1]), block(2, [2])]],
      [2, [block(1, [1])]],
    ]);
    const r = checkLogsAgree(logs);
    expect(r.ok, r.problems.join('\n')).toBe(true);
    expect(r.stats).toMatchObject({ maxHeight: 2, minHeight: 1 });
  });
  it('fails on two different blocks at one height (agreement violated)', () => {
    const logs = new Map([
      [1, [block(1, [1]), block(2, [2])]],
      [3, [block(1, [1]), block(2, [3], 'b')]],
    ]);
    const r = checkLogsAgree(logs);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatch(/height 2: replica 1 .* replica 3/);
  });
  it('fails on a gap in a log', () => {
    expect(checkLogsAgree(new Map([[1, [block(1, [1]), block(3, [2])]]])).ok).toBe(false);
  });
});

describe('checkAcknowledged', () => {
  const history = [
    invoke(1, 0),
    invoke(2, 1),
    ok(1, 5, 1, 0),
    ok(2, 6, 1, 1),
    invoke(3, 7),
    { type: 'unknown', id: 3, t: 9, reason: 'x' } as HistoryEvent,
  ];
  it('passes when every ok op is executed once where its reply said', () => {
    const r = checkAcknowledged(history, [block(1, [1, 2]), block(2, [3])]);
    expect(r.ok, r.problems.join('\n')).toBe(true);
    expect(r.stats).toMatchObject({ ok: 2, unknown: 1, unknownDecided: 1 });
  });
  it('fails when an acknowledged op is missing from the log (lost write)', () => {
    const r = checkAcknowledged(history, [block(1, [1])]);
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(/op 2: acknowledged .*\(lost\)/);
  });
  it('fails when an op is executed twice', () => {
    const r = checkAcknowledged(history, [block(1, [1, 2]), block(2, [1])]);
    expect(r.problems.join('\n')).toMatch(/op 1: executed 2 times/);
  });
  it('a duplicate inclusion that the machine refused is not a second execution', () => {
    const log = [
      block(1, [1, 2]),
      { ...block(2, [1]), requests: [{ ...block(2, [1]).requests[0]!, duplicate: true }] },
    ];
    expect(checkAcknowledged(history, log).ok).toBe(true);
  });
  it('fails when the accepted result differs from the replayed one', () => {
    const log = [
      {
        ...block(1, [1, 2]),
        requests: [
          block(1, [1]).requests[0]!,
          { ...block(1, [1, 2]).requests[1]!, resultBytes: resultHex(2, 1, 1, Uint8Array.from([7])) },
        ],
      },
    ];
    expect(checkAcknowledged(history, log).problems.join('\n')).toMatch(/op 2: the accepted result differs/);
  });
  it('fails when the reply named another position', () => {
    expect(checkAcknowledged(history, [block(1, [2, 1])]).ok).toBe(false);
  });
  it('fails when a `fail` op was in fact executed successfully', () => {
    const h = [invoke(4, 0), { type: 'fail', id: 4, t: 3, code: 'BAD_SIGNATURE' } as HistoryEvent];
    expect(checkAcknowledged(h, [block(1, [4])]).problems.join('\n')).toMatch(/op 4: reported fail/);
  });
});

describe('checkSignatures', () => {
  const chainId = 'omega-test';
  const keys = [1, 2, 3, 4].map((i) => new Uint8Array(32).fill(i));
  const publicKeys = new Map(keys.map((k, i) => [i + 1, toHex(ed25519.getPublicKey(k))]));
  const verify = (pk: Uint8Array, m: Uint8Array, s: Uint8Array) => ed25519.verify(s, m, pk);
  const signed = (signers: number[], bytes = resultHex(1, 1, 0)): HistoryEvent[] => [
    invoke(1, 0),
    {
      ...(ok(1, 5, 1, 0) as Extract<HistoryEvent, { type: 'ok' }>),
      resultBytes: bytes,
      signatures: signers.map((i) => ({
        replicaIndex: i,
        signature: toHex(
          ed25519.sign(replySignBytes(chainId, Uint8Array.from(Buffer.from(bytes, 'hex'))), keys[i - 1]!),
        ),
      })),
    },
  ];
  const ctx = { chainId, f: 1, publicKeys, verify };
  it('passes with f+1 valid signatures bound to the op', () => {
    const r = checkSignatures(signed([1, 3]), ctx);
    expect(r.ok, r.problems.join('\n')).toBe(true);
  });
  it('fails with only f valid signatures', () => {
    expect(checkSignatures(signed([2]), ctx).problems.join('\n')).toMatch(/1 valid signatures, need 2/);
  });
  it('fails on a signature by the wrong replica key', () => {
    const h = signed([1, 2]);
    const e = h[1] as Extract<HistoryEvent, { type: 'ok' }>;
    const forged = {
      ...e,
      signatures: [e.signatures[0]!, { replicaIndex: 4, signature: e.signatures[1]!.signature }],
    };
    expect(checkSignatures([h[0]!, forged], ctx).problems.join('\n')).toMatch(
      /invalid signature of replica 4/,
    );
  });
  it('fails when the signed result is for another envelope', () => {
    expect(checkSignatures(signed([1, 2], resultHex(2, 1, 0)), ctx).problems.join('\n')).toMatch(
      /another envelope/,
    );
  });
});

describe('checkNoProgressBeyondF', () => {
  const fault = (t: number, down: number[], height?: number): HistoryEvent => ({
    type: 'fault',
    t,
    action: 'kill',
    targets: down,
    down,
    ...(height !== undefined ? { height } : {}),
  });
  it('passes when nothing new is acknowledged while 2 of 4 are down', () => {
    const h = [fault(10, [3, 4], 5), invoke(1, 11), fault(20, [4]), ok(1, 25, 6, 0)];
    expect(checkNoProgressBeyondF(h, 1).ok).toBe(true);
  });
  it('late replies for requests decided before the window are allowed', () => {
    const h = [invoke(1, 5), fault(10, [3, 4], 5), ok(1, 12, 5, 0), fault(20, [])];
    expect(checkNoProgressBeyondF(h, 1).ok).toBe(true);
  });
  it('fails when an op invoked during the window is acknowledged within it', () => {
    const h = [fault(10, [3, 4], 5), invoke(1, 11), ok(1, 15, 6, 0), fault(20, [])];
    expect(checkNoProgressBeyondF(h, 1).problems.join('\n')).toMatch(/op 1: invoked and acknowledged/);
  });
  it('fails when a height above the stall height is acknowledged in the window', () => {
    const h = [invoke(1, 5), fault(10, [3, 4], 5), ok(1, 12, 7, 0), fault(20, [])];
    expect(checkNoProgressBeyondF(h, 1).problems.join('\n')).toMatch(/decided at height 7/);
  });
});

describe('linearizability (registry model)', () => {
  const op = (id: number, t: number, f: string, value?: string, key = 'p') =>
    invoke(id, t, value === undefined ? { f, key } : { f, key, value });
  const done = (id: number, t: number, output: string, height = 1) => ok(id, t, height, 0, { output });
  const failed = (id: number, t: number, code: string): HistoryEvent => ({ type: 'fail', id, t, code });
  const unknown = (id: number, t: number): HistoryEvent => ({ type: 'unknown', id, t, reason: 'timeout' });
  // authorize k0, register k0 (both acknowledged): the base of most cases.
  const base = [op(1, 0, 'authorize', 'k0'), done(1, 1, 'ok'), op(2, 2, 'register', 'k0'), done(2, 3, 'ok')];

  it('accepts concurrent ops that some order explains', () => {
    // The lookup overlaps the registration: seeing either unknown or the key is fine.
    const h = [
      op(1, 0, 'authorize', 'k0'),
      done(1, 1, 'ok'),
      op(2, 2, 'register', 'k0'),
      op(3, 3, 'lookup'),
      done(3, 4, 'current:k0'),
      done(2, 5, 'ok'),
      op(4, 6, 'lookup'),
      done(4, 7, 'current:k0'),
    ];
    const r = checkLinearizable(h, registryModel);
    expect(r.ok, r.problems.join('\n')).toBe(true);
  });
  it('rejects a lookup that still certifies a key after its acknowledged revocation', () => {
    const h = [
      ...base,
      op(3, 4, 'revoke', 'k0'),
      done(3, 5, 'ok'),
      op(4, 6, 'lookup'),
      done(4, 7, 'current:k0'),
    ];
    const r = checkLinearizable(h, registryModel);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatch(/key p/);
    const fixed = [...h.slice(0, -1), done(4, 7, 'revoked:k0')];
    expect(checkLinearizable(fixed, registryModel).ok).toBe(true);
  });
  it('a registration needs the authorization of exactly that key, and consumes it', () => {
    const noAuth = [op(1, 0, 'register', 'k0'), done(1, 1, 'ok')];
    expect(checkLinearizable(noAuth, registryModel).ok).toBe(false);
    expect(
      checkLinearizable([op(1, 0, 'register', 'k0'), failed(1, 1, 'NOT_AUTHORIZED')], registryModel).ok,
    ).toBe(true);
    const other = [
      op(1, 0, 'authorize', 'k1'),
      done(1, 1, 'ok'),
      op(2, 2, 'register', 'k0'),
      failed(2, 3, 'KEY_DIGEST_MISMATCH'),
    ];
    expect(checkLinearizable(other, registryModel).ok).toBe(true);
    const twice = [...base, op(3, 4, 'register', 'k0'), done(3, 5, 'ok')];
    expect(checkLinearizable(twice, registryModel).ok).toBe(false);
  });
  it('a revoked key is never authorized or registered again; a new key supersedes the old one', () => {
    const revoked = [...base, op(3, 4, 'revoke', 'k0'), done(3, 5, 'ok')];
    expect(
      checkLinearizable([...revoked, op(4, 6, 'authorize', 'k0'), done(4, 7, 'ok')], registryModel).ok,
    ).toBe(false);
    expect(
      checkLinearizable([...revoked, op(4, 6, 'authorize', 'k0'), failed(4, 7, 'KEY_REVOKED')], registryModel)
        .ok,
    ).toBe(true);
    const superseded = [
      ...base,
      op(3, 4, 'authorize', 'k1'),
      done(3, 5, 'ok'),
      op(4, 6, 'register', 'k1'),
      done(4, 7, 'ok'),
      op(5, 8, 'revoke', 'k0'),
      done(5, 9, 'ok'),
      op(6, 10, 'lookup'),
      done(6, 11, 'current:k1'),
    ];
    expect(checkLinearizable(superseded, registryModel).ok).toBe(true);
  });
  it('a decided error is an observation: it must fit the order too', () => {
    // UNKNOWN_KEY after the registration was acknowledged is impossible.
    const h = [...base, op(3, 4, 'revoke', 'k0'), failed(3, 5, 'UNKNOWN_KEY')];
    expect(checkLinearizable(h, registryModel).ok).toBe(false);
    // A pre-ordering rejection (not a registry code) says nothing about the state and is dropped.
    expect(
      checkLinearizable([...base, op(3, 4, 'revoke', 'k0'), failed(3, 5, 'INVALID_WINDOW')], registryModel)
        .ok,
    ).toBe(true);
  });
  it('an unknown revoke may or may not have happened, but not both', () => {
    const h = [...base, op(3, 4, 'revoke', 'k0'), unknown(3, 5)];
    expect(checkLinearizable([...h, op(4, 6, 'lookup'), done(4, 7, 'revoked:k0')], registryModel).ok).toBe(
      true,
    );
    expect(checkLinearizable([...h, op(4, 6, 'lookup'), done(4, 7, 'current:k0')], registryModel).ok).toBe(
      true,
    );
    const both = [
      ...h,
      op(4, 6, 'lookup'),
      done(4, 7, 'revoked:k0'),
      op(5, 8, 'lookup'),
      done(5, 9, 'current:k0'),
    ];
    expect(checkLinearizable(both, registryModel).ok).toBe(false);
  });
  it('an unknown op the final log never executed took no effect', () => {
    const h = [
      ...base,
      op(3, 4, 'revoke', 'k0'),
      unknown(3, 5),
      op(4, 6, 'lookup'),
      done(4, 7, 'revoked:k0'),
    ];
    expect(checkLinearizable(h, registryModel, undefined, new Set([hash(3)])).ok).toBe(true);
    const r = checkLinearizable(h, registryModel, undefined, new Set());
    expect(r.ok).toBe(false);
    expect(r.stats.unknownNeverDecided).toBe(1);
  });
  it('reports an exceeded search budget as a failure, not a pass', () => {
    const h: HistoryEvent[] = [];
    for (let i = 0; i < 12; i++) h.push(op(i, 0, 'authorize', `k${i % 3}`));
    for (let i = 0; i < 12; i++) h.push(done(i, 100, 'ok'));
    h.push(op(12, 101, 'register', 'k0'), done(12, 102, 'error:UNKNOWN_KEY'));
    const r = linearizable(operations(h), registryModel, 50);
    expect(r.ok).toBe(false);
    expect(r.note).toMatch(/budget/);
  });
});

describe('checkNoIssueAfterRevoke', () => {
  const inv = (id: number, t: number, f: string, value?: string) =>
    invoke(id, t, value === undefined ? { f, key: 'p' } : { f, key: 'p', value });
  const done = (id: number, t: number, output: string, height = 1) => ok(id, t, height, 0, { output });
  it('passes when lookups overlapping the revocation are the only ones that see the key', () => {
    const h = [
      inv(1, 0, 'revoke', 'k0'),
      inv(2, 1, 'lookup'),
      done(2, 3, 'current:k0', 5),
      done(1, 4, 'ok', 6),
      inv(3, 5, 'lookup'),
      done(3, 6, 'revoked:k0', 7),
    ];
    expect(checkNoIssueAfterRevoke(h).ok).toBe(true);
  });
  it('fails when a lookup invoked after the acknowledged revocation certifies the key', () => {
    const h = [
      inv(1, 0, 'revoke', 'k0'),
      done(1, 4, 'ok', 6),
      inv(3, 5, 'lookup'),
      done(3, 6, 'current:k0', 7),
    ];
    expect(checkNoIssueAfterRevoke(h).problems.join('\n')).toMatch(/op 3: key p\/k0 certified after/);
  });
  it('fails when a concurrent lookup was decided at a greater height than the revocation', () => {
    const h = [
      inv(1, 0, 'revoke', 'k0'),
      inv(3, 1, 'lookup'),
      done(1, 4, 'ok', 6),
      done(3, 6, 'current:k0', 7),
    ];
    expect(checkNoIssueAfterRevoke(h).problems.join('\n')).toMatch(
      /certified at height 7, after its revocation at height 6/,
    );
  });
});

describe('checkAuditNoIssueAfterRevoke', () => {
  it('fails when the decided audit chain issues or registers a digest after its revocation', () => {
    const ok = [
      { seq: 1, height: 2, kind: 'register', digest: 'aa' },
      { seq: 2, height: 3, kind: 'issue', digest: 'aa' },
      { seq: 3, height: 4, kind: 'revoke', digest: 'aa' },
      { seq: 4, height: 5, kind: 'crl' },
    ];
    expect(checkAuditNoIssueAfterRevoke(ok).ok).toBe(true);
    const bad = [...ok, { seq: 5, height: 6, kind: 'issue', digest: 'aa' }];
    expect(checkAuditNoIssueAfterRevoke(bad).problems.join('\n')).toMatch(/audit 5: issue of digest aa/);
  });
});

describe('checkIssuedCertificates', () => {
  it('fails when a returned certificate does not verify or comes with no current key', () => {
    const h: HistoryEvent[] = [
      invoke(1, 0, { f: 'lookup', key: 'p' }),
      {
        ...(ok(1, 1, 1, 0, { output: 'current:k0' }) as Extract<HistoryEvent, { type: 'ok' }>),
        issued: { der: 'aa', notBeforeMs: 0, notAfterMs: 1 },
      },
      invoke(2, 2, { f: 'lookup', key: 'p' }),
      {
        ...(ok(2, 3, 1, 0, { output: 'unknown' }) as Extract<HistoryEvent, { type: 'ok' }>),
        issued: { der: 'bb', notBeforeMs: 0, notAfterMs: 1 },
      },
    ];
    const spkiOf = () => new Uint8Array(44);
    expect(checkIssuedCertificates(h, { spkiOf, verify: () => undefined }).problems).toEqual([
      'op 2: a certificate came with answer unknown',
    ]);
    const r = checkIssuedCertificates(h, {
      spkiOf,
      verify: (der) => (der[0] === 0xaa ? 'bad signature' : undefined),
    });
    expect(r.problems[0]).toBe('op 1: certificate for p/k0: bad signature');
  });
});

describe('checkEchoes', () => {
  it('fails when a ping answers another payload', () => {
    expect(checkEchoes([invoke(1, 0), ok(1, 2, 1, 0)]).ok).toBe(true);
    expect(checkEchoes([invoke(1, 0), ok(1, 2, 1, 0, { output: 'ff' })]).ok).toBe(false);
  });
});
