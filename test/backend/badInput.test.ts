import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { binaryRequest, jsonPixelRequest, startTestBackend } from '../helpers/backend';
import { readError } from '../helpers/errorResponse';
import { trackRequests, TEST_REQUEST_HEADER } from '../helpers/requestTracker';
import { expectServing, IMAGE, inferImage, knownImages, visionBinaryRequest } from '../helpers/visionRequests';

const pixels = knownImages[0].pixels;
const SHAPE = [1, 3, 384, 384];

/** A JSON request body with `n` zeros as PIXEL_VALUES data (cheap to build, any length). */
function zerosRequest(n: number, input: object = {}): string {
  const data = n ? `[${'0,'.repeat(n - 1)}0]` : '[]';
  const head = JSON.stringify({ name: 'PIXEL_VALUES', shape: SHAPE, datatype: 'FP32', ...input });
  return `{"inputs":[${head.slice(0, -1)},"data":${data}}]}`;
}

/** The binary section after a JSON header, sent with a chosen Inference-Header-Content-Length (or none). */
function binaryBody(header: object, binary: ArrayBufferView, headerLength?: string): { body: Uint8Array; headers: Record<string, string> } {
  const req = binaryRequest(header, binary);
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (headerLength !== undefined) headers['inference-header-content-length'] = headerLength;
  return { body: req.body, headers };
}

const binaryHeader = (size: number, extra: object = {}) => ({
  inputs: [{ name: 'PIXEL_VALUES', shape: SHAPE, datatype: 'FP32', parameters: { binary_data_size: size }, ...extra }],
});

