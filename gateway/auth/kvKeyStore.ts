/** KeyStore over a Workers KV namespace: `key:<id>` holds `{sha256, tenant, models, rate, burst}`. */
import { z } from 'zod';
import type { Clock, KeyStore, TenantPolicy } from '../types';
import { apiKeyId, constantTimeEqual, fromHex, sha256 } from './apiKey';
import { tenantPolicyOf } from './keysFile';

/** The part of a KV namespace binding this store uses. */
export interface KvReader {
  get(key: string, options: { type: 'json'; cacheTtl?: number }): Promise<unknown>;
}

/** The JSON stored under `key:<id>` (what `siglip keys create --kv` prints). */
export const kvKeyRecordSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  tenant: z.string().min(1),
  models: z.array(z.string().min(1)).min(1),
  rate: z.number().positive(),
  burst: z.number().int().positive(),
});

export type KvKeyRecord = z.infer<typeof kvKeyRecordSchema>;

// Bounds isolate memory when callers send many made-up ids.
const MAX_CACHED_IDS = 10_000;

interface Entry {
  hash: Uint8Array;
  tenant: TenantPolicy;
}

/** Reads key records from KV and keeps them in isolate memory for `ttlMs`, so the hot path skips KV. */
export class KvKeyStore implements KeyStore {
  // Unknown ids are cached too (as null), so a flood of made-up keys does not become a flood of KV reads.
  private readonly cache = new Map<string, { entry: Entry | null; expires: number }>();

  constructor(
    private readonly kv: KvReader,
    private readonly clock: Clock,
    private readonly ttlMs = 30_000,
  ) {}

  async lookup(apiKey: string): Promise<TenantPolicy | undefined> {
    const id = apiKeyId(apiKey);
    if (id === undefined) return undefined;
    const entry = await this.entry(id);
    if (!entry) return undefined;
    return constantTimeEqual(await sha256(apiKey), entry.hash) ? entry.tenant : undefined;
  }

  private async entry(id: string): Promise<Entry | null> {
    const now = this.clock.now();
    const hit = this.cache.get(id);
    if (hit && hit.expires > now) return hit.entry;
    const raw = await this.kv.get(`key:${id}`, { type: 'json', cacheTtl: 60 });
    const parsed = raw === null ? null : kvKeyRecordSchema.safeParse(raw);
    const entry =
      parsed && parsed.success
        ? { hash: fromHex(parsed.data.sha256), tenant: tenantPolicyOf(parsed.data.tenant, parsed.data) }
        : null;
    if (this.cache.size >= MAX_CACHED_IDS) this.cache.clear();
    this.cache.set(id, { entry, expires: now + this.ttlMs });
    return entry;
  }
}
