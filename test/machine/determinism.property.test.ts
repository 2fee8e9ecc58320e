import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import type { Block } from '../../src/core/machine/index.js';
import { ReplicatedMachine, decodeEnvelope, encodeResult } from '../../src/core/machine/index.js';
import { client, config, envelope } from './helpers.js';

const T0 = 1_000_000;
const SEED = 20261121;

/** A pool of requests with assorted windows, plus invalid ones; blocks draw from it (repeats = replays). */
function pool(): Uint8Array[] {
  const alice = client('pool-alice');
  const bob = client('pool-bob');
  const out: Uint8Array[] = [];
  for (let i = 0; i < 12; i++) {
    const c = i % 2 === 0 ? alice : bob;
    const start = T0 + (i % 4) * 2_000;
    out.push(envelope(c, { notBeforeMs: start, notAfterMs: start + 1_000 + (i % 3) * 3_000 }));
  }
  const tampered = envelope(alice);
  tampered[tampered.length - 1]! ^= 1;
  out.push(tampered, Uint8Array.from([1, 0, 0]), new Uint8Array(0), envelope(bob, { chainId: 'other' }));
  return out;
}

describe('determinism under random block sequences (property; seed printed on failure)', () => {
  const requests = pool();
  it('a continuous machine and one restored from its snapshot before every block agree byte for byte; each request is applied at most once and only inside its window', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            advanceMs: fc.integer({ min: 0, max: 3_000 }),
            picks: fc.array(fc.nat(requests.length - 1), { maxLength: 6 }),
            restore: fc.boolean(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (plan) => {
          let a = ReplicatedMachine.genesis(config);
          let b = ReplicatedMachine.genesis(config);
          let time = T0;
          const applied = new Set<string>();
          plan.forEach((step, i) => {
            time += step.advanceMs;
            const block: Block = {
              height: i + 1,
              timeMs: time,
              requests: step.picks.map((p) => requests[p]!),
            };
            if (step.restore) b = ReplicatedMachine.restore(config, b.snapshot());
            const ra = a.apply(block);
            const rb = b.apply(block);
            expect(ra.map((r) => toHex(encodeResult(r)))).toEqual(rb.map((r) => toHex(encodeResult(r))));
            expect(toHex(a.stateHash())).toBe(toHex(b.stateHash()));
            ra.forEach((r, j) => {
              if (!r.status.ok) return;
              const e = decodeEnvelope(block.requests[j]!);
              const key = toHex(e.principal) + toHex(e.requestId);
              expect(applied.has(key), 'applied twice').toBe(false);
              applied.add(key);
              expect(time >= e.notBeforeMs && time <= e.notAfterMs).toBe(true);
            });
          });
          a = ReplicatedMachine.restore(config, a.snapshot());
          expect(toHex(a.stateHash())).toBe(toHex(b.stateHash()));
        },
      ),
      { seed: SEED, numRuns: 80 },
    );
  });
});
