import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_LIMITS } from '../../gpu-backend/models/preprocess/imageLimits';
import { SO400M_IMAGE_PROCESSOR } from '../../gpu-backend/models/preprocess/imageProcessorConfig';
import { preprocessImage, type Resizer } from '../../gpu-backend/models/preprocess/preprocessImage';

const FIXTURES = new URL('../fixtures/siglip/', import.meta.url);
const PHOTOS = ['astronaut', 'chelsea', 'coffee'];
const PER_IMAGE = 3 * 384 * 384;
// HF SiglipImageProcessor (transformers 5.17) output for the three photos: little-endian float32 [3, 3, 384, 384].
const raw = readFileSync(new URL('photos_pixel_values_3x3x384x384.f32', FIXTURES));
const reference = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);

function diff(actual: Float32Array, index: number): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < PER_IMAGE; i++) {
    const d = Math.abs(actual[i] - reference[index * PER_IMAGE + i]);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / PER_IMAGE, max };
}

async function run(photo: string, resizer: Resizer): Promise<Float32Array> {
  const bytes = readFileSync(new URL(`${photo}.png`, FIXTURES));
  return preprocessImage(bytes, SO400M_IMAGE_PROCESSOR, DEFAULT_IMAGE_LIMITS, undefined, 0, resizer);
}

describe('preprocessImage parity with HF SiglipImageProcessor (so400m settings)', () => {
  PHOTOS.forEach((photo, index) => {
    it(`reproduces ${photo}.png bit for bit with the default (torch) resize`, async () => {
      expect(diff(await run(photo, 'torch'), index)).toEqual({ mean: 0, max: 0 });
    });

    it(`stays within mean 0.004 / max 0.04 of ${photo}.png with the Pillow resize`, async () => {
      const { mean, max } = diff(await run(photo, 'pil'), index);
      expect(mean).toBeLessThanOrEqual(0.004);
      // Pillow's 22-bit and torch's int16 fixed points round differently by at most 2 levels of 255.
      expect(max).toBeLessThanOrEqual(2 / 127.5 + 1e-6);
    });
  });

  it("is only approximate with sharp's own resize (libvips), which is why it is not the default", async () => {
    const { mean } = diff(await run('astronaut', 'sharp'), 0);
    expect(mean).toBeGreaterThan(0);
    expect(mean).toBeLessThan(0.004);
  });
});
