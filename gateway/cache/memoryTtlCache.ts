/** ResponseCache in process memory (Node): entries expire after their TTL by the injected clock. */
import type { CachedBody, Clock, ResponseCache } from '../types';

/** A Map with expiry times; a handful of keys (/health, /status), so no eviction policy is needed. */
export class MemoryTtlCache implements ResponseCache {
  private readonly entries = new Map<string, { value: CachedBody; expires: number }>();

  constructor(private readonly clock: Clock) {}

  async get(key: string): Promise<CachedBody | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  async set(key: string, value: CachedBody, ttlSeconds: number): Promise<void> {
    this.entries.set(key, { value, expires: value.storedAt + ttlSeconds * 1000 });
  }
}
