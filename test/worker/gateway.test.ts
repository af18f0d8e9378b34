import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import worker from '../../gateway/worker';
import { numberRunKernelAvailable } from '../../shared/codec/wasmNumberRun';
import { createTenant, seen, stubBackend } from './support';

type Env = Parameters<typeof worker.fetch>[1];
const workerEnv = env as unknown as Env;

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://gateway.test${path}`, init), workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}
const infer = (key: string, n = 1) =>
  call('/v2/models/toy/infer', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [n, 3, 2, 2], data: new Array(n * 12).fill(0) }] }),
  });

beforeEach(() => stubBackend());
afterEach(() => vi.unstubAllGlobals());

describe('Worker: authentication against KV', () => {
  it('answers 401 with WWW-Authenticate: Bearer without a key, and calls no backend', async () => {
    const res = await call('/v2/models/toy/ready');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="siglip"');
    expect(seen).toEqual([]);
  });

  it('answers 401 for a key that is not in KV', async () => {
    const res = await call('/v2/models/toy/ready', { headers: { authorization: 'Bearer sgk_aaaaaaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    expect(res.status).toBe(401);
  });

  it('lets a KV tenant through, strips its Authorization and sends the shared secret', async () => {
    const key = await createTenant('worker-auth');
    const res = await infer(key);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ model_name: 'toy' });
    const sent = seen.find((r) => r.path === '/v2/models/toy/infer')!;
    expect(sent.headers.get('authorization')).toBeNull();
    expect(sent.headers.get('x-siglip-gateway-token')).toBe('worker-test-secret');
  });

  it('answers 403 for a model outside the tenant policy', async () => {
    const key = await createTenant('worker-limited', { models: ['other'] });
    const res = await call('/v2/models/toy', { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(403);
  });
});

describe('Worker: per-tenant Durable Object rate limiter', () => {
  it('charges a batch of n as n, answers 429 with Retry-After when empty, and keeps tenants apart', async () => {
    const slow = await createTenant('worker-slow', { rate: 0.5, burst: 3 });
    const other = await createTenant('worker-other', { rate: 0.5, burst: 3 });
    const first = await infer(slow, 2);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('3');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    const denied = await infer(slow, 2);
    expect(denied.status).toBe(429);
    expect(denied.headers.get('retry-after')).toBe('2');
    expect(await denied.json()).toHaveProperty('error');
    expect((await infer(other, 3)).status).toBe(200);
  });

  it('keeps one bucket per tenant in its Durable Object', async () => {
    const ns = (env as unknown as { RATE_LIMITER: DurableObjectNamespace }).RATE_LIMITER;
    const take = (tenant: string, cost: number) =>
      ns.get(ns.idFromName(tenant)).fetch('https://rate-limiter/take', { method: 'POST', body: JSON.stringify({ cost, rate: 0.001, burst: 5 }) });
    expect(await (await take('do-a', 5)).json()).toMatchObject({ allowed: true, remaining: 0 });
    expect(await (await take('do-a', 1)).json()).toMatchObject({ allowed: false });
    expect(await (await take('do-b', 1)).json()).toMatchObject({ allowed: true, remaining: 4 });
    expect((await take('do-a', 0)).status).toBe(400);
  });
});

describe('Worker: health from the Cache API', () => {
  it('answers /health without a key and serves repeats from caches.default', async () => {
    const first = await call('/health');
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ live: true, ready: true, backends_ready: 1 });
    expect(first.headers.get('cache-control')).toBe('public, max-age=30');
    const probes = seen.filter((r) => r.path === '/v2/health/ready').length;
    expect(await caches.default.match('https://siglip-gateway.cache/health')).toBeDefined();

    const again = await Promise.all(Array.from({ length: 20 }, () => call('/health')));
    expect(again.every((r) => r.status === 200 && r.headers.get('x-cache') === 'HIT' && r.headers.has('age'))).toBe(true);
    expect(seen.filter((r) => r.path === '/v2/health/ready').length).toBe(probes);
  });
});

describe('Worker: big JSON infer bodies, checked while relayed', () => {
  it('has the WebAssembly kernel of the streaming check (imported as a compiled module)', () => {
    expect(numberRunKernelAvailable()).toBe(true);
  });

  it('refuses a 5 MB body whose data does not fit its shape, counted by the kernel as it streams', async () => {
    const key = await createTenant('big');
    const n = 3 * 384 * 384 + 7;
    const values = Array.from({ length: n }, (_, i) => ((i % 1000) / 997).toFixed(7));
    const body = `{"inputs": [{"name": "PIXEL_VALUES", "datatype": "FP32", "shape": [1, 3, 384, 384], "data": [${values.join(', ')}]}]}`;
    expect(body.length).toBeGreaterThan(4 * 1024 * 1024);
    const res = await call('/v2/models/pixels/infer', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toContain(String(n));
  });
});
