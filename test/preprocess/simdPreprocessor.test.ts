import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeImageRgb8 } from '../../gpu-backend/models/preprocess/decodeImage';
import { DEFAULT_IMAGE_LIMITS } from '../../gpu-backend/models/preprocess/imageLimits';
import {
  parseImageProcessorConfig,
  PIL_RESAMPLE,
  SO400M_IMAGE_PROCESSOR,
  type ImageProcessorConfig,
  type ResampleFilter,
} from '../../gpu-backend/models/preprocess/imageProcessorConfig';
import { channelMap, normalizationTables, writeChw } from '../../gpu-backend/models/preprocess/normalizeChw';
import { pixelValuesFromRgb8, pixelValuesLength, type Kernels } from '../../gpu-backend/models/preprocess/preprocessImage';
import type { FixedPointScheme } from '../../gpu-backend/models/preprocess/resampleCoefficients';
import type { Image8 } from '../../gpu-backend/models/preprocess/resizeImage8';
import { SimdPreprocessor } from '../../gpu-backend/models/preprocess/wasm/simdPreprocessor';
import reference from './pilResizeReference.json';

const FIXTURES = new URL('../fixtures/siglip/', import.meta.url);
const PHOTOS = ['astronaut', 'chelsea', 'coffee'];
const FILTERS = Object.values(PIL_RESAMPLE);
const SCHEMES: FixedPointScheme[] = ['torch', 'pil'];

// HF SiglipImageProcessor (transformers 5.17) output for the three photos: little-endian float32 [3, 3, 384, 384].
const raw = readFileSync(new URL('photos_pixel_values_3x3x384x384.f32', FIXTURES));
const hfPixelValues = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);

