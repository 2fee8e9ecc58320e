import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from '../../src/runtime/transport/index.js';

const policy = { baseMs: 100, maxMs: 10_000 };

describe('reconnect backoff', () => {
  it('doubles per attempt with equal jitter in [d/2, d)', () => {
    expect(reconnectDelayMs(0, policy, () => 0)).toBe(50);
    expect(reconnectDelayMs(0, policy, () => 0.999)).toBeCloseTo(99.95);
    expect(reconnectDelayMs(3, policy, () => 0)).toBe(400);
    expect(reconnectDelayMs(3, policy, () => 0.5)).toBe(600);
  });

  it('is capped at maxMs however many attempts failed', () => {
    expect(reconnectDelayMs(20, policy, () => 0)).toBe(5_000);
    expect(reconnectDelayMs(1_000_000, policy, () => 0.5)).toBe(7_500);
  });

  it('rejects a bad policy, attempt or random source', () => {
    expect(() => reconnectDelayMs(-1, policy, () => 0)).toThrow(/OUT_OF_RANGE/);
    expect(() => reconnectDelayMs(0, { baseMs: 0, maxMs: 1 }, () => 0)).toThrow(/INVALID_ARGUMENT/);
    expect(() => reconnectDelayMs(0, policy, () => 1)).toThrow(/OUT_OF_RANGE/);
    expect(() => reconnectDelayMs(0, policy, () => NaN)).toThrow(/OUT_OF_RANGE/);
  });
});
