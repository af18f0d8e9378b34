import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../../gateway/auth/apiKey';
import { KvKeyStore } from '../../gateway/auth/kvKeyStore';
import { fakeClock } from './support/fakeClock';

describe('KvKeyStore', () => {
  it('reads `key:<id>`, compares the hash, and caches records (and misses) for its TTL', async () => {
    const k = await generateApiKey();
    const reads: string[] = [];
    const kv = new Map<string, unknown>([[`key:${k.id}`, { sha256: k.sha256, tenant: 'edge', models: ['toy'], rate: 2, burst: 4 }]]);
    const clock = fakeClock();
    const store = new KvKeyStore({ get: async (key) => (reads.push(key), kv.get(key) ?? null) }, clock, 30_000);

    expect(await store.lookup(k.key)).toMatchObject({ name: 'edge', rate: 2, burst: 4 });
    expect(await store.lookup(k.key)).toMatchObject({ name: 'edge' });
    expect(await store.lookup(`${k.key.slice(0, -2)}zz`)).toBeUndefined();
    expect(await store.lookup('sgk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
    expect(await store.lookup('sgk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
    expect(reads).toEqual([`key:${k.id}`, 'key:000000000000']);

    kv.delete(`key:${k.id}`);
    clock.advance(30_000);
    expect(await store.lookup(k.key)).toBeUndefined();
  });

  it('treats a malformed record as no key', async () => {
    const k = await generateApiKey();
    const store = new KvKeyStore({ get: async () => ({ sha256: k.sha256, tenant: 'edge' }) }, fakeClock());
    expect(await store.lookup(k.key)).toBeUndefined();
  });
});