// xorshift32: the same "random" images on every run.
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Noise (every value 0..255, so bicubic overshoot clamps at both ends), with smooth areas mixed in. */
function randomImage(width: number, height: number, seed: number): Image8 {
  const rnd = random(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rnd() < 0.7 ? Math.floor(rnd() * 256) : (i * 7) & 255;
  return { data, width, height, channels: 3 };
}

function config(width: number, height: number, filter: ResampleFilter = 'bicubic', extra: object = {}): ImageProcessorConfig {
  const resample = Number(Object.entries(PIL_RESAMPLE).find(([, f]) => f === filter)![0]);
  return parseImageProcessorConfig({ size: { width, height }, resample, ...extra });
}

function pixelValues(image: Image8, cfg: ImageProcessorConfig, scheme: FixedPointScheme, kernels: Kernels): Float32Array {
  const out = new Float32Array(pixelValuesLength(cfg));
  pixelValuesFromRgb8(image, cfg, out, 0, scheme, kernels);
  return out;
}

/** Index of the first float that differs in its bits (NaN-safe, -0 ≠ +0), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

function expectSimdMatchesScalar(image: Image8, cfg: ImageProcessorConfig, scheme: FixedPointScheme): void {
  const simd = pixelValues(image, cfg, scheme, 'simd');
  const scalar = pixelValues(image, cfg, scheme, 'scalar');
  expect(firstDifference(simd, scalar)).toBe(-1);
}

describe('WebAssembly SIMD preprocessing', () => {
  it('loads on this runtime (Node ≥ 20 has WebAssembly SIMD)', () => {
    expect(SimdPreprocessor.load()).toBeDefined();
  });

  describe('matches HF SiglipImageProcessor bit for bit on the fixture photos', () => {
    PHOTOS.forEach((photo, index) => {
      it(`${photo}.png, torch scheme, both kernels: max diff 0`, async () => {
        const image = await decodeImageRgb8(readFileSync(new URL(`${photo}.png`, FIXTURES)), DEFAULT_IMAGE_LIMITS);
        const expected = hfPixelValues.subarray(index * 3 * 384 * 384, (index + 1) * 3 * 384 * 384);
        for (const kernels of ['simd', 'scalar'] as const) {
          expect(firstDifference(pixelValues(image, SO400M_IMAGE_PROCESSOR, 'torch', kernels), expected)).toBe(-1);
        }
      });

      it(`${photo}.png, Pillow scheme: the same bits as the scalar Pillow resize`, async () => {
        const image = await decodeImageRgb8(readFileSync(new URL(`${photo}.png`, FIXTURES)), DEFAULT_IMAGE_LIMITS);
        expectSimdMatchesScalar(image, SO400M_IMAGE_PROCESSOR, 'pil');
      });
    });
  });

  describe("matches Pillow's Image.resize bit for bit (pilResizeReference.json) with the Pillow scheme", () => {
    const source = (width: number, height: number): Image8 => {
      const data = new Uint8Array(width * height * 3);
      for (let y = 0, i = 0; y < height; y++)
        for (let x = 0; x < width; x++)
          for (let c = 0; c < 3; c++, i++)
            data[i] = (x * 7 + y * 13 + c * 101 + ((x * y) % 17) * 9 + ((Math.floor(x / 5) + Math.floor(y / 4)) % 2 === 0 ? 120 : 0)) % 256;
      return { data, width, height, channels: 3 };
    };
    for (const c of reference.cases) {
      const filter = PIL_RESAMPLE[c.resample as keyof typeof PIL_RESAMPLE];
      it(`${filter} ${c.source.join('×')} → ${c.size.join('×')}`, () => {
        const cfg = config(c.size[0], c.size[1], filter);
        const pillow: Image8 = { data: new Uint8Array(Buffer.from(c.rgb_base64, 'base64')), width: c.size[0], height: c.size[1], channels: 3 };
        const expected = new Float32Array(pixelValuesLength(cfg));
        writeChw(pillow, normalizationTables(cfg), expected, 0);
        expect(firstDifference(pixelValues(source(c.source[0], c.source[1]), cfg, 'pil', 'simd'), expected)).toBe(-1);
      });
    }
  });

  describe('gives the same bits as the scalar code', () => {
    const sizes: [string, number, number, number, number][] = [
      ['1×1 upscaled', 1, 1, 384, 384],
      ['7×3 upscaled', 7, 3, 384, 384],
      ['1920×1080: integer factor across (5), fractional down', 1920, 1080, 384, 384],
      ['768×1152: integer factors 2 and 3', 768, 1152, 384, 384],
      ['1000×700: no integer factor', 1000, 700, 384, 384],
      ['5000×2: extreme landscape', 5000, 2, 384, 384],
      ['2×5000: extreme portrait', 2, 5000, 384, 384],
      ['384×1000: the width unchanged (vertical pass only)', 384, 1000, 384, 384],
      ['1000×384: the height unchanged (horizontal pass only)', 1000, 384, 384, 384],
      ['384×384: no resize at all', 384, 384, 384, 384],
      ['641×479 → 17×45: non-square target, 16-pixel tails', 641, 479, 17, 45],
      ['300×200 → 384×7', 300, 200, 384, 7],
    ];
    for (const [name, w, h, outW, outH] of sizes) {
      it(`${name}, both schemes`, () => {
        const image = randomImage(w, h, w * 31 + h);
        for (const scheme of SCHEMES) expectSimdMatchesScalar(image, config(outW, outH), scheme);
      });
    }

    it('4000×3000 (a 12-megapixel photo), both schemes', () => {
      const image = randomImage(4000, 3000, 12);
      for (const scheme of SCHEMES) expectSimdMatchesScalar(image, SO400M_IMAGE_PROCESSOR, scheme);
    });

    it('on 60 random images of random sizes, every filter, both schemes', () => {
      const rnd = random(2024);
      const side = () => 1 + Math.floor(rnd() ** 2 * 900);
      for (let i = 0; i < 60; i++) {
        const image = randomImage(side(), side(), i + 1);
        const cfg = config(1 + Math.floor(rnd() * 400), 1 + Math.floor(rnd() * 400), FILTERS[i % FILTERS.length]);
        const scheme = SCHEMES[(i >> 2) % 2];
        const simd = pixelValues(image, cfg, scheme, 'simd');
        const scalar = pixelValues(image, cfg, scheme, 'scalar');
        expect({ i, ...cfg.size, from: [image.width, image.height], scheme, at: firstDifference(simd, scalar) }).toMatchObject({ at: -1 });
      }
    });

    it('without do_resize: the channel map only', () => {
      const image = randomImage(33, 21, 5);
      expectSimdMatchesScalar(image, config(33, 21, 'bicubic', { do_resize: false }), 'torch');
    });
  });

  describe('applies the channel map like normalizationTables, for every 8-bit value', () => {
    const configs: [string, object][] = [
      ['so400m (mean = std = 0.5)', {}],
      ['CLIP mean and std', { image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711] }],
      ['rescale only', { do_normalize: false }],
      ['normalize without rescale', { do_rescale: false, image_mean: [100, 120.5, 3], image_std: [50, 0.3, 7] }],
      ['neither', { do_normalize: false, do_rescale: false }],
      ['an odd rescale factor', { rescale_factor: 1 / 3, image_mean: [0.1, 0.2, 0.3], image_std: [0.7, 0.11, 0.9] }],
    ];
    // A 256×1 image holding every value in every channel (rotated so channels differ), not resized.
    const ramp: Image8 = { data: new Uint8Array(256 * 3).map((_, i) => (Math.floor(i / 3) + 85 * (i % 3)) & 255), width: 256, height: 1, channels: 3 };
    for (const [name, extra] of configs) {
      it(name, () => {
        const cfg = config(256, 1, 'bicubic', { do_resize: false, ...extra });
        const tables = normalizationTables(cfg);
        const expected = new Float32Array(3 * 256);
        for (let p = 0; p < 256; p++) for (let c = 0; c < 3; c++) expected[c * 256 + p] = tables[c][ramp.data[p * 3 + c]];
        expect(firstDifference(pixelValues(ramp, cfg, 'torch', 'simd'), expected)).toBe(-1);
        expect(channelMap(cfg).kind).toBe('do_normalize' in extra && !(extra as { do_normalize: boolean }).do_normalize ? 'scale' : 'normalize');
      });
    }
  });

  it('writes only its slot of a batch buffer', () => {
    const cfg = config(40, 30);
    const per = pixelValuesLength(cfg);
    const batch = new Float32Array(3 * per).fill(42);
    pixelValuesFromRgb8(randomImage(123, 77, 9), cfg, batch, per, 'torch', 'simd');
    expect(batch.subarray(0, per).every((v) => v === 42)).toBe(true);
    expect(batch.subarray(per, 2 * per).some((v) => v !== 42)).toBe(true);
    expect(batch.subarray(2 * per).every((v) => v === 42)).toBe(true);
  });

  it('keeps giving the same bits as sizes change and its table cache turns over', () => {
    const kernels = SimdPreprocessor.load()!;
    const map = channelMap(SO400M_IMAGE_PROCESSOR);
    for (let i = 0; i < 40; i++) {
      const image = randomImage(50 + ((i * 37) % 300), 40 + ((i * 53) % 200), i);
      const cfg = config(24 + (i % 20), 24);
      const out = new Float32Array(pixelValuesLength(cfg));
      expect(kernels.run(image, { ...cfg.size, filter: 'bicubic', scheme: 'torch' }, map, out, 0)).toBe(true);
      expect(firstDifference(out, pixelValues(image, cfg, 'torch', 'scalar'))).toBe(-1);
    }
  });

  it('declines a job larger than its memory bound, leaving it to the scalar path', () => {
    const small = SimdPreprocessor.load(1 << 20)!;
    const out = new Float32Array(pixelValuesLength(SO400M_IMAGE_PROCESSOR)).fill(7);
    const resize = { width: 384, height: 384, filter: 'bicubic', scheme: 'torch' } as const;
    expect(small.run(randomImage(1920, 1080, 1), resize, channelMap(SO400M_IMAGE_PROCESSOR), out, 0)).toBe(false);
    expect(out.every((v) => v === 7)).toBe(true);
  });

  it('reports the time of each step when asked', () => {
    const kernels = SimdPreprocessor.load()!;
    const out = new Float32Array(pixelValuesLength(SO400M_IMAGE_PROCESSOR));
    const resize = { width: 384, height: 384, filter: 'bicubic', scheme: 'torch' } as const;
    const image = randomImage(800, 600, 3);
    const fused = { timings: {} };
    kernels.run(image, resize, channelMap(SO400M_IMAGE_PROCESSOR), out, 0, fused);
    expect(Object.keys(fused.timings).sort()).toEqual(['copyIn', 'copyOut', 'horizontal', 'normalize', 'vertical', 'verticalNormalize']);
    const split = { timings: {} as Record<string, number | undefined>, split: true };
    const again = new Float32Array(out.length);
    kernels.run(image, resize, channelMap(SO400M_IMAGE_PROCESSOR), again, 0, split);
    expect(split.timings.vertical).toBeGreaterThanOrEqual(0);
    expect(split.timings.normalize).toBeGreaterThanOrEqual(0);
    expect(firstDifference(again, out)).toBe(-1);
  });
});
