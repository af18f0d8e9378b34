import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { InferenceError } from '../../../shared/errors';
import type { GatewayEnv } from '../../../gateway/env';
import { rateLimit } from '../../../gateway/middleware/rateLimit/index';
import { requestId } from '../../../gateway/middleware/requestId/index';
import { MemoryRateLimiter } from '../../../gateway/ratelimit/memoryRateLimiter';
import { fakeClock } from '../support/fakeClock';

const tenant = { name: 'acme', models: '*' as const, rate: 1, burst: 3 };

function appWith(cost: number, rejection?: InferenceError) {
  let handlerExecuted = 0;
  const clock = fakeClock();
  const app = new Hono<GatewayEnv>();
  app.use('*', async (c, next) => {
    c.set('tenant', tenant);
    c.set('cost', cost);
    c.set('rejection', rejection);
    await next();
  });
  app.use('*', rateLimit({ limiter: new MemoryRateLimiter(clock) }));
  app.get('/', (c) => {
    handlerExecuted++;
    return c.text('ok');
  });
  return { app, clock, executed: () => handlerExecuted };
}

describe('rateLimit', () => {
  it('lets requests through while tokens last, with RateLimit headers, then 429 with Retry-After', async () => {
    const { app, executed, clock } = appWith(2);
    const ok = await app.request('/');
    expect(ok.status).toBe(200);
    expect([ok.headers.get('ratelimit-limit'), ok.headers.get('ratelimit-remaining'), ok.headers.get('ratelimit-reset')]).toEqual(['3', '1', '2']);
    const denied = await app.request('/');
    expect(denied.status).toBe(429);
    expect(denied.headers.get('retry-after')).toBe('1');
    expect(executed()).toBe(1);
    clock.advance(1_000);
    expect((await app.request('/')).status).toBe(200);
  });

  it('answers a deferred rejection itself, charging one token', async () => {
    const { app, executed } = appWith(2, new InferenceError('INVALID_ARGUMENT', 'bad shape'));
    const res = await app.request('/');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'bad shape' });
    expect(res.headers.get('ratelimit-remaining')).toBe('2');
    expect(executed()).toBe(0);
  });
});

describe('requestId', () => {
  it('keeps a safe caller id and replaces an unsafe one', async () => {
    const app = new Hono<GatewayEnv>();
    app.use('*', requestId({ generate: () => 'generated-1' }));
    app.get('/', (c) => c.text(c.get('requestId')));
    const kept = await app.request('/', { headers: { 'x-request-id': 'abc-123' } });
    expect([await kept.text(), kept.headers.get('x-request-id')]).toEqual(['abc-123', 'abc-123']);
    const replaced = await app.request('/', { headers: { 'x-request-id': 'x'.repeat(200) } });
    expect([await replaced.text(), replaced.headers.get('x-request-id')]).toEqual(['generated-1', 'generated-1']);
  });
});
