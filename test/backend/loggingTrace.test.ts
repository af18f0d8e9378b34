import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startBackend, type Backend } from '../../gpu-backend/server';

// Triton's logging and trace-setting endpoints, which clients probe: what we support answers as Triton does,
// the rest gets a clear error, and nothing is accepted and then ignored.
let backend: Backend;
const lines: Record<string, unknown>[] = [];
beforeAll(async () => {
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  backend = await startBackend({ port: 0, metricsPort: false, providers: ['cpu'], workers: 1 }, logger);
});
afterAll(async () => {
  await backend?.close();
});

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${backend.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
};
const accessLines = () => lines.filter((l) => l.msg === 'request').length;

describe('/v2/logging', () => {
  it('reports the settings as Triton does', async () => {
    expect(await call('GET', '/v2/logging')).toEqual({
      status: 200,
      body: { log_file: '', log_info: true, log_warning: true, log_error: true, log_verbose_level: 0, log_format: 'default' },
    });
  });

  it('turns info logging (the access log) off and on at run time', async () => {
    expect((await call('POST', '/v2/logging', { log_info: false })).body.log_info).toBe(false);
    const before = accessLines();
    await call('GET', '/v2');
    await call('GET', '/v2/models/siglip_vision');
    expect(accessLines()).toBe(before);
    expect((await call('POST', '/v2/logging', { log_info: true, log_verbose_level: 1 })).body).toMatchObject({ log_info: true, log_verbose_level: 1 });
    await call('GET', '/v2');
    expect(accessLines()).toBeGreaterThan(before);
    await call('POST', '/v2/logging', { log_verbose_level: 0 });
  });

  it('refuses what it cannot do, as a whole, with a reason', async () => {
    expect(await call('POST', '/v2/logging', { log_info: false, log_file: '/tmp/x.log' })).toEqual({
      status: 400,
      body: { error: 'log_file is not supported: the backend writes JSON lines to stdout; redirect stdout to keep a file' },
    });
    expect((await call('GET', '/v2/logging')).body.log_info).toBe(true);
    expect(await call('POST', '/v2/logging', { log_format: 'ISO8601' })).toEqual({
      status: 400,
      body: { error: "log_format 'ISO8601' is not supported: the backend's format is JSON lines with ISO times ('default')" },
    });
    expect((await call('POST', '/v2/logging', { log_levels: 3 })).status).toBe(400);
    expect((await call('POST', '/v2/logging', { log_info: 'yes' })).body).toEqual({ error: 'log_info must be a boolean' });
  });
});

describe('/v2/trace/setting', () => {
  const OFF = { trace_level: ['OFF'], trace_rate: '1000', trace_count: '-1', log_frequency: '0', trace_file: '', trace_mode: 'triton' };

  it('reports tracing off, globally and per model', async () => {
    expect(await call('GET', '/v2/trace/setting')).toEqual({ status: 200, body: OFF });
    expect(await call('GET', '/v2/models/siglip_vision/trace/setting')).toEqual({ status: 200, body: OFF });
    expect((await call('GET', '/v2/models/nope/trace/setting')).status).toBe(404);
  });

  it('accepts turning it off, and refuses turning it on', async () => {
    expect(await call('POST', '/v2/trace/setting', { trace_level: ['OFF'] })).toEqual({ status: 200, body: OFF });
    expect(await call('POST', '/v2/trace/setting', { trace_level: ['TIMESTAMPS'] })).toEqual({
      status: 400,
      body: { error: 'tracing is not supported by this server: only {"trace_level": ["OFF"]} is accepted (got trace_level: ["TIMESTAMPS"])' },
    });
  });
});
