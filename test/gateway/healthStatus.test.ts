import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GATEWAY_VERSION } from '../../gateway/version';
import { mswBackend } from './support/mswBackend';
import { keysFor } from './support/tenants';
import { testGateway } from './support/testGateway';

const a = mswBackend('http://backend-a.test');
const b = mswBackend('http://backend-b.test');
const server = setupServer(...a.handlers, ...b.handlers);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
afterEach(() => {
  for (const x of [a, b]) {
    x.seen.length = 0;
    x.ready = true;
  }
});

let gw: ReturnType<typeof testGateway>;
beforeEach(async () => {
  // Health probes every 10 s, answers cached for 2 s: status polls alone decide what the backends see.
  gw = testGateway({ backends: [a.origin, b.origin], keys: (await keysFor({})).file, healthIntervalMs: 10_000, settings: { cacheTtlSeconds: 2 } });
});
const backendCalls = () => a.seen.length + b.seen.length;

describe('GET /health', () => {
  it('needs no key, and says live and ready with Cache-Control and Age', async () => {
    const res = await gw.app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ live: true, ready: true, backends_ready: 2 });
    expect(res.headers.get('cache-control')).toBe('public, max-age=2');
    expect(res.headers.get('age')).toBe('0');
  });

  it('answers 503 when no backend is ready', async () => {
    a.ready = false;
    b.ready = false;
    const res = await gw.app.request('/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ live: true, ready: false, backends_ready: 0 });
  });

  it('serves the cached answer, with a growing Age, until the TTL passes', async () => {
    await gw.app.request('/health');
    a.ready = false;
    b.ready = false;
    gw.clock.advance(1_500);
    const cached = await gw.app.request('/health');
    expect(cached.status).toBe(200);
    expect(cached.headers.get('age')).toBe('1');
    expect(cached.headers.get('x-cache')).toBe('HIT');
    gw.clock.advance(10_000);
    const fresh = await gw.app.request('/health');
    expect(fresh.status).toBe(503);
    expect(fresh.headers.get('age')).toBe('0');
  });
});

describe('GET /status', () => {
  it('shows backends by name (never their URLs), models with versions and shapes, and the gateway version', async () => {
    const res = await gw.app.request('/status');
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toMatch(/backend-[ab]\.test/);
    const body = JSON.parse(text);
    expect(body.gateway).toEqual({ name: 'siglip-gateway', version: GATEWAY_VERSION });
    expect(body.backends).toEqual([{ name: 'backend-1', ready: true }, { name: 'backend-2', ready: true }]);
    expect(body.models.map((m: { name: string }) => m.name)).toEqual(['toy', 'siglip_vision', 'embed_text']);
    expect(body.models[1]).toMatchObject({
      name: 'siglip_vision',
      versions: ['1'],
      max_batch_size: 4,
      inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [-1, 3, 384, 384] }],
      outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 64] }],
    });
    expect(res.headers.get('cache-control')).toBe('public, max-age=2');
  });

  it('shows a backend that fails its health check as not ready', async () => {
    b.ready = false;
    const body = await (await gw.app.request('/status')).json();
    expect(body.backends).toEqual([{ name: 'backend-1', ready: true }, { name: 'backend-2', ready: false }]);
  });

  it('costs the backends at most one request per TTL under a burst of 1,000 polls', async () => {
    // Warm-up: the first answer learns each model's metadata once (kept for a minute).
    await gw.app.request('/status');
    const polls = () => Promise.all(Array.from({ length: 1_000 }, () => gw.app.request('/status')));

    gw.clock.advance(2_000);
    let before = backendCalls();
    const burst = await polls();
    expect(burst.every((r) => r.status === 200)).toBe(true);
    expect(backendCalls() - before).toBe(1);

    gw.clock.advance(1_000);
    before = backendCalls();
    await polls();
    expect(backendCalls() - before).toBe(0);

    gw.clock.advance(1_000);
    before = backendCalls();
    await polls();
    expect(backendCalls() - before).toBe(1);
  });

  it('costs nothing more for 1,000 health polls within a TTL', async () => {
    await gw.app.request('/health');
    const before = backendCalls();
    await Promise.all(Array.from({ length: 1_000 }, () => gw.app.request('/health')));
    expect(backendCalls()).toBe(before);
  });
});
