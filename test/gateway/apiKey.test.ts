import { describe, expect, it } from 'vitest';
import { apiKeyId, constantTimeEqual, generateApiKey, sha256Hex } from '../../gateway/auth/apiKey';
import { MemoryKeyStore } from '../../gateway/auth/memoryKeyStore';
import { parseKeysFile } from '../../gateway/auth/keysFile';

describe('API keys', () => {
  it('generates distinct keys whose stored hash is the SHA-256 of the whole key', async () => {
    const [k1, k2] = await Promise.all([generateApiKey(), generateApiKey()]);
    expect(k1.key).not.toBe(k2.key);
    expect(k1.key).toMatch(/^sgk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(apiKeyId(k1.key)).toBe(k1.id);
    expect(k1.sha256).toBe(await sha256Hex(k1.key));
    // Known answer (FIPS 180-2 "abc"), so the hash is really SHA-256.
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('compares bytes without short-circuiting on length or content', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
  });
});

describe('MemoryKeyStore', () => {
  it('finds the tenant of a valid key and nothing for a tampered one', async () => {
    const k = await generateApiKey();
    const store = new MemoryKeyStore({ version: 1, tenants: { acme: { models: ['toy'], rate: 1, burst: 2, keys: [{ id: k.id, sha256: k.sha256 }] } } });
    const tenant = await store.lookup(k.key);
    expect(tenant?.name).toBe('acme');
    expect(tenant?.models).toEqual(new Set(['toy']));
    expect(await store.lookup(k.key.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x')))).toBeUndefined();
    expect(await store.lookup('not-a-key')).toBeUndefined();
  });
});

describe('parseKeysFile', () => {
  it('names the field that is wrong', () => {
    expect(() => parseKeysFile({ version: 1, tenants: { acme: { models: [], rate: 1, burst: 1, keys: [] } } }, 'keys.json')).toThrow(
      /^keys.json: tenants.acme.models: /,
    );
    expect(() => parseKeysFile({ version: 1, tenants: { acme: { models: ['*'], rate: 1, burst: 1, keys: [{ id: 'zz', sha256: 'x' }] } } })).toThrow(/keys.0.id/);
  });
});
