/** RateLimiter that asks the tenant's Durable Object (Workers). */
import type { RateDecision, RateLimiter, TenantPolicy } from '../types';

/** The part of a DurableObjectNamespace binding this client uses. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/** One Durable Object per tenant, addressed by name; any failure to answer throws (the app decides open or closed). */
export class DurableObjectRateLimiter implements RateLimiter {
  constructor(private readonly namespace: DurableObjectNamespaceLike) {}

  async take(tenant: TenantPolicy, cost: number): Promise<RateDecision> {
    const stub = this.namespace.get(this.namespace.idFromName(tenant.name) as never);
    const res = await stub.fetch('https://rate-limiter/take', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cost, rate: tenant.rate, burst: tenant.burst }),
    });
    if (!res.ok) throw new Error(`rate limiter answered ${res.status}`);
    return (await res.json()) as RateDecision;
  }
}
