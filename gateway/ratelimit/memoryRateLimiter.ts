/** Per-tenant token buckets in process memory (Node: one gateway process owns its tenants' buckets). */
import type { Clock, RateDecision, RateLimiter, TenantPolicy } from '../types';
import { fullBucket, takeTokens, type BucketState } from './tokenBucket';

/** RateLimiter whose buckets live in a Map keyed by tenant name. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, BucketState>();

  constructor(private readonly clock: Clock) {}

  async take(tenant: TenantPolicy, cost: number): Promise<RateDecision> {
    const now = this.clock.now();
    const { state, decision } = takeTokens(this.buckets.get(tenant.name) ?? fullBucket(tenant, now), tenant, cost, now);
    this.buckets.set(tenant.name, state);
    return decision;
  }
}
