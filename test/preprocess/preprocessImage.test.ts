import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InferenceError } from '../../shared/errors';
import { DEFAULT_IMAGE_LIMITS } from '../../gpu-backend/models/preprocess/imageLimits';
import { loadImageProcessorConfig, parseImageProcessorConfig, SO400M_IMAGE_PROCESSOR } from '../../gpu-backend/models/preprocess/imageProcessorConfig';
import { pixelValuesLength, preprocessImage } from '../../gpu-backend/models/preprocess/preprocessImage';
import { encodePng, PNG_COLOR } from './encodePng';

const chelsea = readFileSync(new URL('../fixtures/siglip/chelsea.png', import.meta.url));
const solid = (value: number, width = 7, height = 5) =>
  encodePng({ width, height, colorType: PNG_COLOR.rgb, bitDepth: 8, samples: new Array(width * height * 3).fill(value) });

describe('preprocessImage', () => {
  it('writes [3, H, W] into a batch buffer at an offset and touches nothing else', async () => {
    const cfg = parseImageProcessorConfig({ size: { height: 4, width: 6 } });
    const per = pixelValuesLength(cfg);
    expect(per).toBe(3 * 4 * 6);
    const batch = new Float32Array(3 * per).fill(42);
    const returned = await preprocessImage(solid(255), cfg, DEFAULT_IMAGE_LIMITS, batch, per);
    expect(returned).toBe(batch);
    expect(batch.subarray(0, per).every((v) => v === 42)).toBe(true);
    expect(batch.subarray(per, 2 * per).every((v) => v === 1)).toBe(true);
    expect(batch.subarray(2 * per).every((v) => v === 42)).toBe(true);
  });

  it('lays out channels as planes (CHW): R plane, then G, then B', async () => {
    const png = encodePng({ width: 1, height: 1, colorType: PNG_COLOR.rgb, bitDepth: 8, samples: [0, 255, 51] });
    const cfg = parseImageProcessorConfig({ size: { height: 2, width: 2 } });
    const out = await preprocessImage(png, cfg, DEFAULT_IMAGE_LIMITS);
    expect([...out]).toEqual([-1, -1, -1, -1, 1, 1, 1, 1, -0.6, -0.6, -0.6, -0.6].map(Math.fround));
  });

  it.each([224, 256, 384, 512])('produces square inputs of side %i for other SigLIP sizes', async (side) => {
    const cfg = parseImageProcessorConfig({ size: { height: side, width: side } });
    const out = await preprocessImage(chelsea, cfg, DEFAULT_IMAGE_LIMITS);
    expect(out.length).toBe(3 * side * side);
    expect(out.every((v) => v >= -1 && v <= 1)).toBe(true);
  });

  it('applies image_mean, image_std and rescale_factor from the config', async () => {
    const cfg = parseImageProcessorConfig({ size: { height: 1, width: 1 }, image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: 0.25 });
    const out = await preprocessImage(solid(255), cfg, DEFAULT_IMAGE_LIMITS);
    expect(out[0]).toBeCloseTo((1 - 0.48145466) / 0.25, 5);
    expect(out[2]).toBeCloseTo((1 - 0.40821073) / 0.25, 5);
    const rescaleOnly = parseImageProcessorConfig({ size: { height: 1, width: 1 }, do_normalize: false });
    expect((await preprocessImage(solid(51), rescaleOnly, DEFAULT_IMAGE_LIMITS))[0]).toBeCloseTo(0.2, 6);
  });

  it('without do_resize, accepts an image of the right size and rejects others with 400', async () => {
    const cfg = parseImageProcessorConfig({ do_resize: false, size: { height: 5, width: 7 } });
    expect((await preprocessImage(solid(0), cfg, DEFAULT_IMAGE_LIMITS)).length).toBe(105);
    const err = await preprocessImage(solid(0, 8, 5), cfg, DEFAULT_IMAGE_LIMITS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InferenceError);
    expect((err as InferenceError).message).toBe('image is 8×5; without do_resize it must be 7×5');
  });

  it('refuses an output buffer too small for the image (a caller bug: INTERNAL)', async () => {
    const err = await preprocessImage(solid(0), SO400M_IMAGE_PROCESSOR, DEFAULT_IMAGE_LIMITS, new Float32Array(10), 0).catch((e: unknown) => e);
    expect((err as InferenceError).code).toBe('INTERNAL');
  });
});

describe('parseImageProcessorConfig', () => {
  it("defaults to so400m's settings", () => {
    expect(SO400M_IMAGE_PROCESSOR).toEqual({
      do_resize: true,
      size: { height: 384, width: 384 },
      resample: 3,
      do_rescale: true,
      rescale_factor: 1 / 255,
      do_normalize: true,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
      do_convert_rgb: true,
    });
  });

  it('reads the committed embed_image preprocessor_config.json as so400m', async () => {
    const dir = new URL('../../model_repository/embed_image/', import.meta.url).pathname;
    expect(await loadImageProcessorConfig(dir)).toEqual(SO400M_IMAGE_PROCESSOR);
  });

  it('ignores HF keys it does not use and rejects NEAREST and a zero std', () => {
    expect(parseImageProcessorConfig({ image_processor_type: 'SiglipImageProcessor', processor_class: 'SiglipProcessor' }).resample).toBe(3);
    expect(() => parseImageProcessorConfig({ resample: 0 })).toThrow(/0 NEAREST is not supported/);
    expect(() => parseImageProcessorConfig({ image_std: [0.5, 0, 0.5] })).toThrow(/image_std must not contain 0/);
    expect(() => parseImageProcessorConfig({ size: { shortest_edge: 224 } })).toThrow();
  });
});
