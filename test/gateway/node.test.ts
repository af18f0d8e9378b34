import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/node';
import { binaryBody, deadBackendUrl, startLoopbackBackend, type LoopbackBackend } from './support/loopbackBackend';
import { keysFor } from './support/tenants';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function backend(name: string): Promise<LoopbackBackend> {
  const b = await startLoopbackBackend(name);
  cleanups.push(() => b.kill());
  return b;
}

async function gateway(backends: string[], extra: { requestTimeoutMs?: number } = {}): Promise<{ gw: RunningGateway; key: string }> {
  const { file, keys } = await keysFor({ acme: { models: ['toy'], rate: 1000, burst: 1000 } });
  const gw = await startGateway({ port: 0, backends, keys: file, backendToken: 'loopback-secret', healthIntervalMs: 60_000, logLevel: 'silent', ...extra });
  cleanups.push(() => gw.close());
  return { gw, key: keys.acme };
}

async function infer(gw: RunningGateway, key: string, n: number, base: number) {
  const { body, headerLength, sums } = binaryBody(n, base);
  const res = await fetch(`${gw.url}/v2/models/toy/infer`, {
    method: 'POST',
    body: body as BodyInit,
    headers: { authorization: `Bearer ${key}`, 'inference-header-content-length': String(headerLength), 'content-type': 'application/octet-stream' },
  });
  return { res, sums };
}

