import type { ImageProcessorConfig } from './imageProcessorConfig';
import type { Image8 } from './resizeImage8';

const f32 = Math.fround;

/**
 * Per-channel lookup tables, 8-bit value → model input, computed in float32 with HF's fused
 * rescale-and-normalize (its default torchvision image processors): mean and std are divided by the
 * rescale factor, then `(v - mean') / std'`. For mean = std = 0.5 that is `(v - 127.5) / 127.5`, which
 * reproduces HF's pixel_values bit for bit. (HF's older PIL processor computes `(v / 255 - 0.5) / 0.5`,
 * within 1 ulp of this.)
 */
export function normalizationTables(cfg: ImageProcessorConfig): Float32Array[] {
  return [0, 1, 2].map((c) => {
    const table = new Float32Array(256);
    const rescale = f32(cfg.rescale_factor);
    let mean = f32(cfg.image_mean[c]);
    let std = f32(cfg.image_std[c]);
    if (cfg.do_rescale && cfg.do_normalize) {
      const inverse = f32(1 / cfg.rescale_factor);
      mean = f32(mean * inverse);
      std = f32(std * inverse);
    }
    for (let v = 0; v < 256; v++) {
      if (cfg.do_normalize) table[v] = f32(f32(v - mean) / std);
      else if (cfg.do_rescale) table[v] = f32(v * rescale);
      else table[v] = v;
    }
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
