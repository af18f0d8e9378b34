import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { binaryInfer, jsonInfer, mswBackend, type MswBackend } from './support/mswBackend';
import { keysFor } from './support/tenants';
import { testGateway } from './support/testGateway';

const backend: MswBackend = mswBackend('http://backend-a.test');
const server = setupServer(...backend.handlers);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
afterEach(() => {
  backend.seen.length = 0;
  backend.ready = true;
  backend.hang = false;
});

let keys: Record<string, string>;
let gw: ReturnType<typeof testGateway>;
beforeEach(async () => {
  const made = await keysFor({
    acme: { models: ['toy', 'siglip_vision', 'embed_text', 'embed_image'], rate: 1, burst: 10 },
    limited: { models: ['embed_text'] },
    all: { models: ['*'] },
  });
  keys = made.keys;
  gw = testGateway({ backends: [backend.origin], keys: made.file });
});

const bearer = (tenant = 'acme') => ({ authorization: `Bearer ${keys[tenant]}` });
const inferCalls = () => backend.seen.filter((r) => r.path.endsWith('/infer'));
const post = (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  gw.app.request(path, { method: 'POST', body: body as BodyInit, headers: { ...bearer(), 'content-type': 'application/json', ...headers } });

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate: Bearer when the key is missing, and calls no backend', async () => {
    const res = await gw.app.request('/v2/models/toy/infer', { method: 'POST', body: jsonInfer('PIXEL_VALUES', [1, 3, 2, 2]) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="siglip"');
    expect(await res.json()).toEqual({ error: 'missing Authorization: Bearer <key> header' });
    expect(backend.seenExceptHealth()).toEqual([]);
  });

  it.each([
    ['an unknown key', 'Bearer sgk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a known id with the wrong secret', () => `Bearer ${keys.acme.slice(0, -1)}${keys.acme.endsWith('A') ? 'B' : 'A'}`],
    ['another scheme', () => `Basic ${keys.acme}`],
    ['garbage', 'Bearer'],
  ])('answers 401 invalid_token for %s', async (_, header) => {
    const res = await gw.app.request('/v2/models/toy', { headers: { authorization: typeof header === 'function' ? header() : header } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="siglip", error="invalid_token"');
    expect(backend.seenExceptHealth()).toEqual([]);
  });

  it('never forwards the client Authorization header, and sends the shared secret', async () => {
    const res = await gw.app.request('/v2/models/toy/ready', { headers: { ...bearer(), cookie: 'a=b' } });
    expect(res.status).toBe(200);
    const ready = backend.seen.find((r) => r.path === '/v2/models/toy/ready')!;
    expect(ready.headers.get('authorization')).toBeNull();
    expect(ready.headers.get('cookie')).toBeNull();
    expect(ready.headers.get('x-siglip-gateway-token')).toBe('shared-secret');
  });

  it('answers 403 for a model the tenant may not use, without touching the backend', async () => {
    const res = await gw.app.request('/v2/models/toy', { headers: bearer('limited') });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "tenant 'limited' may not use model 'toy'" });
    expect(res.headers.get('ratelimit-limit')).toBe('100');
    expect(backend.seenExceptHealth()).toEqual([]);
  });
});

