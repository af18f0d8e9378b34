import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { setResponseHeaders } from '../../../gateway/respond/responseHeaders';

function appReturning(make: () => Response) {
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    setResponseHeaders(c, { 'x-one': '1', 'x-two': '2' });
  });
  app.get('/', () => make());
  return app;
}

describe('setResponseHeaders', () => {
  it('sets headers on the response in place, keeping the very same response object and body', async () => {
    const made: Response[] = [];
    const app = appReturning(() => {
      const res = new Response('payload', { status: 201, headers: { 'content-type': 'text/plain' } });
      made.push(res);
      return res;
    });
    const res = await app.request('/');
    expect(res).toBe(made[0]);
    expect([res.status, res.headers.get('x-one'), res.headers.get('x-two'), await res.text()]).toEqual([201, '1', '2', 'payload']);
  });

  it('falls back to a new response when the headers are immutable', async () => {
    const app = appReturning(() => Response.redirect('http://example.test/next', 302));
    const res = await app.request('/');
    expect([res.status, res.headers.get('location'), res.headers.get('x-one'), res.headers.get('x-two')]).toEqual([302, 'http://example.test/next', '1', '2']);
  });
});
