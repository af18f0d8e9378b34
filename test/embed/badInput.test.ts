import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { binaryRequest, startTestBackend } from '../helpers/backend';
import { readError } from '../helpers/errorResponse';
import { cosine, reference } from '../helpers/fixtures';
import { pngHeaderOnly } from '../preprocess/encodePng';
import { dataUrl, embedImagesBinary, postBinary, embedImagesJson, fixtureBytes, inferBytesBinary, inferBytesJson, postEmbeddings } from './embedRequests';
import { startImageServer, type ImageServer } from './imageServer';

// chelsea.png (220 KB) fits under the lowered byte limit; astronaut.png (424 KB) does not.
const MAX_IMAGE_BYTES = 300_000;
const chelsea = fixtureBytes('chelsea.png');
const astronaut = fixtureBytes('astronaut.png');
const utf8 = (s: string) => new TextEncoder().encode(s);
const svg = utf8('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>');

/** Asserts the backend still embeds a good image and a good text correctly, by both APIs. */
async function expectServing(url: string): Promise<void> {
  const image = await embedImagesBinary(url, [chelsea]);
  expect(image.status).toBe(200);
  expect(cosine(image.rows![0], reference.photos.pooler_output[1])).toBeGreaterThanOrEqual(0.9999);
  const text = await inferBytesJson(url, 'embed_text', 'INPUT_TEXT', ['a cat']);
  expect(text.status).toBe(200);
  const openai = await postEmbeddings(url, { input: ['a cat', { image: dataUrl(chelsea) }] });
  expect(openai.status).toBe(200);
}

