import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BackendPool } from '../../gateway/backends/backendPool';
import { BackendConnectError, type BackendRequest, type BackendTarget } from '../../gateway/backends/transport';
import { consoleJsonLogger } from '../../shared/log/consoleJsonLogger';
import { fakeClock } from './support/fakeClock';
import { logLines, type LogLine } from './support/logLines';
import { jsonInfer, mswBackend, type MswBackend } from './support/mswBackend';
import { keysFor } from './support/tenants';
import { testGateway } from './support/testGateway';

const backend: MswBackend = mswBackend('http://backend-logs.test');
const server = setupServer(...backend.handlers);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
afterEach(() => {
  backend.seen.length = 0;
  backend.ready = true;
});

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
let keys: Record<string, string>;
let log: ReturnType<typeof logLines>;
let gw: ReturnType<typeof testGateway>;
beforeEach(async () => {
  const made = await keysFor({ acme: { models: ['toy'], rate: 100, burst: 100 }, slow: { models: ['toy'], rate: 0.001, burst: 1 } });
  keys = made.keys;
  log = logLines();
  gw = testGateway({ backends: [backend.origin], keys: made.file, log: log.logger });
});

const infer = (tenant: string | undefined, requestId: string) =>
  gw.app.request('/v2/models/toy/infer', {
    method: 'POST',
    body: jsonInfer('PIXEL_VALUES', [1, 3, 2, 2]),
    headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...(tenant ? { authorization: `Bearer ${keys[tenant]}` } : {}) },
  });

describe('gateway access log', () => {
  it('writes one line per request at info: method, path, model, status, duration, bytes in and out, request id and tenant', async () => {
    const body = jsonInfer('PIXEL_VALUES', [1, 3, 2, 2]);
    const res = await infer('acme', 'req-access-1');
    expect(res.status).toBe(200);
    const answer = new Uint8Array(await res.arrayBuffer());
    const lines = log.withMsg('request');
    expect(lines).toHaveLength(1);
    const line = lines[0];
    expect(line).toEqual({
      level: 'info',
      time: expect.stringMatching(ISO_TIME),
      service: 'gateway',
      component: 'access',
      method: 'POST',
      path: '/v2/models/toy/infer',
      model: 'toy',
      status: 200,
      durationMs: expect.any(Number),
      bytesIn: new TextEncoder().encode(body).byteLength,
      bytesOut: answer.byteLength,
      requestId: 'req-access-1',
      tenant: 'acme',
      msg: 'request',
    });
    expect(res.headers.get('x-request-id')).toBe(line.requestId);
  });

  it('leaves out tenant and model where the request had none, and counts the gateway own answers', async () => {
    const res = await gw.app.request('/health');
    const text = await res.text();
    const [line] = log.withMsg('request');
    expect(line).toMatchObject({ method: 'GET', path: '/health', status: 200, bytesIn: 0, bytesOut: new TextEncoder().encode(text).byteLength });
    expect(line).not.toHaveProperty('tenant');
    expect(line).not.toHaveProperty('model');
  });
});

describe('gateway refusals in the log', () => {
  it('logs a 401 at info with the request id and why, naming the key by its public id only', async () => {
    const missing = await infer(undefined, 'req-401-a');
    const unknownKey = 'sgk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const wrong = await gw.app.request('/v2/models/toy', { headers: { authorization: `Bearer ${unknownKey}`, 'x-request-id': 'req-401-b' } });
    expect([missing.status, wrong.status]).toEqual([401, 401]);
    expect(log.withMsg('unauthenticated')).toEqual([
      expect.objectContaining({ level: 'info', component: 'auth', requestId: 'req-401-a', status: 401, reason: 'no Authorization header' }),
      expect.objectContaining({ level: 'info', component: 'auth', requestId: 'req-401-b', status: 401, reason: 'unknown API key', keyId: '0123456789ab' }),
    ]);
    expect(JSON.stringify(log.lines)).not.toContain(unknownKey);
    expect(log.withMsg('request').map((l) => [l.requestId, l.status])).toEqual([
      ['req-401-a', 401],
      ['req-401-b', 401],
    ]);
  });

  it('logs a 429 at info with the tenant, the cost and when to retry', async () => {
    expect((await infer('slow', 'req-429-a')).status).toBe(200);
    const limited = await infer('slow', 'req-429-b');
    expect(limited.status).toBe(429);
    expect(log.withMsg('rate limited')).toEqual([
      expect.objectContaining({
        level: 'info',
        component: 'ratelimit',
        requestId: 'req-429-b',
        status: 429,
        tenant: 'slow',
        cost: 1,
        retryAfterSeconds: Number(limited.headers.get('retry-after')),
      }),
    ]);
  });

  it('logs a 503 with no backend at warn, with the reason, and the backend going down and back once each', async () => {
    backend.ready = false;
    await gw.pool.checkHealth();
    await gw.pool.checkHealth();
    const res = await infer('acme', 'req-503');
    expect(res.status).toBe(503);
    expect(log.withMsg('request failed')).toEqual([
      expect.objectContaining({ level: 'warn', component: 'errors', requestId: 'req-503', status: 503, tenant: 'acme', model: 'toy', error: expect.stringMatching(/backend/) }),
    ]);
    backend.ready = true;
    await gw.pool.checkHealth();
    await gw.pool.checkHealth();
    const transitions = log.lines.filter((l) => l.component === 'backends').map((l) => [l.level, l.msg, l.backend]);
    expect(transitions).toEqual([
      ['warn', 'backend unhealthy; sending its requests elsewhere', 'backend-1'],
      ['info', 'backend healthy again', 'backend-1'],
    ]);
  });

  it('logs an unreachable rate limiter at warn with its cause, which the client does not see', async () => {
    const made = await keysFor({ acme: { models: ['toy'] } });
    keys = made.keys;
    gw = testGateway({
      backends: [backend.origin],
      keys: made.file,
      log: log.logger,
      limiter: { take: () => Promise.reject(new Error('durable object unreachable')) },
    });
    const res = await infer('acme', 'req-limiter');
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain('durable object');
    expect(log.withMsg('request failed')).toEqual([
      expect.objectContaining({ level: 'warn', component: 'errors', requestId: 'req-limiter', tenant: 'acme', reason: 'rate_limiter', cause: 'durable object unreachable' }),
    ]);
  });
});

