import sharp, { type Metadata } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { cosine, maxAbsDiff, reference } from '../helpers/fixtures';
import { embedImagesBinary, embedImagesJson, fixtureBytes, l2norm, PHOTOS, unit } from './embedRequests';

// The parity target: the demo model's embedding of our preprocessing vs HF's pixel_values.
const MIN_COSINE = 0.9999;
const photos = PHOTOS.map(fixtureBytes);
const expected = reference.photos.pooler_output;

/** A PNG of raw 8-bit RGB pixels: what PIL's convert("RGB") would hand the processor. */
function rgbPng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Keeps the first three of every `channels` samples (drops alpha), or replicates a lone gray sample. */
function toRgb(raw: Uint8Array, channels: number): Uint8Array {
  const pixels = raw.length / channels;
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) out[p * 3 + c] = raw[p * channels + (channels >= 3 ? c : 0)];
  }
  return out;
}

/** The file's own decoded pixels, converted to RGB by hand (not by the code under test), as a PNG. */
async function rgbEquivalent(file: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return rgbPng(toRgb(data, info.channels), info.width, info.height);
}

describe('embed_image: image files in, embeddings out (demo model, CPU)', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await startTestBackend();
  });
  afterAll(() => backend.close());

  it('describes itself as INPUT_IMAGE BYTES [-1, 1] → EMBEDDING FP32 [-1, 64]', async () => {
    const meta = await (await fetch(`${backend.url}/v2/models/embed_image`)).json();
    expect(meta.inputs).toEqual([{ name: 'INPUT_IMAGE', datatype: 'BYTES', shape: [-1, 1] }]);
    expect(meta.outputs).toEqual([{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 64] }]);
  });

  describe('parity with HF (reference.json photos.pooler_output)', () => {
    it(`reaches cosine ≥ ${MIN_COSINE} for each photo, one JSON request (base64) per photo`, async () => {
      for (let i = 0; i < photos.length; i++) {
        const res = await embedImagesJson(backend.url, [photos[i]]);
        expect(res).toMatchObject({ status: 200, shape: [1, 64] });
        expect(cosine(res.rows![0], expected[i])).toBeGreaterThanOrEqual(MIN_COSINE);
      }
    });

    it(`reaches cosine ≥ ${MIN_COSINE} for each photo, one binary request (length-prefixed BYTES) per photo`, async () => {
      for (let i = 0; i < photos.length; i++) {
        const res = await embedImagesBinary(backend.url, [photos[i]]);
        expect(res).toMatchObject({ status: 200, shape: [1, 64] });
        expect(cosine(res.rows![0], expected[i])).toBeGreaterThanOrEqual(MIN_COSINE);
      }
    });

    it('gives each photo its own embedding, in order, for a batch of three in one request (JSON and binary)', async () => {
      for (const send of [embedImagesJson, embedImagesBinary]) {
        const res = await send(backend.url, photos);
        expect(res).toMatchObject({ status: 200, shape: [3, 64] });
        res.rows!.forEach((row, i) => expect(cosine(row, expected[i])).toBeGreaterThanOrEqual(MIN_COSINE));
      }
    });

    it('gives the same embeddings for three concurrent one-photo requests as for one batched request', async () => {
      const [batched, ...single] = await Promise.all([embedImagesBinary(backend.url, photos), ...photos.map((p) => embedImagesBinary(backend.url, [p]))]);
      single.forEach((res, i) => {
        expect(res.status).toBe(200);
        expect(cosine(res.rows![0], expected[i])).toBeGreaterThanOrEqual(MIN_COSINE);
        expect(maxAbsDiff(res.rows![0], batched.rows![i])).toBeLessThanOrEqual(1e-5);
      });
    });
  });

  describe('request parameter normalize', () => {
    it('returns unit-norm rows pointing the same way as the raw embeddings', async () => {
      const raw = await embedImagesBinary(backend.url, photos);
      const normalized = await embedImagesBinary(backend.url, photos, { normalize: true });
      expect(normalized.status).toBe(200);
      normalized.rows!.forEach((row, i) => {
        expect(Math.abs(l2norm(row) - 1)).toBeLessThanOrEqual(1e-5);
        // The raw rows are far from unit length, so this proves normalization happened.
        expect(Math.abs(l2norm(raw.rows![i]) - 1)).toBeGreaterThan(0.01);
        expect(maxAbsDiff(row, unit(raw.rows![i]))).toBeLessThanOrEqual(1e-5);
        expect(cosine(row, expected[i])).toBeGreaterThanOrEqual(MIN_COSINE);
      });
    });

    it('returns the raw embeddings with normalize: false, the default', async () => {
      const raw = await embedImagesJson(backend.url, [photos[1]]);
      const explicit = await embedImagesJson(backend.url, [photos[1]], { normalize: false });
      expect(maxAbsDiff(explicit.rows![0], raw.rows![0])).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(l2norm(raw.rows![0]) - 1)).toBeGreaterThan(0.01);
    });
  });

  describe('colour modes come out as three channels, as PIL convert("RGB") makes them', () => {
    const astronaut = Buffer.from(photos[0]);
    const variants: { name: string; make: () => Promise<Buffer>; check: (m: Metadata) => void }[] = [
      {
        name: 'grayscale PNG (gray replicated into R, G and B)',
        make: () => sharp(astronaut).toColourspace('b-w').png().toBuffer(),
        check: (m) => expect(m.channels).toBe(1),
      },
      {
        name: 'RGBA PNG (alpha dropped, not composited)',
        make: () => sharp(astronaut).ensureAlpha(0.5).png().toBuffer(),
        check: (m) => expect(m.channels).toBe(4),
      },
      {
        name: 'palette PNG (expanded)',
        make: () => sharp(astronaut).png({ palette: true, colours: 64 }).toBuffer(),
        check: (m) => expect(m.isPalette).toBe(true),
      },
      {
        name: 'JPEG',
        make: () => sharp(astronaut).jpeg({ quality: 90 }).toBuffer(),
        check: (m) => expect(m).toMatchObject({ format: 'jpeg', channels: 3 }),
      },
      {
        name: 'grayscale JPEG',
        make: () => sharp(astronaut).toColourspace('b-w').jpeg({ quality: 90 }).toBuffer(),
        check: (m) => expect(m).toMatchObject({ format: 'jpeg', channels: 1 }),
      },
    ];

    for (const v of variants) {
      it(`embeds a ${v.name} exactly like its RGB equivalent`, async () => {
        const file = await v.make();
        v.check(await sharp(file).metadata());
        const equivalent = await rgbEquivalent(file);
        const res = await embedImagesBinary(backend.url, [file, equivalent]);
        expect(res).toMatchObject({ status: 200, shape: [2, 64] });
        expect(maxAbsDiff(res.rows![0], res.rows![1])).toBeLessThanOrEqual(1e-5);
      });
    }
  });
});
