import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { maxAbsDiff } from '../helpers/fixtures';
import { dataUrl, embedImagesBinary, fixtureBytes, inferBytesJson, l2norm, postEmbeddings, unit } from './embedRequests';
import { startImageServer, type ImageServer } from './imageServer';

const chelsea = fixtureBytes('chelsea.png');
const astronaut = fixtureBytes('astronaut.png');

/** embed_text's embeddings of `texts`, L2-normalized: what /v1/embeddings must return for text items. */
async function textTower(url: string, texts: string[]): Promise<Float32Array[]> {
  const res = await inferBytesJson(url, 'embed_text', 'INPUT_TEXT', texts);
  expect(res.status).toBe(200);
  return res.rows!.map(unit);
}

/** embed_image's embeddings of `files`, L2-normalized. */
async function imageTower(url: string, files: Uint8Array[]): Promise<Float32Array[]> {
  const res = await embedImagesBinary(url, files);
  expect(res.status).toBe(200);
  return res.rows!.map(unit);
}

describe('POST /v1/embeddings (OpenAI-compatible, texts and images)', () => {
  let backend: Backend;
  let images: ImageServer;
  beforeAll(async () => {
    images = await startImageServer({ '/allowed/chelsea.png': chelsea, '/private/chelsea.png': chelsea });
    backend = await startTestBackend({ imageUrlAllowlist: [`${images.url}/allowed/`] });
  });
  afterAll(async () => {
    await backend.close();
    await images.close();
  });

  it("answers a string input with OpenAI's reply shape and embed_text's embedding, L2-normalized", async () => {
    const { status, body } = await postEmbeddings(backend.url, { input: 'A photo of a cat.' });
    expect(status).toBe(200);
    expect(body).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: expect.any(Array) }],
      model: 'siglip',
      usage: { prompt_tokens: expect.any(Number), total_tokens: expect.any(Number) },
    });
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.data[0].embedding).toHaveLength(64);
    expect(Math.abs(l2norm(body.data[0].embedding) - 1)).toBeLessThanOrEqual(1e-5);
    const [expected] = await textTower(backend.url, ['A photo of a cat.']);
    expect(maxAbsDiff(body.data[0].embedding, expected)).toBeLessThanOrEqual(1e-5);
  });

  it('answers an array of strings with one embedding per string, in order, and echoes the model name', async () => {
    const texts = ['a cat', 'a dog', 'a diagram of a steam engine'];
    const { status, body } = await postEmbeddings(backend.url, { input: texts, model: 'siglip-so400m' });
    expect(status).toBe(200);
    expect(body.model).toBe('siglip-so400m');
    expect(body.data.map((d: { index: number }) => d.index)).toEqual([0, 1, 2]);
    const expected = await textTower(backend.url, texts);
    body.data.forEach((d: { embedding: number[] }, i: number) => expect(maxAbsDiff(d.embedding, expected[i])).toBeLessThanOrEqual(1e-5));
  });

  it('routes mixed text and image items each to its own tower and keeps the input order', async () => {
    const input = ['a cat', { image: dataUrl(chelsea) }, { text: 'an astronaut' }, { image: dataUrl(astronaut) }];
    const { status, body } = await postEmbeddings(backend.url, { input });
    expect(status).toBe(200);
    expect(body.data.map((d: { index: number }) => d.index)).toEqual([0, 1, 2, 3]);
    const [cat, astronautText] = await textTower(backend.url, ['a cat', 'an astronaut']);
    const [chelseaImage, astronautImage] = await imageTower(backend.url, [chelsea, astronaut]);
    const expected = [cat, chelseaImage, astronautText, astronautImage];
    body.data.forEach((d: { embedding: number[] }, i: number) => {
      expect(d.embedding).toHaveLength(expected[i].length);
      expect(Math.abs(l2norm(d.embedding) - 1)).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(d.embedding, expected[i])).toBeLessThanOrEqual(1e-5);
    });
    // Usage counts text tokens only.
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('returns little-endian float32 in base64 with encoding_format: base64, equal to the float reply', async () => {
    const input = ['a cat', { image: dataUrl(chelsea) }];
    const floats = await postEmbeddings(backend.url, { input });
    const packed = await postEmbeddings(backend.url, { input, encoding_format: 'base64' });
    expect(packed.status).toBe(200);
    packed.body.data.forEach((d: { embedding: string }, i: number) => {
      expect(typeof d.embedding).toBe('string');
      const bytes = Buffer.from(d.embedding, 'base64');
      const decoded = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      expect(Array.from(decoded)).toEqual(floats.body.data[i].embedding);
    });
  });

  describe('remote image URLs', () => {
    it('fetches an allow-listed URL and embeds it like the same file sent inline', async () => {
      const before = images.hits.length;
      const { status, body } = await postEmbeddings(backend.url, { input: [{ image: `${images.url}/allowed/chelsea.png` }, { image: dataUrl(chelsea) }] });
      expect(status).toBe(200);
      expect(images.hits.slice(before)).toEqual(['/allowed/chelsea.png']);
      expect(maxAbsDiff(body.data[0].embedding, body.data[1].embedding)).toBeLessThanOrEqual(1e-5);
    });

    it('refuses a URL outside the allowlist with 400 naming the item, without connecting to it', async () => {
      const before = images.hits.length;
      const { status, body } = await postEmbeddings(backend.url, { input: ['a cat', { image: `${images.url}/private/chelsea.png` }] });
      expect(status).toBe(400);
      expect(body.error).toMatch(/^input\[1\]: remote image URLs are refused/);
      expect(images.hits.length).toBe(before);
    });

    it('answers 400 naming the item when an allow-listed URL does not serve an image', async () => {
      const { status, body } = await postEmbeddings(backend.url, { input: ['a cat', { image: `${images.url}/allowed/missing.png` }] });
      expect(status).toBe(400);
      expect(body.error).toMatch(/^input\[1\]: .*HTTP 404/);
    });
  });
});
