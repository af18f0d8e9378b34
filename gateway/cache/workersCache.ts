/** ResponseCache over the Workers Cache API (`caches.default`), shared by the isolates of a colo. */
import type { CachedBody, ResponseCache } from '../types';

/** The part of the Cache API this adapter uses. */
export interface CacheLike {
  match(request: Request | string): Promise<Response | undefined>;
  put(request: Request | string, response: Response): Promise<void>;
}

const STATUS = 'x-gateway-status';
const STORED_AT = 'x-gateway-stored-at';

/** Stores each entry as a 200 with the real status and the store time in headers (the cache keeps only what it may serve). */
export class WorkersCache implements ResponseCache {
  constructor(
    private readonly cache: CacheLike,
    // Cache keys must be URLs; this origin is never fetched.
    private readonly origin = 'https://siglip-gateway.cache',
  ) {}

  async get(key: string): Promise<CachedBody | undefined> {
    const res = await this.cache.match(this.origin + key);
    if (!res) return undefined;
    return { status: Number(res.headers.get(STATUS) ?? 200), storedAt: Number(res.headers.get(STORED_AT) ?? 0), body: await res.text() };
  }

  async set(key: string, value: CachedBody, ttlSeconds: number): Promise<void> {
    const res = new Response(value.body, {
      headers: {
        'content-type': 'application/json',
        'cache-control': `public, max-age=${ttlSeconds}`,
        [STATUS]: String(value.status),
        [STORED_AT]: String(value.storedAt),
      },
    });
    await this.cache.put(this.origin + key, res);
  }
}
