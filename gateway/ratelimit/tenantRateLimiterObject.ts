/** The Durable Object that owns one tenant's token bucket (Workers): one instance per tenant name. */
import { z } from 'zod';
import { fullBucket, takeTokens, type BucketState } from './tokenBucket';

/** The part of DurableObjectState this object uses. */
export interface DurableObjectStateLike {
  storage: {
    get<T>(key: string): Promise<T | undefined>;
    put<T>(key: string, value: T): Promise<void>;
  };
}

/** Body of `POST /take`: the tenant's policy travels with each call, so a changed policy applies at once. */
const takeRequestSchema = z.object({
  cost: z.number().int().positive(),
  rate: z.number().positive(),
  burst: z.number().int().positive(),
});

/** `POST /take {cost, rate, burst}` → RateDecision. Exported by the Worker and bound as RATE_LIMITER. */
export class TenantRateLimiter {
  private bucket: BucketState | undefined;

  constructor(
    private readonly state: DurableObjectStateLike,
    _env: unknown,
  ) {}

  async fetch(request: Request): Promise<Response> {
    const parsed = takeRequestSchema.safeParse(await request.json().catch(() => null));
    if (!parsed.success) return Response.json({ error: 'expected {cost, rate, burst}' }, { status: 400 });
    const { cost, ...policy } = parsed.data;
    const now = Date.now();
    // The bucket survives eviction in storage; in memory it saves a read per call.
    this.bucket ??= (await this.state.storage.get<BucketState>('bucket')) ?? fullBucket(policy, now);
    const { state, decision } = takeTokens(this.bucket, policy, cost, now);
    this.bucket = state;
    // Not awaited: the output gate holds the response until the write is durable.
    void this.state.storage.put('bucket', state);
    return Response.json(decision);
  }
}
