import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { GatewayEnv } from '../../gateway/env';
import { accessLog } from '../../gateway/middleware/accessLog/index';
import { requestId } from '../../gateway/middleware/requestId/index';
import { logLines } from './support/logLines';

// The middleware alone, on a bare app: what it measures and when it writes.
function appWith(route: (app: Hono<GatewayEnv>) => void) {
  const log = logLines();
  const app = new Hono<GatewayEnv>();
  app.use('*', accessLog({ log: log.logger }));
  app.use('*', requestId({ generate: () => 'generated-id' }));
  route(app);
  return { app, ...log };
}

const chunks = (...parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
      controller.close();
    },
  });

describe('accessLog', () => {
  it('writes the line once the answer is ready, with the Content-Length as bytes out and the declared body as bytes in', async () => {
    const { app, withMsg } = appWith((a) => a.post('/echo', async (c) => c.body(await c.req.text(), 201, { 'content-length': '5' })));
    const res = await app.request('/echo?q=1', { method: 'POST', body: 'hello', headers: { 'content-length': '5' } });
    expect(res.status).toBe(201);
    expect(withMsg('request')).toEqual([
      expect.objectContaining({ level: 'info', method: 'POST', path: '/echo', status: 201, bytesIn: 5, bytesOut: 5, requestId: 'generated-id' }),
    ]);
    // The query string is not part of the path (it may carry anything).
    expect(withMsg('request')[0].path).toBe('/echo');
  });

  it('counts a body of unknown length as it goes out, and writes the line when it has ended', async () => {
    const { app, withMsg } = appWith((a) => a.get('/stream', () => new Response(chunks('abc', 'defg'), { status: 200 })));
    const res = await app.request('/stream');
    expect(withMsg('request')).toEqual([]);
    expect(await res.text()).toBe('abcdefg');
    expect(withMsg('request')).toEqual([expect.objectContaining({ status: 200, bytesOut: 7, bytesIn: 0 })]);
  });

  it('writes the line with the bytes sent so far when the client goes away mid-body', async () => {
    const { app, withMsg } = appWith((a) => a.get('/stream', () => new Response(chunks('abc', 'defg'), { status: 200 })));
    const res = await app.request('/stream');
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(withMsg('request')).toEqual([expect.objectContaining({ bytesOut: 3 })]);
  });

  it('logs answers that errors and unknown routes produced', async () => {
    const { app, withMsg } = appWith((a) => {
      a.onError((_, c) => c.json({ error: 'boom' }, 500, { 'content-length': '16' }));
      a.get('/fail', () => {
        throw new Error('boom');
      });
    });
    await app.request('/fail', { headers: { 'x-request-id': 'client-id-1' } });
    // Hono's own 404 has no Content-Length: its line comes once the body has gone out.
    await (await app.request('/nowhere')).text();
    expect(withMsg('request').map((l) => [l.path, l.status, l.requestId])).toEqual([
      ['/fail', 500, 'client-id-1'],
      ['/nowhere', 404, 'generated-id'],
    ]);
  });
});
