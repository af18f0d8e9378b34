import type { ImageProcessorConfig } from './imageProcessorConfig';
import type { Image8 } from './resizeImage8';

const f32 = Math.fround;

/**
 * The per-channel map from an 8-bit value to the model input, in float32 as HF computes it with its fused
 * rescale-and-normalize (its default torchvision image processors): mean and std are divided by the rescale
 * factor, then `(v - mean') / std'`. For mean = std = 0.5 that is `(v - 127.5) / 127.5`, which reproduces HF's
 * pixel_values bit for bit. (HF's older PIL processor computes `(v / 255 - 0.5) / 0.5`, within 1 ulp of this.)
 * - `normalize`: `f32(f32(v - a) / b)`;
 * - `scale`: `f32(v * a)` (rescale only; a = 1 when neither is on).
 * Each is one IEEE float32 operation at a time, so JS (double, rounded with fround: exact for +, -, ×, ÷ of
 * float32 values) and WebAssembly's f32x4 arithmetic give the same bits.
 */
export interface ChannelMap {
  kind: 'normalize' | 'scale';
  a: [number, number, number];
  b: [number, number, number];
}

/** The ChannelMap of an image-processor config. */
export function channelMap(cfg: ImageProcessorConfig): ChannelMap {
  if (!cfg.do_normalize) return { kind: 'scale', a: [0, 1, 2].map(() => (cfg.do_rescale ? f32(cfg.rescale_factor) : 1)) as ChannelMap['a'], b: [1, 1, 1] };
  const inverse = f32(1 / cfg.rescale_factor);
  const fused = (x: number) => (cfg.do_rescale ? f32(f32(x) * inverse) : f32(x));
  return {
    kind: 'normalize',
    a: [0, 1, 2].map((c) => fused(cfg.image_mean[c])) as ChannelMap['a'],
    b: [0, 1, 2].map((c) => fused(cfg.image_std[c])) as ChannelMap['b'],
  };
}

/** Per-channel lookup tables, 8-bit value → model input, from channelMap. */
export function normalizationTables(cfg: ImageProcessorConfig): Float32Array[] {
  const map = channelMap(cfg);
  return [0, 1, 2].map((c) => {
    const table = new Float32Array(256);
    const a = map.a[c];
    const b = map.b[c];
    for (let v = 0; v < 256; v++) table[v] = map.kind === 'normalize' ? f32(f32(v - a) / b) : f32(v * a);
    return table;
  });
}

/** Writes an interleaved RGB image as planar CHW float32 into `out` from `offset`, through `tables`. */
export function writeChw(image: Image8, tables: Float32Array[], out: Float32Array, offset: number): void {
  const plane = image.width * image.height;
  const { data } = image;
  const [r, g, b] = tables;
  for (let p = 0, i = 0; p < plane; p++, i += 3) {
    out[offset + p] = r[data[i]];
    out[offset + plane + p] = g[data[i + 1]];
    out[offset + 2 * plane + p] = b[data[i + 2]];
  }
}