describe('startGateway (Node, undici keep-alive pools)', () => {
  it('forwards a binary-extension infer to a real backend with the shared secret and without the client key', async () => {
    const a = await backend('a');
    const { gw, key } = await gateway([a.url]);
    expect(gw.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { res, sums } = await infer(gw, key, 2, 1);
    expect(res.status).toBe(200);
    expect((await res.json()).outputs[0].data).toEqual(sums);
    const sent = a.seen.find((r) => r.path === '/v2/models/toy/infer')!;
    expect(sent.headers['x-siglip-gateway-token']).toBe('loopback-secret');
    expect(sent.headers.authorization).toBeUndefined();
  });

  it('retries a request refused by a dead backend on a live one, and reports the dead one not ready', async () => {
    const a = await backend('a');
    const { gw, key } = await gateway([`dead=${await deadBackendUrl()}`, `live=${a.url}`]);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => infer(gw, key, 1, i)));
    for (const { res, sums } of results) {
      expect(res.status).toBe(200);
      expect((await res.json()).outputs[0].data).toEqual(sums);
    }
    const status = await (await fetch(`${gw.url}/status`)).json();
    expect(status.backends).toEqual([{ name: 'dead', ready: false }, { name: 'live', ready: true }]);
  });

  it('answers 504 when the backend does not answer in time', async () => {
    const a = await backend('a');
    a.hold = true;
    const { gw, key } = await gateway([a.url], { requestTimeoutMs: 50 });
    const { res } = await infer(gw, key, 1, 0);
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ error: 'backend did not answer within 50 ms' });
    a.release();
  });

  it('loses no request when one of two backends dies mid-load: each gets exactly one, correct answer', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const { gw, key } = await gateway([a.url, b.url]);
    a.hold = true;
    b.hold = true;
    const inflight = Array.from({ length: 40 }, (_, i) => infer(gw, key, 1 + (i % 3), i * 100));
    // Both hold their requests, so least-outstanding balancing splits them evenly; then `a` crashes
    // with its share unanswered and `b` lets everything through.
    while (a.held() + b.held() < 40) await new Promise((r) => setTimeout(r, 1));
    expect(a.held()).toBe(20);
    await a.kill();
    b.hold = false;
    b.release();
    const more = Array.from({ length: 20 }, (_, i) => infer(gw, key, 2, 10_000 + i));
    const all = await Promise.all([...inflight, ...more]);
    for (const { res, sums } of all) {
      expect(res.status).toBe(200);
      expect((await res.json()).outputs[0].data).toEqual(sums);
    }
  });

  it('reads bodies straight from the socket and answers 413 past the model limit, declared or streamed', async () => {
    const a = await backend('a');
    const { gw, key } = await gateway([a.url]);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const big = new Uint8Array(200 * 1024).fill(32);
    const declared = await fetch(`${gw.url}/v2/models/toy/infer`, { method: 'POST', body: big, headers });
    expect(declared.status).toBe(413);
    const streamed = await fetch(`${gw.url}/v2/models/toy/infer`, {
      method: 'POST',
      body: new ReadableStream({ start(c) { for (let i = 0; i < 4; i++) c.enqueue(big.subarray(0, 64 * 1024)); c.close(); } }),
      headers,
      // @ts-expect-error Node's fetch needs duplex for a streamed body
      duplex: 'half',
    });
    expect(streamed.status).toBe(413);
    expect(a.seen.filter((r) => r.path.endsWith('/infer'))).toEqual([]);
    // The connection stays usable: a valid request right after still succeeds.
    const { res, sums } = await infer(gw, key, 1, 3);
    expect((await res.json()).outputs[0].data).toEqual(sums);
  });

  it('relays a binary body while it arrives, and a body the client abandons never completes at the backend', async () => {
    const a = await backend('a');
    const { gw, key } = await gateway([a.url]);
    const { body, headerLength } = binaryBody(8, 0);
    const half = Math.floor(body.length / 2);
    const client = request(`${gw.url}/v2/models/toy/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'inference-header-content-length': String(headerLength), 'content-length': String(body.length) },
    });
    client.on('error', () => {});
    client.write(body.subarray(0, half));
    // The backend is asked before the client has sent the rest.
    await vi.waitFor(() => expect(a.started).toContain('/v2/models/toy/infer'));
    client.destroy();
    // The gateway keeps serving, and the abandoned request was never read whole by the backend.
    const { res, sums } = await infer(gw, key, 2, 5);
    expect([res.status, (await res.json()).outputs?.[0].data]).toEqual([200, sums]);
    expect(a.seen.filter((r) => r.path.endsWith('/infer'))).toHaveLength(1);
    expect(a.started.filter((p) => p.endsWith('/infer'))).toHaveLength(2);
  });

  it('starts the backend timeout once a relayed body has fully arrived: a slow upload is not a slow backend', async () => {
    const a = await backend('a');
    const { gw, key } = await gateway([a.url], { requestTimeoutMs: 400 });
    const { body, headerLength, sums } = binaryBody(4, 2);
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const client = request(`${gw.url}/v2/models/toy/infer`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'inference-header-content-length': String(headerLength), 'content-length': String(body.length) },
      }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      });
      client.on('error', reject);
      // The first half now, the rest after more than two timeouts.
      client.write(body.subarray(0, body.length >> 1));
      setTimeout(() => client.end(body.subarray(body.length >> 1)), 1_000);
    });
    const { status, text } = await answer;
    expect([status, JSON.parse(text).outputs?.[0].data]).toEqual([200, sums]);
  });

  it('checks a binary body against the model before relaying any of it', async () => {
    const a = await backend('a');
    const { gw, key } = await gateway([a.url]);
    const { body, headerLength } = binaryBody(1, 0);
    const headers = { authorization: `Bearer ${key}`, 'inference-header-content-length': String(headerLength), 'content-type': 'application/octet-stream' };
    // binary_data_size that disagrees with the bytes that follow, and a header longer than the body.
    const short = await fetch(`${gw.url}/v2/models/toy/infer`, { method: 'POST', body: body.subarray(0, body.length - 4) as BodyInit, headers });
    expect(short.status).toBe(400);
    expect((await short.json()).error).toMatch(/the binary section has 44 bytes, but binary_data_size parameters account for 48/);
    const overlong = await fetch(`${gw.url}/v2/models/toy/infer`, { method: 'POST', body: body as BodyInit, headers: { ...headers, 'inference-header-content-length': String(body.length + 1) } });
    expect(overlong.status).toBe(400);
    expect(a.started.filter((p) => p.endsWith('/infer'))).toEqual([]);
    const { res, sums } = await infer(gw, key, 1, 9);
    expect((await res.json()).outputs[0].data).toEqual(sums);
  });

  it('picks up keys added to the keys file on reloadKeys', async () => {
    const { createTenantKey } = await import('../../gateway/auth/keysFileWriter');
    const dir = await mkdtemp(join(tmpdir(), 'gw-keys-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'keys.json');
    const first = await createTenantKey(file, { tenant: 'one', models: ['toy'] });
    const a = await backend('a');
    const gw = await startGateway({ port: 0, backends: [a.url], keysFile: file, healthIntervalMs: 60_000, logLevel: 'silent' });
    cleanups.push(() => gw.close());
    const second = await createTenantKey(file, { tenant: 'two', models: ['toy'] });
    const ready = (key: string) => fetch(`${gw.url}/v2/models/toy`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect([await ready(first.key), await ready(second.key)]).toEqual([200, 401]);
    await gw.reloadKeys();
    expect([await ready(first.key), await ready(second.key)]).toEqual([200, 200]);
  });
});
