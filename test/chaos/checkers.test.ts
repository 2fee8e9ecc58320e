/**
 * The chaos checkers (chaos/checkers.ts) on synthetic histories: each property passes on a correct
 * history and fails, naming the op or height, on a history that violates it — a checker that cannot
 * fail would prove nothing about a real run.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  checkAcknowledged,
  checkEchoes,
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
  const reg = (id: number, t: number, key: string, value: string) =>
    invoke(id, t, { f: 'register', key, value });
  const look = (id: number, t: number, key: string) => invoke(id, t, { f: 'lookup', key });
  const rev = (id: number, t: number, key: string) => invoke(id, t, { f: 'revoke', key });
  const done = (id: number, t: number, output: string) => ok(id, t, 1, 0, { output });

  it('accepts concurrent ops that some order explains', () => {
    // lookup overlaps the register: seeing either absent or the value is fine.
    const h = [
      reg(1, 0, 'k', 'v'),
      look(2, 1, 'k'),
      done(2, 2, 'value:v'),
      done(1, 3, 'ok'),
      look(3, 4, 'k'),
      done(3, 5, 'value:v'),
    ];
    const r = checkLinearizable(h, registryModel);
    expect(r.ok, r.problems.join('\n')).toBe(true);
  });
  it('rejects a stale read after an acknowledged revocation', () => {
    const h = [
      reg(1, 0, 'k', 'v'),
      done(1, 1, 'ok'),
      rev(2, 2, 'k'),
      done(2, 3, 'ok'),
      look(3, 4, 'k'),
      done(3, 5, 'value:v'),
    ];
    const r = checkLinearizable(h, registryModel);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatch(/key k/);
  });
  it('an unknown revoke may or may not have happened', () => {
    const unknown = (id: number, t: number): HistoryEvent => ({ type: 'unknown', id, t, reason: 'timeout' });
    const base = [reg(1, 0, 'k', 'v'), done(1, 1, 'ok'), rev(2, 2, 'k'), unknown(2, 3)];
    expect(checkLinearizable([...base, look(3, 4, 'k'), done(3, 5, 'revoked')], registryModel).ok).toBe(true);
    expect(checkLinearizable([...base, look(3, 4, 'k'), done(3, 5, 'value:v')], registryModel).ok).toBe(true);
    // …but not both, in that order: once a read saw it revoked, a later read cannot see it active.
    const both = [...base, look(3, 4, 'k'), done(3, 5, 'revoked'), look(4, 6, 'k'), done(4, 7, 'value:v')];
    expect(checkLinearizable(both, registryModel).ok).toBe(false);
  });
  it('rejects two successful registrations of one key', () => {
    const h = [reg(1, 0, 'k', 'a'), reg(2, 0, 'k', 'b'), done(1, 2, 'ok'), done(2, 2, 'ok')];
    expect(linearizable(operations(h), registryModel).ok).toBe(false);
  });
  it('reports an exceeded search budget as a failure, not a pass', () => {
    const h: HistoryEvent[] = [];
    for (let i = 0; i < 12; i++) h.push(look(i, 0, 'k'));
    for (let i = 0; i < 12; i++) h.push(done(i, 100, i === 11 ? 'value:x' : 'absent'));
    const r = linearizable(operations(h), registryModel, 50);
    expect(r.ok).toBe(false);
    expect(r.note).toMatch(/budget/);
  });
});

describe('checkNoIssueAfterRevoke', () => {
  const inv = (id: number, t: number, f: string) => invoke(id, t, { f, key: 'k' });
  const done = (id: number, t: number, output: string) => ok(id, t, 1, 0, { output });
  it('passes when issues overlapping the revocation are the only successes', () => {
    const h = [
      inv(1, 0, 'revoke'),
      inv(2, 1, 'issue'),
      done(2, 3, 'issued'),
      done(1, 4, 'ok'),
      inv(3, 5, 'issue'),
      done(3, 6, 'not-active'),
    ];
    expect(checkNoIssueAfterRevoke(h).ok).toBe(true);
  });
  it('fails when a certificate is issued after the revocation was acknowledged', () => {
    const h = [inv(1, 0, 'revoke'), done(1, 4, 'ok'), inv(3, 5, 'issue'), done(3, 6, 'issued')];
    expect(checkNoIssueAfterRevoke(h).problems.join('\n')).toMatch(/op 3: certificate issued for key k/);
  });
});

describe('checkEchoes', () => {
  it('fails when a ping answers another payload', () => {
    expect(checkEchoes([invoke(1, 0), ok(1, 2, 1, 0)]).ok).toBe(true);
    expect(checkEchoes([invoke(1, 0), ok(1, 2, 1, 0, { output: 'ff' })]).ok).toBe(false);
  });
});
