/** A GET handler whose JSON answer is computed at most once per TTL, however many callers arrive at once. */
import type { Handler } from 'hono';
import { jsonHeaders } from '../respond/jsonHeaders';
import type { CachedBody, Clock, ResponseCache } from '../types';

/** Options of `cachedJson`. */
export interface CachedJsonOptions {
  cache: ResponseCache;
  clock: Clock;
  key: string;
  ttlSeconds: number;
  compute: () => Promise<{ status: number; body: unknown }>;
}

/** Handler factory: serves from the cache with `Cache-Control` and `Age`; concurrent misses share one computation. */
export function cachedJson(options: CachedJsonOptions): Handler {
  const { cache, clock, key, ttlSeconds, compute } = options;
  const cacheControl = `public, max-age=${ttlSeconds}`;
  let inflight: Promise<CachedBody> | undefined;

  const refresh = (): Promise<CachedBody> => {
    inflight ??= (async () => {
      try {
        const { status, body } = await compute();
        const entry = { status, body: JSON.stringify(body), storedAt: clock.now() };
        await cache.set(key, entry, ttlSeconds);
        return entry;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };

  return async function cachedJson() {
    let entry = await cache.get(key);
    const hit = entry !== undefined;
    entry ??= await refresh();
    const age = Math.max(0, Math.floor((clock.now() - entry.storedAt) / 1000));
    return new Response(entry.body, {
      status: entry.status,
      headers: { ...jsonHeaders(entry.body), 'cache-control': cacheControl, age: String(age), 'x-cache': hit ? 'HIT' : 'MISS' },
    });
  };
}
