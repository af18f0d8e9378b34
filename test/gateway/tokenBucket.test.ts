import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fullBucket, takeTokens } from '../../gateway/ratelimit/tokenBucket';

const policy = { rate: 2, burst: 10 };

describe('takeTokens', () => {
  it('lets a full bucket serve a burst, then refuses with the wait until enough tokens return', () => {
    let s = fullBucket(policy, 0);
    const first = takeTokens(s, policy, 10, 0);
    expect(first.decision).toEqual({ allowed: true, limit: 10, remaining: 0, resetSeconds: 5, retryAfterSeconds: 0 });
    s = first.state;
    const denied = takeTokens(s, policy, 3, 500);
    expect(denied.decision).toMatchObject({ allowed: false, remaining: 1, retryAfterSeconds: 1 });
    expect(takeTokens(denied.state, policy, 3, 1_500).decision.allowed).toBe(true);
  });

  it('never fills past the burst', () => {
    const s = takeTokens(fullBucket(policy, 0), policy, 1, 0).state;
    expect(takeTokens(s, policy, 0, 1_000_000).decision.remaining).toBe(10);
  });

  it('does not go back in time when clocks disagree', () => {
    const s = takeTokens(fullBucket(policy, 1_000), policy, 10, 1_000).state;
    expect(takeTokens(s, policy, 1, 0).decision.allowed).toBe(false);
  });

  it('never admits more than burst + rate × elapsed tokens (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 2_000 })), { maxLength: 60 }), (steps) => {
        let s = fullBucket(policy, 0);
        let now = 0;
        let admitted = 0;
        for (const [cost, dt] of steps) {
          now += dt;
          const r = takeTokens(s, policy, cost, now);
          s = r.state;
          if (r.decision.allowed) admitted += cost;
          expect(r.decision.remaining).toBeGreaterThanOrEqual(0);
        }
        expect(admitted).toBeLessThanOrEqual(policy.burst + (policy.rate * now) / 1000 + 1e-9);
      }),
    );
  });
});