describe('routes', () => {
  it.each([
    ['GET', '/v2'],
    ['GET', '/v2/health/ready'],
    ['GET', '/metrics'],
    ['GET', '/v2/models/stats'],
    ['POST', '/v2/repository/index'],
    ['GET', '/v2/models/toy/infer'],
    ['POST', '/v2/models/toy/ready'],
    ['GET', '/v2/models/toy/versions/1/unload'],
    ['GET', '/v2/models/toy%2F..%2F..%2Fhealth/ready'],
    ['GET', '/v2/models/%2e%2e/ready'],
    ['GET', '/v2/models/../../metrics'],
    ['GET', '/v2/models/..'],
    ['GET', '/v2/models/toy/versions/1%2F..%2F2/ready'],
  ])('answers 404 to %s %s and forwards nothing (not an open proxy)', async (method, path) => {
    const res = await gw.app.request(path, { method, headers: bearer('all') });
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty('error');
    expect(backend.seenExceptHealth()).toEqual([]);
  });

  it('answers 404 for a model the backends do not serve', async () => {
    const res = await gw.app.request('/v2/models/nope/ready', { headers: bearer('all') });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "unknown model 'nope'" });
    expect(backend.seen.map((r) => r.path)).not.toContain('/v2/models/nope/ready');
  });

  it('checks the version against the model metadata', async () => {
    expect((await gw.app.request('/v2/models/toy/versions/2/ready', { headers: bearer() })).status).toBe(404);
    expect((await gw.app.request('/v2/models/toy/versions/1/ready', { headers: bearer() })).status).toBe(200);
    expect(backend.seen.map((r) => r.path)).toContain('/v2/models/toy/versions/1/ready');
  });

  it('forwards metadata from the backend', async () => {
    const res = await gw.app.request('/v2/models/toy', { headers: bearer() });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'toy', inputs: [{ name: 'PIXEL_VALUES', shape: [-1, 3, 2, 2] }] });
  });

  it('relays an infer answer without hop-by-hop or cookie headers', async () => {
    const res = await post('/v2/models/toy/infer', jsonInfer('PIXEL_VALUES', [1, 3, 2, 2]));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ model_name: 'toy', outputs: [{ name: 'EMBEDDING', shape: [1, 4] }] });
    expect(res.headers.get('x-backend')).toBe(backend.origin);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('connection')).toBeNull();
  });

  it('forwards the exact bytes it received', async () => {
    const body = jsonInfer('PIXEL_VALUES', [2, 3, 2, 2]);
    await post('/v2/models/toy/infer', body);
    expect(new TextDecoder().decode(inferCalls()[0].body)).toBe(body);
  });
});

