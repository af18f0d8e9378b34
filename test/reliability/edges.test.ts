/**
 * Issue 11, defect 9 and the /v1/embeddings items: the edges of the protocol a hostile or careless client finds,
 * each answered with a clear {"error"} and the right status, and the backend's access log.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { isAllowedImageUrl } from '../../gpu-backend/http/routes/embeddingsRoute';
import { SiglipTokenizer } from '../../gpu-backend/models/text/siglipTokenizer';
import { startBackend, type Backend } from '../../gpu-backend/server';
import { captureLogger } from '../helpers/logCapture';
import { modelStats } from '../helpers/visionRequests';

let backend: Backend;
const { logger, lines } = captureLogger('info');
beforeAll(async () => {
  backend = await startBackend({ port: 0, metricsPort: false, providers: ['cpu'], workers: 1 }, logger);
});
afterAll(() => backend.close());

/** Sends raw bytes on a fresh connection and returns everything the server wrote before closing. */
function rawExchange(bytes: string): Promise<string> {
  const { port } = new URL(backend.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
  });
}

const bodyOf = (reply: string) => JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));

describe('protocol edges', () => {
  it('answers a malformed percent-escape in the model name with 400, not 500 "URI malformed"', async () => {
    const res = await fetch(`${backend.url}/v2/models/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe("malformed percent-encoding in the URL path segment '%E0%A4%A'");
  });

  it('answers a wrong method with 405 and Allow, as Triton does', async () => {
    const res = await fetch(`${backend.url}/v2/models/siglip_vision/infer`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((await res.json()).error).toBe('method GET not allowed for /v2/models/siglip_vision/infer; use POST');
  });

  it.each([
    ['a bad Content-Length', 'POST /v2/models/siglip_vision/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 12x\r\n\r\n', 400, 'malformed Content-Length header'],
    [
      'Content-Length with Transfer-Encoding',
      'POST /v2/models/siglip_vision/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
      400,
      'malformed Transfer-Encoding header, or Transfer-Encoding together with Content-Length',
    ],
    ['headers over the limit', `GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'request headers too large'],
  ])("answers Node's parser error on %s in the error shape", async (_, bytes, status, message) => {
    const reply = await rawExchange(bytes);
    expect(reply.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    expect(bodyOf(reply)).toEqual({ error: message });
  });

  it('takes a huge parameters.timeout without a TimeoutOverflowWarning storm', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const body = JSON.stringify({ parameters: { timeout: 1e15 }, inputs: [{ name: 'INPUT_IDS', shape: [1, 64], datatype: 'INT64', data: new Array(64).fill(1) }] });
      const res = await fetch(`${backend.url}/v2/models/siglip_text/infer`, { method: 'POST', body });
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('writes one access line per request with method, path, model, status, duration, bytes and request id', async () => {
    const res = await fetch(`${backend.url}/v2/models/siglip_text/infer`, {
      method: 'POST',
      headers: { 'x-request-id': 'access-1' },
      body: JSON.stringify({ inputs: [{ name: 'INPUT_IDS', shape: [1, 64], datatype: 'INT64', data: new Array(64).fill(1) }] }),
    });
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 20));
    const line = lines.find((l) => l.msg === 'request' && l.requestId === 'access-1');
    expect(line).toMatchObject({ method: 'POST', path: '/v2/models/siglip_text/infer', model: 'siglip_text', status: 200, bytesOut: Number(res.headers.get('content-length')) });
    expect(line!.bytesIn).toBeGreaterThan(0);
    expect(typeof line!.durationMs).toBe('number');
    expect(res.headers.get('x-request-id')).toBe('access-1');
  });
});

describe('the image URL allowlist', () => {
  const allow = ['http://127.0.0.1:1905/img', 'https://images.example.com/'];
  it.each([
    ['http://127.0.0.1:1905/img/a.png', true],
    ['http://127.0.0.1:1905/img', true],
    ['https://images.example.com/cat.jpg', true],
    ['http://127.0.0.1:19059/img/a.png', false],
    ['http://127.0.0.1:1905/imgs/a.png', false],
    ['http://127.0.0.1:1905.evil.com/img/a.png', false],
    ['https://images.example.com.evil.com/cat.jpg', false],
    ['https://user:pw@images.example.com/cat.jpg', false],
    ['file:///etc/passwd', false],
    ['not a url', false],
  ])('%s allowed: %s', (url, ok) => {
    expect(isAllowedImageUrl(url, allow)).toBe(ok);
  });
});

describe('/v1/embeddings tells the truth', () => {
  const post = (body: unknown) => fetch(`${backend.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }));

  it("counts usage with the real tokenizer, not words + 1", async () => {
    const one = await post({ input: 'a photo of a cat, please!!' });
    expect(one.status).toBe(200);
    // The tokenizer's pieces of the canonical "a photo of a cat please", plus EOS (words + 1 said 7).
    const tokenizer = await SiglipTokenizer.fromDirectory(fileURLToPath(new URL('../../model_repository/embed_text', import.meta.url)), { maxLength: 64 });
    const pieces = tokenizer.tokenize('a photo of a cat, please!!').length;
    expect(one.body.usage).toEqual({ prompt_tokens: pieces + 1, total_tokens: pieces + 1 });
    const two = await post({ input: ['a photo of a cat, please!!', 'a photo of a cat, please!!'] });
    expect(two.body.usage.prompt_tokens).toBe(2 * one.body.usage.prompt_tokens);
  });

  it('refuses dimensions other than the model width with a clear 400, and takes the model width', async () => {
    const refused = await post({ input: 'a cat', dimensions: 16 });
    expect(refused).toEqual({ status: 400, body: { error: 'dimensions 16 is not supported: SigLIP embeddings are 64-d and cannot be shortened; leave dimensions out' } });
    expect((await post({ input: 'a cat', dimensions: 64 })).status).toBe(200);
  });

  it('counts its successes in the models it used (nv_inference_request_success, /stats)', async () => {
    const before = (await modelStats(backend.url, 'embed_text')).inference_stats.success.count;
    expect((await post({ input: ['a', 'b'] })).status).toBe(200);
    const after = (await modelStats(backend.url, 'embed_text')).inference_stats.success.count;
    expect(after - before).toBe(1);
    const metrics = await (await fetch(`${backend.url}/metrics`)).text();
    expect(metrics).toMatch(/nv_inference_request_success\{model="embed_text",version="1"\} [1-9]/);
  });
});
