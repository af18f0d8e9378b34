import { describe, expect, it } from 'vitest';
import { PIL_RESAMPLE } from '../../gpu-backend/models/preprocess/imageProcessorConfig';
import { axisCoefficients } from '../../gpu-backend/models/preprocess/resampleCoefficients';
import { resizeImage8, type Image8 } from '../../gpu-backend/models/preprocess/resizeImage8';
import reference from './pilResizeReference.json';

// The formula pilResizeReference.json's source images were made with (see its "source" field).
function source(width: number, height: number): Image8 {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0, i = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++, i++)
        data[i] = (x * 7 + y * 13 + c * 101 + ((x * y) % 17) * 9 + ((Math.floor(x / 5) + Math.floor(y / 4)) % 2 === 0 ? 120 : 0)) % 256;
  return { data, width, height, channels: 3 };
}

describe('resizeImage8', () => {
  describe('with the pil scheme', () => {
    for (const c of reference.cases) {
      const filter = PIL_RESAMPLE[c.resample as keyof typeof PIL_RESAMPLE];
      it(`matches Pillow bit for bit: ${filter} ${c.source.join('×')} → ${c.size.join('×')}`, () => {
        const out = resizeImage8(source(c.source[0], c.source[1]), c.size[0], c.size[1], filter, 'pil');
        expect(out.width).toBe(c.size[0]);
        expect(out.height).toBe(c.size[1]);
        expect(Buffer.from(out.data).equals(Buffer.from(c.rgb_base64, 'base64'))).toBe(true);
      });
    }
  });

  it('returns a copy when the size does not change', () => {
    const src = source(9, 5);
    const out = resizeImage8(src, 9, 5, 'bicubic');
    expect(out.data).toEqual(src.data);
    expect(out.data).not.toBe(src.data);
  });

  it('keeps a constant image constant, for every filter and both schemes', () => {
    const flat: Image8 = { data: new Uint8Array(31 * 17 * 3).fill(77), width: 31, height: 17, channels: 3 };
    for (const filter of Object.values(PIL_RESAMPLE))
      for (const scheme of ['pil', 'torch'] as const) {
        for (const [w, h] of [[8, 40], [64, 5], [31, 3]]) {
          expect(resizeImage8(flat, w, h, filter, scheme).data.every((v) => v === 77)).toBe(true);
        }
      }
  });

  it('clamps bicubic overshoot at hard edges to 0..255', () => {
    const edge: Image8 = { data: new Uint8Array(8 * 3), width: 8, height: 1, channels: 3 };
    edge.data.fill(255, 12);
    const out = resizeImage8(edge, 29, 1, 'bicubic');
    expect(Math.min(...out.data)).toBe(0);
    expect(Math.max(...out.data)).toBe(255);
  });

  it('resizes single-channel images too', () => {
    const gray: Image8 = { data: new Uint8Array(10 * 10).map((_, i) => i), width: 10, height: 10, channels: 1 };
    const out = resizeImage8(gray, 5, 5, 'bilinear');
    expect(out.channels).toBe(1);
    expect(out.data.length).toBe(25);
  });
});

describe('axisCoefficients', () => {
  it('stretches the bicubic support by the downscale factor (antialias), as Pillow does', () => {
    expect(axisCoefficients(384, 384, 'bicubic', 'pil').ksize).toBe(5);
    expect(axisCoefficients(1920, 384, 'bicubic', 'pil').ksize).toBe(2 * Math.ceil(2 * 5) + 1);
  });

  it('uses 22 fractional bits for pil and the widest int16 weights for torch', () => {
    expect(axisCoefficients(512, 384, 'bicubic', 'pil').precision).toBe(22);
    const torch = axisCoefficients(512, 384, 'bicubic', 'torch');
    expect(torch.precision).toBeLessThan(22);
    expect(Math.max(...torch.weights)).toBeLessThan(1 << 15);
    expect(Math.max(...torch.weights) * 2).toBeGreaterThanOrEqual(1 << 15);
  });

  it('has weights that sum to one (within rounding) for every output pixel', () => {
    const c = axisCoefficients(451, 384, 'bicubic', 'pil');
    for (let i = 0; i < 384; i++) {
      let sum = 0;
      for (let t = 0; t < c.count[i]; t++) sum += c.weights[i * c.ksize + t];
      expect(Math.abs(sum - 2 ** 22)).toBeLessThanOrEqual(c.count[i]);
    }
  });
});