describe('X-Request-Id', () => {
  it('propagates a caller id to the backend and back', async () => {
    const res = await post('/v2/models/toy/infer', jsonInfer('PIXEL_VALUES', [1, 3, 2, 2]), { 'x-request-id': 'req-42' });
    expect(res.headers.get('x-request-id')).toBe('req-42');
    expect(inferCalls()[0].headers.get('x-request-id')).toBe('req-42');
  });

  it('generates one when absent or unsafe, on every answer', async () => {
    const res = await gw.app.request('/nowhere', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const ok = await post('/v2/models/toy/infer', jsonInfer('PIXEL_VALUES', [1, 3, 2, 2]));
    expect(inferCalls()[0].headers.get('x-request-id')).toBe(ok.headers.get('x-request-id'));
  });
});

describe('validation: invalid requests never reach a backend', () => {
  it.each([
    ['malformed JSON', '{"inputs": [', 400, /malformed JSON/],
    ['no inputs', '{"inputs": []}', 400, /model 'toy' expects input 'PIXEL_VALUES', which the request lacks/],
    ['a wrong input name', jsonInfer('PIXELS', [1, 3, 2, 2]), 400, /unexpected inference input 'PIXELS' for model 'toy', expected 'PIXEL_VALUES'/],
    ['a wrong datatype', jsonInfer('PIXEL_VALUES', [1, 3, 2, 2], 'FP64'), 400, /PIXEL_VALUES: expected datatype FP32, got FP64/],
    ['a wrong shape', jsonInfer('PIXEL_VALUES', [1, 3, 2, 3]), 400, /PIXEL_VALUES: expected shape \[-1,3,2,2\] for model 'toy', got \[1,3,2,3\]/],
    ['a wrong rank', jsonInfer('PIXEL_VALUES', [3, 2, 2]), 400, /expected shape/],
    ['a batch above max_batch_size', jsonInfer('PIXEL_VALUES', [9, 3, 2, 2]), 400, /PIXEL_VALUES: batch size 9 exceeds the maximum of 8 for model 'toy'/],
    ['too few values', jsonInfer('PIXEL_VALUES', [1, 3, 2, 2], 'FP32', 11), 400, /expected 12 values for shape \[1,3,2,2\], got 11/],
    ['non-numeric data', JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 2, 2], datatype: 'FP32', data: new Array(12).fill('x') }] }), 400, /PIXEL_VALUES/],
    ['an unknown output', JSON.stringify({ ...JSON.parse(jsonInfer('PIXEL_VALUES', [1, 3, 2, 2])), outputs: [{ name: 'LOGITS' }] }), 400, /unexpected inference output 'LOGITS' for model 'toy'/],
  ])('answers %s with 400', async (_, body, status, message) => {
    const res = await post('/v2/models/toy/infer', body);
    expect(res.status).toBe(status);
    expect((await res.json()).error).toMatch(message);
    expect(inferCalls()).toEqual([]);
  });

  it('answers 415 to a content type it cannot read', async () => {
    const res = await post('/v2/models/toy/infer', jsonInfer('PIXEL_VALUES', [1, 3, 2, 2]), { 'content-type': 'text/html' });
    expect(res.status).toBe(415);
    expect(inferCalls()).toEqual([]);
  });

  it('answers 413 from Content-Length alone when the body exceeds the model-derived limit', async () => {
    // siglip_vision: max batch 4 × 442,368 FP32 = 7,077,888 bytes of tensor data (+ header allowance).
    const { body, headerLength } = binaryInfer('PIXEL_VALUES', [1, 3, 384, 384]);
    const big = new Uint8Array(8 * 1024 * 1024);
    big.set(body);
    const res = await post('/v2/models/siglip_vision/infer', big, { 'inference-header-content-length': String(headerLength), 'content-type': 'application/octet-stream' });
    expect(res.status).toBe(413);
    expect(inferCalls()).toEqual([]);
  });

  it('answers 413 to a streamed body that grows past the limit', async () => {
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent++ < 10) ctrl.enqueue(chunk);
        else ctrl.close();
      },
    });
    const res = await gw.app.request('/v2/models/toy/infer', {
      method: 'POST',
      body: stream,
      headers: { ...bearer(), 'content-type': 'application/json' },
      // @ts-expect-error Node's fetch needs duplex for a streamed body
      duplex: 'half',
    });
    expect(res.status).toBe(413);
    expect(inferCalls()).toEqual([]);
  });

  describe('binary extension', () => {
    const send = (b: { body: Uint8Array; headerLength: number }, declaredHeader = String(b.headerLength)) =>
      post('/v2/models/siglip_vision/infer', b.body, { 'inference-header-content-length': declaredHeader, 'content-type': 'application/octet-stream' });

    it('forwards a consistent request untouched', async () => {
      const b = binaryInfer('PIXEL_VALUES', [2, 3, 384, 384]);
      const res = await send(b);
      expect(res.status).toBe(200);
      expect(inferCalls()).toHaveLength(1);
      expect(Buffer.compare(inferCalls()[0].body, b.body)).toBe(0);
      expect(inferCalls()[0].headers.get('inference-header-content-length')).toBe(String(b.headerLength));
    });

    it.each([
      ['a header length beyond the body', (b: { body: Uint8Array; headerLength: number }) => String(b.body.length + 1), {}, /Inference-Header-Content-Length is/],
      ['a header length that cuts the JSON', (b: { body: Uint8Array; headerLength: number }) => String(b.headerLength - 5), {}, /malformed JSON/],
      ['a non-numeric header length', () => 'abc', {}, /must be a non-negative integer/],
      ['binary_data_size not matching the shape', undefined, { declared: 100 }, /PIXEL_VALUES: expected 1769472 bytes of FP32 for shape \[1,3,384,384\], got binary_data_size 100/],
      ['fewer bytes than declared', undefined, { actual: 1769472 - 4 }, /the binary section has 1769468 bytes, but binary_data_size parameters account for 1769472/],
    ])('answers 400 to %s', async (_, header, sizes, message) => {
      const b = binaryInfer('PIXEL_VALUES', [1, 3, 384, 384], sizes);
      const res = await send(b, header ? header(b) : undefined);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatch(message);
      expect(inferCalls()).toEqual([]);
    });
  });
});

