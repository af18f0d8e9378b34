/**
 * Issue 11, defects 4, 5 and 8: what one request may cost. Images are measured from their headers and texts from
 * their length before any is decoded or tokenized; a request's images are decoded in turn with other requests'
 * images; work not started is dropped when the client leaves; a request that could never fit is a 4xx at once.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { eventually } from './abuse';

let backend: Backend;
let big: Buffer;
let huge: Buffer;
let tiny: Buffer;
// The decode and preprocessing pool: one worker, so the order of its tasks is the order of their answers.
const decodePool = () => backend.decodePool!;

beforeAll(async () => {
  backend = await startTestBackend({ workers: 1 });
  const solid = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: 30, g: 160, b: 90 } } }).png({ compressionLevel: 9 }).toBuffer();
  [big, huge, tiny] = await Promise.all([solid(4000, 4000), solid(7000, 7000), solid(64, 64)]);
});
afterAll(() => backend.close());

const infer = (parameters: object, model: string, input: string, data: string[], signal?: AbortSignal) =>
  fetch(`${backend.url}/v2/models/${model}/infer`, {
    method: 'POST',
    body: JSON.stringify({ parameters, inputs: [{ name: input, shape: [data.length], datatype: 'BYTES', data }] }),
    signal,
  });
const images = (files: Buffer[], signal?: AbortSignal) => infer({ base64_encoded: true }, 'embed_image', 'INPUT_IMAGE', files.map((f) => f.toString('base64')), signal);

describe('image cost', () => {
  it(`refuses 32 small PNGs that declare 7000×7000 (${'1.57 Gpx'}) with 413 at once, decoding none of them (defect 4)`, async () => {
    const before = decodePool().started;
    const res = await images(new Array(32).fill(huge));
    expect(res.status).toBe(413);
    expect((await res.json()).error).toBe(
      "INPUT_IMAGE: the request's 32 items need 1568000000 pixels, over the limit of 256000000 per request; send fewer or smaller items per request",
    );
    // One task ran: decoding the 6.7 MB JSON body. No image was decoded.
    expect(decodePool().started - before).toBe(1);
  });

  it("decodes one request's images in turn with another client's: a tiny image does not wait behind all of them", async () => {
    const order: string[] = [];
    const heavy = images([big, big, big, big, big]).then(async (r) => (order.push('heavy'), r.status));
    await eventually(() => decodePool().queued >= 3, 'the heavy request queued its images');
    const light = images([tiny]).then(async (r) => (order.push('light'), r.status));
    expect(await Promise.all([heavy, light])).toEqual([200, 200]);
    expect(order).toEqual(['light', 'heavy']);
  });

  it('drops the images not yet decoded when the client leaves', async () => {
    const before = decodePool().started;
    const gone = new AbortController();
    const abandoned = images([big, big, big, big, big, big], gone.signal).catch((e: Error) => e.name);
    await eventually(() => decodePool().started > before, 'decoding started');
    gone.abort();
    expect(await abandoned).toBe('AbortError');
    await eventually(() => decodePool().queued === 0, 'the queue emptied');
    // One or two were under way; the rest never ran.
    expect(decodePool().started - before).toBeLessThan(6);
  });
});

describe('text cost', () => {
  it('refuses a 30 MB text with 413 before canonicalizing or tokenizing it (defect 5)', async () => {
    const res = await infer({}, 'embed_text', 'INPUT_TEXT', ['a photo of a cat. '.repeat(1_700_000)]);
    expect(res.status).toBe(413);
    expect((await res.json()).error).toBe('INPUT_TEXT[0]: text of 30600000 bytes exceeds the limit of 16384 bytes (SigLIP reads the first 64 tokens)');
    expect((await infer({}, 'embed_text', 'INPUT_TEXT', ['a photo of a cat'])).status).toBe(200);
  });

  it("refuses a request whose texts together exceed the request's budget", async () => {
    const res = await fetch(`${backend.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ input: new Array(100).fill('x'.repeat(16_000) + ' cat') }) });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toBe("input: the request's 100 items need 1600400 bytes of text, over the limit of 1048576 per request; send fewer or smaller items per request");
  });
});

describe('requests that could never succeed (defect 8)', () => {
  it('answers 400 at once to 2,048 /v1/embeddings texts, which no queue could take, instead of 503 every time', async () => {
    const res = await fetch(`${backend.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ input: new Array(2048).fill('a cat') }) });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('invalid embeddings request: input has 2048 items; send at most 256 per request');
  });
});
