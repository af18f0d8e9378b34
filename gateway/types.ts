/** The seams of the gateway: each runtime (Node, Workers) supplies its own implementation of these. */

/** Milliseconds since the epoch; injected so tests control time. */
export interface Clock {
  now(): number;
}

/** What a tenant may do: its models and its token bucket. */
export interface TenantPolicy {
  name: string;
  /** Model names the tenant may call; `'*'` allows every model. */
  models: ReadonlySet<string> | '*';
  /** Tokens per second added to the bucket. */
  rate: number;
  /** Bucket capacity: the largest burst (and the largest single batch). */
  burst: number;
}

/** Resolves an API key to its tenant, or undefined for an unknown or wrong key. */
export interface KeyStore {
  lookup(apiKey: string): Promise<TenantPolicy | undefined>;
}

/** Outcome of taking tokens from a tenant's bucket; the numbers feed the RateLimit-* headers. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until `cost` tokens are available (0 when allowed). */
  retryAfterSeconds: number;
}

/** Takes `cost` tokens from the tenant's bucket. Throws when the limiter cannot be reached. */
export interface RateLimiter {
  take(tenant: TenantPolicy, cost: number): Promise<RateDecision>;
}

/** A cached JSON answer and when it was stored. */
export interface CachedBody {
  status: number;
  body: string;
  storedAt: number;
}

/** A small TTL cache for /health and /status (in memory on Node, the Cache API on Workers). */
export interface ResponseCache {
  get(key: string): Promise<CachedBody | undefined>;
  set(key: string, value: CachedBody, ttlSeconds: number): Promise<void>;
}