describe('BackendPool health in the log', () => {
  const targets: BackendTarget[] = [{ name: 'gpu-a', url: 'http://gpu-a.test' }];
  const req: BackendRequest = { method: 'POST', path: '/v2/models/toy/infer', headers: {}, body: new Uint8Array(1) };

  function poolWith(probe: () => Response | Promise<Response>, send: () => Promise<Response>) {
    const log = logLines();
    const transport = (_t: BackendTarget, r: BackendRequest) => (r.path === '/v2/health/ready' ? Promise.resolve(probe()) : send());
    const pool = new BackendPool(targets, transport, { clock: fakeClock(), requestTimeoutMs: 5_000, healthIntervalMs: 2_000, log: log.logger });
    const health = () => log.lines.filter((l: LogLine) => l.backend === 'gpu-a').map((l) => l.msg);
    return { pool, health };
  }

  it('says nothing while a backend stays healthy', async () => {
    const { pool, health } = poolWith(() => new Response(null, { status: 200 }), () => Promise.resolve(new Response('ok')));
    for (let i = 0; i < 3; i++) await pool.checkHealth();
    expect(health()).toEqual([]);
  });

  it('logs a failed probe once however many fail after it, with the reason, and the first passing probe once', async () => {
    let up = false;
    const { pool, health } = poolWith(
      () => {
        if (!up) throw new TypeError('fetch failed');
        return new Response(null, { status: 200 });
      },
      () => Promise.resolve(new Response('ok')),
    );
    for (let i = 0; i < 3; i++) await pool.checkHealth();
    up = true;
    for (let i = 0; i < 3; i++) await pool.checkHealth();
    expect(health()).toEqual(['backend unhealthy; sending its requests elsewhere', 'backend healthy again']);
  });

  it('logs an ejection after a refused connection as the backend going down, not again when probes then fail', async () => {
    let status = 200;
    const { pool, health } = poolWith(
      () => new Response(null, { status }),
      () => Promise.reject(new BackendConnectError('gpu-a: connect ECONNREFUSED')),
    );
    await expect(pool.forward(req)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    status = 503;
    await pool.checkHealth();
    status = 200;
    await pool.checkHealth();
    expect(health()).toEqual(['backend unhealthy; sending its requests elsewhere', 'backend healthy again']);
  });
});

describe('Workers logger (console JSON)', () => {
  it('writes the same access line as pino: level name, ISO time, the bound fields, then msg', async () => {
    const written: string[] = [];
    const made = await keysFor({ acme: { models: ['toy'] } });
    keys = made.keys;
    gw = testGateway({ backends: [backend.origin], keys: made.file, log: consoleJsonLogger({ bindings: { service: 'gateway' }, write: (line) => written.push(line) }) });
    const res = await infer('acme', 'req-worker');
    await res.arrayBuffer();
    const lines = written.map((l) => JSON.parse(l));
    const access = lines.filter((l) => l.msg === 'request');
    expect(access).toEqual([
      expect.objectContaining({ level: 'info', time: expect.stringMatching(ISO_TIME), service: 'gateway', component: 'access', method: 'POST', status: 200, requestId: 'req-worker', tenant: 'acme', model: 'toy' }),
    ]);
    expect(Object.keys(access[0])[0]).toBe('level');
    expect(Object.keys(access[0]).at(-1)).toBe('msg');
  });

  it('writes nothing below its level, and errors with their message and stack', () => {
    const written: string[] = [];
    const log = consoleJsonLogger({ level: 'warn', write: (line) => written.push(line) });
    log.info({}, 'quiet');
    log.child({ component: 'x' }).error({ err: new Error('bad thing') }, 'loud');
    expect(written.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'error', component: 'x', msg: 'loud', err: expect.objectContaining({ type: 'Error', message: 'bad thing', stack: expect.stringContaining('bad thing') }) }),
    ]);
  });
});
