import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { GatewayEnv } from '../../../gateway/env';
import { tenantAuth } from '../../../gateway/middleware/tenantAuth/index';
import type { KeyStore } from '../../../gateway/types';

const tenant = { name: 'acme', models: '*' as const, rate: 1, burst: 1 };
const keys: KeyStore = { lookup: async (k) => (k === 'good-key' ? tenant : undefined) };

function appWith(store: KeyStore) {
  let handlerExecuted = false;
  const app = new Hono<GatewayEnv>();
  app.use('*', tenantAuth({ keys: store }));
  app.get('/', (c) => {
    handlerExecuted = true;
    return c.json({ tenant: c.get('tenant').name });
  });
  return { app, executed: () => handlerExecuted };
}

describe('tenantAuth', () => {
  it('sets the tenant for a known bearer key (scheme case-insensitive)', async () => {
    const { app, executed } = appWith(keys);
    const res = await app.request('/', { headers: { authorization: 'bearer good-key' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ tenant: 'acme' });
    expect(executed()).toBe(true);
  });

  it('short-circuits with 401 and a bare Bearer challenge when there are no credentials', async () => {
    const { app, executed } = appWith(keys);
    const res = await app.request('/');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="siglip"');
    expect(executed()).toBe(false);
  });

  it('short-circuits with 401 invalid_token for a wrong key', async () => {
    const { app, executed } = appWith(keys);
    const res = await app.request('/', { headers: { authorization: 'Bearer bad-key' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="siglip", error="invalid_token"');
    expect(await res.json()).toEqual({ error: 'invalid API key' });
    expect(executed()).toBe(false);
  });

  it('answers 503, without a stack, when the key store itself fails', async () => {
    const { app, executed } = appWith({ lookup: async () => { throw new Error('KV is down'); } });
    app.onError((err, c) => c.json({ error: err.message }, 503));
    const res = await app.request('/', { headers: { authorization: 'Bearer good-key' } });
    expect(res.status).toBe(503);
    expect(executed()).toBe(false);
  });
});