describe('embedding models refuse bad input with a clear 400/413 naming the element, and keep serving', () => {
  let backend: Backend;
  let url: string;
  // A genuine decompression bomb: a valid 8000×8000 PNG (64 Mpx, over the 50 Mpx default) of ~200 KB.
  let bomb: Buffer;
  beforeAll(async () => {
    [backend, bomb] = await Promise.all([
      startTestBackend({ maxImageBytes: MAX_IMAGE_BYTES }),
      sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#000' }, limitInputPixels: false }).png({ compressionLevel: 9 }).toBuffer(),
    ]);
    url = backend.url;
  });
  afterAll(() => backend.close());
  afterEach(() => expectServing(url));

  /** Sends [chelsea, bad] to embed_image by both protocols; expects `status` and an error about INPUT_IMAGE[1]. */
  async function expectImageRefused(bad: Uint8Array, status: number, message: RegExp): Promise<void> {
    for (const send of [embedImagesJson, embedImagesBinary]) {
      const res = await send(url, [chelsea, bad]);
      expect(res.status).toBe(status);
      expect(res.error).toMatch(/^INPUT_IMAGE\[1\]: /);
      expect(res.error).toMatch(message);
    }
  }

  describe('embed_image', () => {
    it('answers 413 to an image over maxImageBytes', async () => {
      expect(astronaut.byteLength).toBeGreaterThan(MAX_IMAGE_BYTES);
      await expectImageRefused(astronaut, 413, new RegExp(`${astronaut.byteLength} bytes exceeds the limit of ${MAX_IMAGE_BYTES} bytes`));
    });

    it('answers 400 to a decompression bomb: a small, valid PNG of 8000×8000 pixels', async () => {
      expect(bomb.byteLength).toBeLessThan(MAX_IMAGE_BYTES);
      await expectImageRefused(bomb, 400, /8000×8000 = 64000000 pixels; the limit is 50000000 pixels/);
    });

    it('answers 400 to a PNG header that declares 100000×100000 pixels over almost no data', async () => {
      await expectImageRefused(pngHeaderOnly(100_000, 100_000), 400, /100000×100000 = 10000000000 pixels; the limit is 50000000 pixels/);
    });

    it('answers 400 to a truncated (corrupt) PNG', async () => {
      await expectImageRefused(chelsea.subarray(0, chelsea.length >> 1), 400, /corrupt or truncated png image/);
    });

    it('answers 400 to bytes that are no image, and to an unsupported format (SVG)', async () => {
      await expectImageRefused(utf8('a photo of a cat, as text'), 400, /not a decodable image \(expected JPEG, PNG, WebP, GIF, TIFF or AVIF\)/);
      await expectImageRefused(svg, 400, /unsupported image format "svg"/);
    });

    it('answers 400 to an empty element', async () => {
      const res = await embedImagesBinary(url, [chelsea, new Uint8Array(0)]);
      expect(res).toMatchObject({ status: 400, error: 'INPUT_IMAGE[1]: empty image' });
      const json = await inferBytesJson(url, 'embed_image', 'INPUT_IMAGE', [Buffer.from(chelsea).toString('base64'), ''], { base64_encoded: true });
      expect(json.status).toBe(400);
      expect(json.error).toMatch(/^INPUT_IMAGE\[1\]: /);
    });

    it('answers 400 to an element that is not valid base64 with base64_encoded true', async () => {
      const res = await inferBytesJson(url, 'embed_image', 'INPUT_IMAGE', [Buffer.from(chelsea).toString('base64'), 'not base64!'], { base64_encoded: true });
      expect(res).toMatchObject({ status: 400, error: 'INPUT_IMAGE[1]: not valid base64 image data' });
    });

    it('answers 400 saying to set base64_encoded when base64 text arrives with its default, false', async () => {
      const hint = 'INPUT_IMAGE[0]: this element is base64 text, but base64_encoded is false: set parameters.base64_encoded to true, or send the file\'s bytes';
      expect(await inferBytesJson(url, 'embed_image', 'INPUT_IMAGE', [Buffer.from(chelsea).toString('base64')])).toMatchObject({ status: 400, error: hint });
      expect(await inferBytesJson(url, 'embed_image', 'INPUT_IMAGE', [dataUrl(chelsea)], { base64_encoded: false })).toMatchObject({ status: 400, error: hint });
      // Base64 text in the binary protocol too.
      expect(await embedImagesBinary(url, [utf8(Buffer.from(chelsea).toString('base64'))])).toMatchObject({ status: 400, error: hint });
    });

    it('answers 400 saying to clear base64_encoded when a binary element is the file itself', async () => {
      const res = await embedImagesBinary(url, [chelsea], { base64_encoded: true });
      expect(res).toMatchObject({ status: 400, error: 'INPUT_IMAGE[0]: not valid base64 image data: it is an image file; send it with parameters.base64_encoded false' });
    });

    it('answers 400 to a base64_encoded or embed_model of the wrong type, and to a model it cannot use, listing the choices', async () => {
      expect(await embedImagesBinary(url, [chelsea], { base64_encoded: 'true' })).toMatchObject({
        status: 400,
        error: 'parameter base64_encoded must be a boolean (true or false), got "true"',
      });
      for (const embed_model of ['siglip_text', 'nope', 7]) {
        expect(await embedImagesBinary(url, [chelsea], { embed_model })).toMatchObject({
          status: 400,
          error: `parameter embed_model ${JSON.stringify(embed_model)} does not name a model 'embed_image' can use: one of 'siglip_vision'`,
        });
      }
      expect(await inferBytesJson(url, 'embed_text', 'INPUT_TEXT', ['a cat'], { embed_model: 'siglip_vision' })).toMatchObject({
        status: 400,
        error: `parameter embed_model "siglip_vision" does not name a model 'embed_text' can use: one of 'siglip_text'`,
      });
    });

    it('answers 400 to the input names of the previous release, saying what they became', async () => {
      const res = await inferBytesJson(url, 'embed_image', 'IMAGE', [Buffer.from(chelsea).toString('base64')], { base64_encoded: true });
      expect(res).toMatchObject({
        status: 400,
        error: "unexpected inference input 'IMAGE' for model 'embed_image', expected 'INPUT_IMAGE' ('IMAGE' was renamed 'INPUT_IMAGE', the Triton deployment's name)",
      });
      expect((await inferBytesJson(url, 'embed_text', 'TEXT', ['a cat'])).error).toContain("'TEXT' was renamed 'INPUT_TEXT'");
    });

    it('accepts a data: URL as a JSON element with base64_encoded true, like plain base64', async () => {
      const res = await inferBytesJson(url, 'embed_image', 'INPUT_IMAGE', [dataUrl(chelsea)], { base64_encoded: true });
      expect(res.status).toBe(200);
      expect(cosine(res.rows![0], reference.photos.pooler_output[1])).toBeGreaterThanOrEqual(0.9999);
    });

    it('answers 400 to a datatype other than BYTES', async () => {
      const pixels = new Float32Array(4);
      const req = binaryRequest({ inputs: [{ name: 'INPUT_IMAGE', shape: [4], datatype: 'FP32', parameters: { binary_data_size: 16 } }] }, pixels);
      const res = await postBinary(url, 'embed_image', req);
      const { status, error } = await readError(res);
      expect(status).toBe(400);
      expect(error).toMatch(/INPUT_IMAGE: expected datatype BYTES, got FP32/);
    });

    it('answers 400 to a shape that is not [n], or does not match the element count', async () => {
      const b64 = Buffer.from(chelsea).toString('base64');
      for (const shape of [[1, 2], [3]]) {
        const body = JSON.stringify({ parameters: { base64_encoded: true }, inputs: [{ name: 'INPUT_IMAGE', shape, datatype: 'BYTES', data: [b64, b64] }] });
        const res = await fetch(`${url}/v2/models/embed_image/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const { status, error } = await readError(res);
        expect(status).toBe(400);
        expect(error).toMatch(/INPUT_IMAGE/);
      }
    });

    it('answers 400 to a wrong input name, naming the expected one', async () => {
      const res = await inferBytesJson(url, 'embed_image', 'PIXEL_VALUES', [Buffer.from(chelsea).toString('base64')]);
      expect(res.status).toBe(400);
      expect(res.error).toMatch(/'INPUT_IMAGE'/);
    });

    it('answers 400 to a normalize parameter that is not a boolean', async () => {
      const res = await embedImagesJson(url, [chelsea], { normalize: 'yes' });
      expect(res).toMatchObject({ status: 400, error: 'parameter normalize must be a boolean (true or false), got "yes"' });
    });
  });

  describe('embed_text', () => {
    it('answers 400 to an empty or blank string', async () => {
      for (const blank of ['', '   \n']) {
        const res = await inferBytesJson(url, 'embed_text', 'INPUT_TEXT', ['a cat', blank]);
        expect(res).toMatchObject({ status: 400, error: 'INPUT_TEXT[1]: empty string' });
      }
      const binary = await inferBytesBinary(url, 'embed_text', 'INPUT_TEXT', [utf8('a cat'), new Uint8Array(0)]);
      expect(binary).toMatchObject({ status: 400, error: 'INPUT_TEXT[1]: empty string' });
    });

    it('answers 400 to bytes that are not UTF-8', async () => {
      const res = await inferBytesBinary(url, 'embed_text', 'INPUT_TEXT', [utf8('a cat'), new Uint8Array([0x61, 0xff, 0xfe])]);
      expect(res).toMatchObject({ status: 400, error: 'INPUT_TEXT[1]: not valid UTF-8' });
    });
  });

  describe('/v1/embeddings', () => {
    it('answers 400 to an empty string, naming the item', async () => {
      for (const input of [['a cat', ''], ['a cat', { text: ' ' }]]) {
        const { status, body } = await postEmbeddings(url, { input });
        expect(status).toBe(400);
        expect(body).toEqual({ error: 'input[1]: empty string' });
      }
      expect((await postEmbeddings(url, { input: '' })).body).toEqual({ error: 'input[0]: empty string' });
    });

    it('answers 413 to an inline image over maxImageBytes, naming the item', async () => {
      const { status, body } = await postEmbeddings(url, { input: ['a cat', { image: dataUrl(chelsea) }, { image: dataUrl(astronaut) }] });
      expect(status).toBe(413);
      expect(body.error).toMatch(new RegExp(`^input\\[2\\]: image of ${astronaut.byteLength} bytes exceeds the limit`));
    });

    it('answers 400 to a decompression bomb, a corrupt image and an SVG, naming the item', async () => {
      const cases: [Uint8Array, RegExp][] = [
        [bomb, /64000000 pixels; the limit is 50000000 pixels/],
        [chelsea.subarray(0, chelsea.length >> 1), /corrupt or truncated png image/],
        [svg, /unsupported image format "svg"/],
      ];
      for (const [file, message] of cases) {
        const { status, body } = await postEmbeddings(url, { input: [{ image: dataUrl(chelsea) }, 'a cat', { image: dataUrl(file) }] });
        expect(status).toBe(400);
        expect(body.error).toMatch(/^input\[2\]: /);
        expect(body.error).toMatch(message);
      }
    });

    it('answers 400 to an image that is not a base64 data:image URL, naming the item', async () => {
      for (const image of ['data:text/plain;base64,aGVsbG8=', 'data:image/png,rawbytes', 'data:image/png;base64,not base64!']) {
        const { status, body } = await postEmbeddings(url, { input: ['a cat', { image }] });
        expect(status).toBe(400);
        expect(body.error).toMatch(/^input\[1\]: /);
      }
    });

    it('answers 400 to a malformed request: bad JSON, unknown field, wrong encoding_format, empty input', async () => {
      const res = await fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input": [' });
      expect(await readError(res)).toMatchObject({ status: 400, error: expect.stringMatching(/malformed JSON/) });
      for (const body of [{ input: 'a', extra: 1 }, { input: 'a', encoding_format: 'int8' }, { input: [] }, {}]) {
        expect((await postEmbeddings(url, body)).status).toBe(400);
      }
    });
  });

  describe('remote image URLs', () => {
    let images: ImageServer;
    let allowing: Backend;
    beforeAll(async () => {
      images = await startImageServer(
        { '/allowed/astronaut.png': astronaut, '/allowed/chelsea.png': chelsea, '/allowed/streamed/astronaut.png': astronaut },
        ['/allowed/streamed/astronaut.png'],
      );
      allowing = await startTestBackend({ maxImageBytes: MAX_IMAGE_BYTES, imageUrlAllowlist: [`${images.url}/allowed/`] });
    });
    afterAll(async () => {
      await allowing.close();
      await images.close();
    });
    afterEach(() => expectServing(allowing.url));

    it('are refused with 400 when no allowlist is configured, without any connection', async () => {
      const { status, body } = await postEmbeddings(url, { input: ['a cat', { image: `${images.url}/allowed/chelsea.png` }] });
      expect(status).toBe(400);
      expect(body.error).toMatch(/^input\[1\]: remote image URLs are refused/);
      expect(images.hits).toEqual([]);
    });

    it('answer 413 naming the item when an allow-listed image is over maxImageBytes (declared by Content-Length)', async () => {
      const { status, body } = await postEmbeddings(allowing.url, { input: ['a cat', { image: `${images.url}/allowed/astronaut.png` }] });
      expect(status).toBe(413);
      expect(body.error).toBe(`input[1]: image of ${astronaut.byteLength} bytes exceeds the limit of ${MAX_IMAGE_BYTES} bytes`);
    });

    it('answer 413 naming the item when a streamed image without Content-Length grows over maxImageBytes', async () => {
      const { status, body } = await postEmbeddings(allowing.url, { input: ['a cat', { image: `${images.url}/allowed/streamed/astronaut.png` }] });
      expect(status).toBe(413);
      expect(body.error).toMatch(new RegExp(`^input\\[1\\]: image of \\d+ bytes exceeds the limit of ${MAX_IMAGE_BYTES} bytes`));
    });

    it('are not left fetching unobserved when another item is refused first', async () => {
      // The fetch of item 0 fails (404) after item 1 has already been refused: that failure must be handled.
      const { status, body } = await postEmbeddings(allowing.url, { input: [{ image: `${images.url}/allowed/missing.png` }, ''] });
      expect(status).toBe(400);
      expect(body.error).toBe('input[1]: empty string');
    });
  });
});