describe('siglip_vision refuses bad input with a clear 4xx and keeps serving', () => {
  let backend: Backend;
  let url: string;
  let infer: string;
  beforeAll(async () => {
    backend = await startTestBackend();
    url = backend.url;
    infer = `${url}/v2/models/siglip_vision/infer`;
  });
  afterAll(() => backend.close());
  // Every bad request below must leave the server answering valid ones correctly.
  afterEach(() => expectServing(url));

  const post = (body: string | Uint8Array, headers: Record<string, string> = { 'content-type': 'application/json' }, target = infer) =>
    fetch(target, { method: 'POST', headers, body: body as BodyInit });

  describe('JSON requests', () => {
    it('answers 400 to malformed JSON, small or large enough to be decoded off the event loop', async () => {
      expect(await readError(await post('{"inputs": ['))).toEqual({ status: 400, error: expect.stringMatching(/malformed JSON/i) });
      // A 442368-value body cut off mid-array goes to the worker pool; its error must still be a 400.
      const truncated = zerosRequest(IMAGE).slice(0, -100);
      expect(await readError(await post(truncated))).toEqual({ status: 400, error: expect.stringMatching(/malformed JSON/i) });
      expect(await readError(await post(''))).toMatchObject({ status: 400 });
    });

    it('answers 400 naming the expected input to a wrong input name', async () => {
      const { status, error } = await readError(await post(zerosRequest(IMAGE, { name: 'PIXELS' })));
      expect(status).toBe(400);
      expect(error).toContain("'PIXELS'");
      expect(error).toContain("'PIXEL_VALUES'");
    });

    it('answers 400 to a request without the model input', async () => {
      const { status, error } = await readError(await post('{"inputs":[]}'));
      expect(status).toBe(400);
      expect(error).toContain('PIXEL_VALUES');
    });

    it('answers 400 naming both datatypes to a wrong datatype', async () => {
      const { status, error } = await readError(await post(zerosRequest(IMAGE, { datatype: 'FP64' })));
      expect(status).toBe(400);
      expect(error).toMatch(/PIXEL_VALUES: expected datatype FP32, got FP64/);
      expect(await readError(await post(zerosRequest(IMAGE, { datatype: 'FLOAT32' })))).toMatchObject({ status: 400 });
    });

    it('answers 400 with the expected shape to a wrong shape', async () => {
      const { status, error } = await readError(await post(zerosRequest(3 * 224 * 224, { shape: [1, 3, 224, 224] })));
      expect(status).toBe(400);
      expect(error).toBe("PIXEL_VALUES: expected shape [-1,3,384,384] for model 'siglip_vision', got [1,3,224,224]");
      for (const shape of [[3, 384, 384], [1, 3, 384, 384, 1]]) {
        const n = shape.reduce((a, b) => a * b, 1);
        expect(await readError(await post(zerosRequest(n, { shape })))).toMatchObject({ status: 400, error: expect.stringContaining('expected shape') });
      }
      expect(await readError(await post(zerosRequest(0, { shape: [0, 3, 384, 384] })))).toEqual({ status: 400, error: 'PIXEL_VALUES: batch size must be at least 1, got 0' });
    });

    it('answers 400 saying how many values the shape needs when the data length does not match', async () => {
      expect(await readError(await post(zerosRequest(IMAGE - 1)))).toEqual({
        status: 400,
        error: expect.stringMatching(/^(input ')?PIXEL_VALUES'?: expected 442368 values for shape \[1,3,384,384\], got 442367$/),
      });
      expect(await readError(await post(zerosRequest(IMAGE + 1)))).toMatchObject({ status: 400, error: expect.stringContaining('got 442369') });
      // A shape claiming a huge batch with little data must not make the server allocate for the claim.
      const { status, error } = await readError(await post(zerosRequest(10, { shape: [100_000, 3, 384, 384] })));
      expect(status).toBe(400);
      expect(error).toContain('got 10');
    });

    it('answers 400 naming the element to non-numeric data', async () => {
      for (const bad of ['"0.5"', 'true', 'null', '{}']) {
        const body = zerosRequest(IMAGE).replace(/\[0,0,0,/, `[0,0,${bad},`);
        const { status, error } = await readError(await post(body));
        expect(status).toBe(400);
        expect(error).toMatch(/PIXEL_VALUES'?: data element 2 /);
      }
      // Not a number either, and not one of Triton's NaN/Infinity spellings.
      expect(await readError(await post(zerosRequest(IMAGE).replace('[0,', '[Nope,')))).toMatchObject({ status: 400, error: expect.stringMatching(/^malformed JSON at byte \d+/) });
    });

    it("takes NaN and Infinity in the data as Triton's parser does, and writes NaN outputs as Triton writes them", async () => {
      // perf_analyzer's random JSON input contains these tokens.
      const res = await post(zerosRequest(IMAGE).replace('[0,0,0,', '[NaN,Infinity,-Infinity,'));
      expect(res.status).toBe(200);
      const text = await res.text();
      // rapidjson's kWriteNanAndInfFlag spelling, not JSON.stringify's null.
      expect(text).toMatch(/"data":\[(NaN,)*NaN\]/);
      expect(text).not.toContain('null');
    });

    it('answers 400 to a value too large for a double (1e400), naming the element', async () => {
      const res = await post(zerosRequest(IMAGE).replace('[0,0,', '[0,1e400,'));
      expect(await readError(res)).toEqual({ status: 400, error: "input 'PIXEL_VALUES': data element 1 is out of range for FP32 (too large for a double)" });
    });

    it('answers 400 when data is not an array', async () => {
      const body = JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: SHAPE, datatype: 'FP32', data: 'AAAA' }] });
      expect(await readError(await post(body))).toMatchObject({ status: 400, error: expect.stringContaining('PIXEL_VALUES') });
    });

    it('answers 400 naming an unknown output', async () => {
      const body = jsonPixelRequest(pixels, 1, { outputs: [{ name: 'LOGITS' }] });
      const { status, error } = await readError(await post(body));
      expect(status).toBe(400);
      expect(error).toContain("'LOGITS'");
    });

    it('answers 404 to an unknown model or version', async () => {
      const body = zerosRequest(IMAGE);
      expect(await readError(await post(body, undefined, `${url}/v2/models/siglip_vision_large/infer`))).toEqual({
        status: 404,
        error: expect.stringContaining("'siglip_vision_large'"),
      });
      expect(await readError(await post(body, undefined, `${url}/v2/models/siglip_vision/versions/2/infer`))).toMatchObject({ status: 404 });
    });

    it('answers 415 to a content type it does not speak', async () => {
      const { status, error } = await readError(await post(zerosRequest(IMAGE), { 'content-type': 'text/html' }));
      expect(status).toBe(415);
      expect(error).toContain('text/html');
    });

    it('answers 4xx with {"error"} to a method the route does not take', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const { status, error } = await readError(await fetch(infer, { method }));
        expect(status).toBeGreaterThanOrEqual(400);
        expect(status).toBeLessThan(500);
        expect(error).toContain(method);
      }
    });
  });

  describe('binary tensor extension', () => {
    it('answers 400 naming the header when binary_data_size comes without Inference-Header-Content-Length', async () => {
      const header = JSON.stringify(binaryHeader(IMAGE * 4));
      const { status, error } = await readError(await post(header));
      expect(status).toBe(400);
      expect(error).toMatch(/Inference-Header-Content-Length/i);
      // With the binary section attached but no header, the body is not JSON: still a 400, not a crash.
      const withData = binaryBody(binaryHeader(IMAGE * 4), pixels);
      expect(await readError(await post(withData.body, withData.headers))).toMatchObject({ status: 400 });
    });

    it('answers 400 to an Inference-Header-Content-Length larger than the body', async () => {
      const req = visionBinaryRequest(pixels);
      const headers = { ...req.headers, 'inference-header-content-length': String(req.body.length + 1) };
      const { status, error } = await readError(await post(req.body, headers));
      expect(status).toBe(400);
      expect(error).toContain(`the body has ${req.body.length} bytes`);
    });

    it('answers 400 to an Inference-Header-Content-Length that is not a non-negative integer', async () => {
      const req = visionBinaryRequest(pixels);
      for (const value of ['abc', '-5', '12.5', '0x10', '', '0']) {
        const headers = { ...req.headers, 'inference-header-content-length': value };
        const { status, error } = await readError(await post(req.body, headers));
        expect(status).toBe(400);
        expect(error).toMatch(/Inference-Header-Content-Length/i);
      }
    });

    it('answers 400 to an Inference-Header-Content-Length that cuts the JSON header or takes in binary bytes', async () => {
      const req = visionBinaryRequest(pixels);
      const n = Number(req.headers['inference-header-content-length']);
      for (const cut of [n - 5, n + 7]) {
        const headers = { ...req.headers, 'inference-header-content-length': String(cut) };
        expect(await readError(await post(req.body, headers))).toMatchObject({ status: 400, error: expect.stringMatching(/JSON/) });
      }
    });

    it('answers 400 when binary_data_size does not match the shape or the binary section', async () => {
      const req1 = binaryRequest(binaryHeader(IMAGE * 4 - 4), pixels.subarray(1));
      expect(await readError(await post(req1.body, req1.headers))).toEqual({
        status: 400,
        error: expect.stringContaining('expected 1769472 bytes of FP32 for shape [1,3,384,384], got binary_data_size 1769468'),
      });
      // Declares more than was sent.
      const req2 = binaryRequest(binaryHeader(IMAGE * 4 + 4), pixels);
      expect(await readError(await post(req2.body, req2.headers))).toMatchObject({ status: 400, error: expect.stringContaining('got binary_data_size 1769476') });
      // Sends more than was declared.
      const req3 = binaryRequest(binaryHeader(IMAGE * 4), pixels, new Float32Array(3));
      expect(await readError(await post(req3.body, req3.headers))).toMatchObject({ status: 400, error: expect.stringContaining('binary_data_size') });
      // Not a size at all.
      const req4 = binaryRequest({ inputs: [{ name: 'PIXEL_VALUES', shape: SHAPE, datatype: 'FP32', parameters: { binary_data_size: 'big' } }] }, pixels);
      expect(await readError(await post(req4.body, req4.headers))).toMatchObject({ status: 400, error: expect.stringContaining('binary_data_size') });
    });

    it('answers 400 to a wrong datatype or shape for binary data', async () => {
      const asFp16 = binaryRequest(binaryHeader(IMAGE * 4, { datatype: 'FP16' }), pixels);
      expect(await readError(await post(asFp16.body, asFp16.headers))).toMatchObject({ status: 400 });
      const wrongShape = binaryRequest(binaryHeader(IMAGE * 4, { shape: [1, 3, 768, 192] }), pixels);
      expect(await readError(await post(wrongShape.body, wrongShape.headers))).toMatchObject({ status: 400, error: expect.stringContaining('expected shape') });
    });
  });
});

