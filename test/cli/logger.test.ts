import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ACCESS_LOG_MESSAGE, accessLogLine } from '../../shared/log/accessLog';
import { createLogger } from '../../shared/log/createLogger';

function captured() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('createLogger (the CLI servers’ logger)', () => {
  it('writes JSON lines with the level as a name and the time in ISO form, at the level asked for', () => {
    const out = captured();
    const log = createLogger({ level: 'warn', destination: out.stream }).child({ service: 'backend' });
    log.info({ a: 1 }, 'below the level');
    log.warn({ model: 'siglip_vision' }, 'fell back to cpu');
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ level: 'warn', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), service: 'backend', model: 'siglip_vision', msg: 'fell back to cpu' }]);
  });

  it('writes human lines instead when asked (stdout a terminal)', () => {
    const out = captured();
    createLogger({ pretty: true, destination: out.stream }).child({ service: 'gateway' }).info({ url: 'http://127.0.0.1:8080' }, 'gateway ready');
    const text = out.text();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: gateway ready\n/);
    expect(text).toContain('service: "gateway"');
    expect(() => JSON.parse(text)).toThrow();
  });
});

describe('accessLogLine (shared by backend and gateway)', () => {
  it('builds the fields in a fixed order, with model and tenant only where known, and the message "request"', () => {
    const [fields, msg] = accessLogLine({ method: 'POST', path: '/v2/models/m/infer', status: 200, durationMs: 12.3456, bytesIn: 10, bytesOut: 20, requestId: 'r1', model: 'm' });
    expect(msg).toBe(ACCESS_LOG_MESSAGE);
    expect(msg).toBe('request');
    expect(Object.entries(fields)).toEqual([
      ['method', 'POST'],
      ['path', '/v2/models/m/infer'],
      ['model', 'm'],
      ['status', 200],
      ['durationMs', 12.3],
      ['bytesIn', 10],
      ['bytesOut', 20],
      ['requestId', 'r1'],
    ]);
  });
});
