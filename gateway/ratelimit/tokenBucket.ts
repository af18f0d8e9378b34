/** A token bucket (rate tokens/s, capacity burst) as a pure function of its state and the time. */
import type { RateDecision } from '../types';

/** Tokens left at `updatedAt` (ms). */
export interface BucketState {
  tokens: number;
  updatedAt: number;
}

/** The bucket's limits. */
export interface BucketPolicy {
  rate: number;
  burst: number;
}

/** A full bucket at `now`. */
export function fullBucket(policy: BucketPolicy, now: number): BucketState {
  return { tokens: policy.burst, updatedAt: now };
}

/**
 * Refills the bucket up to `now`, then takes `cost` tokens if there are that many. A denied take
 * leaves the tokens where they were, so a client that retries too early loses nothing.
 */
export function takeTokens(
  state: BucketState,
  policy: BucketPolicy,
  cost: number,
  now: number,
): { state: BucketState; decision: RateDecision } {
  const elapsed = Math.max(0, now - state.updatedAt) / 1000;
  const tokens = Math.min(policy.burst, state.tokens + elapsed * policy.rate);
  const allowed = cost <= tokens;
  const left = allowed ? tokens - cost : tokens;
  const next = { tokens: left, updatedAt: Math.max(now, state.updatedAt) };
  return {
    state: next,
    decision: {
      allowed,
      limit: policy.burst,
      remaining: Math.floor(left),
      resetSeconds: Math.ceil((policy.burst - left) / policy.rate),
      // A cost above the burst can never be served; callers reject it before taking.
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((cost - tokens) / policy.rate)),
    },
  };
}