describe('request body size limit', () => {
  const LIMIT = 2 * 1024 * 1024; // one binary image (1.77 MB) fits; three do not
  let backend: Backend;
  let infer: string;
  beforeAll(async () => {
    backend = await startTestBackend({ maxBodyBytes: LIMIT });
    infer = `${backend.url}/v2/models/siglip_vision/infer`;
  });
  afterAll(() => backend.close());
  afterEach(() => expectServing(backend.url));

  const threeImages = () => {
    const data = new Float32Array(3 * IMAGE);
    return binaryRequest({ inputs: [{ name: 'PIXEL_VALUES', shape: [3, 3, 384, 384], datatype: 'FP32', parameters: { binary_data_size: data.byteLength } }] }, data);
  };

  it('answers 413 before reading a body whose Content-Length is over the limit', async () => {
    const req = threeImages();
    const res = await fetch(infer, { method: 'POST', headers: req.headers, body: req.body as BodyInit });
    const { status, error } = await readError(res);
    expect(status).toBe(413);
    expect(error).toContain(`exceeds the limit of ${LIMIT} bytes`);
  });

  it('answers 413 to a chunked body (no Content-Length) once it grows over the limit', async () => {
    const req = threeImages();
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const out = request(infer, { method: 'POST', headers: { ...req.headers, 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      out.on('error', reject);
      for (let off = 0; off < req.body.length; off += 64 * 1024) out.write(req.body.subarray(off, off + 64 * 1024));
      out.end();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).error).toContain(`exceeds the limit of ${LIMIT} bytes`);
  });

  it('answers 413 to a JSON body over the limit', async () => {
    const res = await fetch(infer, { method: 'POST', headers: { 'content-type': 'application/json' }, body: jsonPixelRequest(pixels, 1) });
    expect(await readError(res)).toMatchObject({ status: 413 });
  });
});

describe('request body admission budget', () => {
  let backend: Backend;
  beforeAll(async () => {
    // Room for one image body at a time and no waiting line: a leaked reservation would refuse the next one.
    backend = await startTestBackend({ maxInflightBodyBytes: 2 * 1024 * 1024, maxWaitingBodies: 0 });
  });
  afterAll(() => backend.close());

  it('releases the budget of a client that disconnects mid-upload', async () => {
    const tracker = trackRequests(backend.server);
    try {
      const req = visionBinaryRequest(pixels);
      const { hostname, port } = new URL(backend.url);
      const socket = connect({ host: hostname, port: Number(port) });
      await new Promise((resolve) => socket.once('connect', resolve));
      const head = [
        'POST /v2/models/siglip_vision/infer HTTP/1.1',
        `Host: ${hostname}`,
        `${TEST_REQUEST_HEADER}: half`,
        ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`),
        `Content-Length: ${req.body.length}`,
        '',
        '',
      ].join('\r\n');
      socket.write(head);
      socket.write(req.body.subarray(0, req.body.length >> 1));
      // The backend has started on the request (reading its body) before the client goes.
      await vi.waitFor(() => expect(tracker.seen.has('half')).toBe(true), { timeout: 20_000, interval: 10 });
      socket.destroy();
      await vi.waitFor(() => expect(tracker.closed.has('half')).toBe(true), { timeout: 20_000, interval: 10 });
      const r = await inferImage(backend.url, pixels);
      expect(r.status, `after an aborted upload: ${r.error}`).toBe(200);
    } finally {
      tracker.stop();
    }
  });
});
