import { internal, invalidArgument } from '../../../shared/errors';
import { decodeImageRgb8 } from './decodeImage';
import type { ImageLimits } from './imageLimits';
import { PIL_RESAMPLE, type ImageProcessorConfig } from './imageProcessorConfig';
import { channelMap, normalizationTables, writeChw } from './normalizeChw';
import type { FixedPointScheme } from './resampleCoefficients';
import { resizeImage8, type Image8 } from './resizeImage8';
import { SimdPreprocessor } from './wasm/simdPreprocessor';

// sharp has no box or Hamming kernel; the nearest in spirit stand in. Catmull-Rom ("cubic") is PIL's bicubic kernel.
const SHARP_KERNEL = { bicubic: 'cubic', bilinear: 'linear', lanczos: 'lanczos3', box: 'linear', hamming: 'linear' } as const;

/**
 * Which resize produces the model's pixels:
 * - `torch` (default): PIL's algorithm with torch's int16 fixed point, as HF transformers ≥ 5 runs it by
 *   default (torchvision backend); bit-exact with the reference pixel_values.
 * - `pil`: Pillow's Image.resize bit for bit (HF's PIL backend, transformers 4's default); within 2/255.
 * - `sharp`: libvips' resize with the Catmull-Rom kernel: fastest, least faithful.
 */
export type Resizer = 'torch' | 'pil' | 'sharp';

/** Number of floats one preprocessed image occupies: 3 × height × width. */
export function pixelValuesLength(cfg: ImageProcessorConfig): number {
  return 3 * cfg.size.height * cfg.size.width;
}

/**
 * Which code runs the steps after decoding. Both give the same bits:
 * - `simd` (default): WebAssembly SIMD kernels (wasm/resample.wat), where the runtime has them;
 * - `scalar`: resizeImage8 + writeChw, the reference the kernels are tested against (and the fallback).
 */
export type Kernels = 'simd' | 'scalar';

// Loaded on first use, once per thread; undefined when the runtime has no WebAssembly SIMD.
let simd: SimdPreprocessor | undefined | null = null;
function simdPreprocessor(): SimdPreprocessor | undefined {
  if (simd === null) simd = SimdPreprocessor.load();
  return simd;
}

/**
 * HF SiglipImageProcessor for one encoded image: decode to RGB (PIL's convert("RGB")), resize to
 * size.height × size.width ignoring aspect ratio, rescale and normalize into CHW float32.
 * Writes into `out` at `offset` when given (to fill a batch buffer without copies) and returns `out`;
 * otherwise returns a new Float32Array. Self-contained: safe to run in a worker thread.
 */
export async function preprocessImage(
  bytes: Uint8Array,
  cfg: ImageProcessorConfig,
  limits: ImageLimits,
  out?: Float32Array,
  offset = 0,
  resizer: Resizer = 'torch',
): Promise<Float32Array> {
  const { height, width } = cfg.size;
  const target = out ?? new Float32Array(pixelValuesLength(cfg));
  checkTarget(target, offset, cfg);
  if (cfg.do_resize && resizer === 'sharp') {
    const filter = PIL_RESAMPLE[cfg.resample];
    const image = await decodeImageRgb8(bytes, limits, { width, height, kernel: SHARP_KERNEL[filter] });
    writeChw(image, normalizationTables(cfg), target, offset);
  } else {
    pixelValuesFromRgb8(await decodeImageRgb8(bytes, limits), cfg, target, offset, resizer === 'pil' ? 'pil' : 'torch');
  }
  return target;
}

/**
 * SiglipImageProcessor after decoding: resizes a decoded RGB image with PIL's algorithm in the given fixed point
 * (unless do_resize is off, when it must already have the model's size) and writes the rescaled, normalised
 * [3, H, W] float32 values into `out` at `offset`.
 */
export function pixelValuesFromRgb8(
  image: Image8,
  cfg: ImageProcessorConfig,
  out: Float32Array,
  offset: number,
  scheme: FixedPointScheme,
  kernels: Kernels = 'simd',
): void {
  const { height, width } = cfg.size;
  checkTarget(out, offset, cfg);
  if (!cfg.do_resize && (image.width !== width || image.height !== height)) {
    throw invalidArgument(`image is ${image.width}×${image.height}; without do_resize it must be ${width}×${height}`);
  }
  const resize = cfg.do_resize ? { width, height, filter: PIL_RESAMPLE[cfg.resample], scheme } : undefined;
  if (kernels === 'simd' && simdPreprocessor()?.run(image, resize, channelMap(cfg), out, offset)) return;
  const resized = resize ? resizeImage8(image, width, height, resize.filter, scheme) : image;
  writeChw(resized, normalizationTables(cfg), out, offset);
}

function checkTarget(target: Float32Array, offset: number, cfg: ImageProcessorConfig): void {
  const length = pixelValuesLength(cfg);
  if (offset < 0 || offset + length > target.length) {
    throw internal(`preprocessImage: output buffer of ${target.length} floats cannot hold ${length} at offset ${offset}`);
  }
}
