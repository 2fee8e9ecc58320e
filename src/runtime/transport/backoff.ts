/**
 * Reconnect delays: capped exponential backoff with "equal jitter" (half fixed, half random), after the
 * AWS Architecture Blog's "Exponential Backoff and Jitter" (2015). Jitter keeps the n−1 replicas that lost
 * a restarted peer from redialling it in lock-step; keeping half the delay fixed keeps a floor so a dead
 * peer is not hammered. Randomness is injected so tests and the simulator replay exact delays.
 */
import { OmegaError } from '../../errors.js';

export interface BackoffPolicy {
  /** Delay of the first retry before jitter, in ms. */
  readonly baseMs: number;
  /** Cap on the pre-jitter delay, in ms. */
  readonly maxMs: number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): with d = min(maxMs, baseMs·2^attempt),
 * a value in [d/2, d) drawn with `random` (a function returning a number in [0, 1)).
 */
export function reconnectDelayMs(attempt: number, policy: BackoffPolicy, random: () => number): number {
  if (!Number.isSafeInteger(attempt) || attempt < 0)
    throw new OmegaError('OUT_OF_RANGE', 'attempt must be >= 0');
  if (!(policy.baseMs > 0) || !(policy.maxMs >= policy.baseMs)) {
    throw new OmegaError('INVALID_ARGUMENT', 'backoff needs 0 < baseMs <= maxMs');
  }
  // 2^attempt overflows to Infinity for large attempts; min() then caps it.
  const d = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 1024));
  const r = random();
  if (!(r >= 0 && r < 1)) throw new OmegaError('OUT_OF_RANGE', 'random() must return a number in [0, 1)');
  return d / 2 + r * (d / 2);
}