describe('rate limiting', () => {
  it('puts RateLimit headers on answers and charges a batch of n as n', async () => {
    const res = await post('/v2/models/toy/infer', jsonInfer('PIXEL_VALUES', [4, 3, 2, 2]));
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-limit')).toBe('10');
    expect(res.headers.get('ratelimit-remaining')).toBe('6');
    expect(res.headers.get('ratelimit-reset')).toBe('4');
  });

  it('answers 429 with Retry-After once the bucket is empty, and serves again after refill', async () => {
    for (let i = 0; i < 2; i++) expect((await post('/v2/models/toy/infer', jsonInfer('PIXEL_VALUES', [4, 3, 2, 2]))).status).toBe(200);
    const denied = await post('/v2/models/toy/infer', jsonInfer('PIXEL_VALUES', [4, 3, 2, 2]));
    expect(denied.status).toBe(429);
    expect(denied.headers.get('retry-after')).toBe('2');
    expect(denied.headers.get('ratelimit-remaining')).toBe('2');
    expect((await denied.json()).error).toMatch(/rate limit exceeded/);
    expect(inferCalls()).toHaveLength(2);
    gw.clock.advance(2_000);
    expect((await post('/v2/models/toy/infer', jsonInfer('PIXEL_VALUES', [4, 3, 2, 2]))).status).toBe(200);
  });

  it('charges a rejected request one token and still sends the headers', async () => {
    const res = await post('/v2/models/toy/infer', '{"inputs": [');
    expect(res.status).toBe(400);
    expect(res.headers.get('ratelimit-remaining')).toBe('9');
  });

  it('keeps tenants apart', async () => {
    const made = await keysFor({ a: { burst: 1, rate: 1 }, b: { burst: 1, rate: 1 } });
    const g = testGateway({ backends: [backend.origin], keys: made.file });
    const call = (t: string) => g.app.request('/v2/models/toy/ready', { headers: { authorization: `Bearer ${made.keys[t]}` } });
    expect((await call('a')).status).toBe(200);
    expect((await call('a')).status).toBe(429);
    expect((await call('b')).status).toBe(200);
  });

  it('fails closed with 503 when the limiter cannot be reached', async () => {
    const made = await keysFor({ acme: {} });
    const broken = { take: async () => { throw new Error('limiter down'); } };
    const g = testGateway({ backends: [backend.origin], keys: made.file, limiter: broken });
    const res = await g.app.request('/v2/models/toy/ready', { headers: { authorization: `Bearer ${made.keys.acme}` } });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'rate limiter unavailable; try again shortly' });
    expect(backend.seen.map((r) => r.path)).not.toContain('/v2/models/toy/ready');
  });

  it('fails open when configured to', async () => {
    const made = await keysFor({ acme: {} });
    const broken = { take: async () => { throw new Error('limiter down'); } };
    const g = testGateway({ backends: [backend.origin], keys: made.file, limiter: broken, settings: { limiterFailure: 'open' } });
    const res = await g.app.request('/v2/models/toy/ready', { headers: { authorization: `Bearer ${made.keys.acme}` } });
    expect(res.status).toBe(200);
  });

  it('refuses a batch larger than the burst with 413 instead of a 429 that could never clear', async () => {
    const made = await keysFor({ small: { burst: 2 } });
    const g = testGateway({ backends: [backend.origin], keys: made.file });
    const res = await g.app.request('/v2/models/toy/infer', { method: 'POST', body: jsonInfer('PIXEL_VALUES', [3, 3, 2, 2]), headers: { authorization: `Bearer ${made.keys.small}` } });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatch(/batch of 3 exceeds tenant 'small' burst of 2/);
    expect(inferCalls()).toEqual([]);
  });
});

describe('/v1/embeddings', () => {
  it('forwards a valid request and charges one token per item', async () => {
    const res = await post('/v1/embeddings', JSON.stringify({ model: 'embed_text', input: ['a', 'b', 'c'] }));
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-remaining')).toBe('7');
    expect(backend.seen.map((r) => r.path)).toContain('/v1/embeddings');
  });

  it('answers 403 when an item needs a tower the tenant may not use (images need embed_image)', async () => {
    const res = await post('/v1/embeddings', JSON.stringify({ input: ['a', { image: 'data:image/png;base64,AAAA' }] }), bearer('limited'));
    expect(res.status).toBe(403);
    expect((await res.json()).error).toMatch(/embed_image/);
    expect(backend.seen.map((r) => r.path)).not.toContain('/v1/embeddings');
  });

  it('lets a text-only tenant embed texts, with or without a model name', async () => {
    const res = await post('/v1/embeddings', JSON.stringify({ input: ['a photo of a cat'] }), bearer('limited'));
    expect(res.status).toBe(200);
  });

  it('forwards mixed text and image items, charging one token each', async () => {
    const res = await post('/v1/embeddings', JSON.stringify({ model: 'siglip', input: ['a', { image: 'data:image/png;base64,AAAA' }] }));
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-remaining')).toBe('8');
  });

  it('answers 400 to a body without input', async () => {
    const res = await post('/v1/embeddings', JSON.stringify({ model: 'embed_text' }));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/input/);
  });
});
