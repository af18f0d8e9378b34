import { internal, invalidArgument } from '../../../shared/errors';
import { decodeImageRgb8 } from './decodeImage';
import type { ImageLimits } from './imageLimits';
import { PIL_RESAMPLE, type ImageProcessorConfig } from './imageProcessorConfig';
import { normalizationTables, writeChw } from './normalizeChw';
import { resizeImage8 } from './resizeImage8';

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
  const length = pixelValuesLength(cfg);
  const target = out ?? new Float32Array(length);
  if (offset < 0 || offset + length > target.length) {
    throw internal(`preprocessImage: output buffer of ${target.length} floats cannot hold ${length} at offset ${offset}`);
  }
  const filter = PIL_RESAMPLE[cfg.resample];
  const sharpResize = cfg.do_resize && resizer === 'sharp';
  let image = await decodeImageRgb8(bytes, limits, sharpResize ? { width, height, kernel: SHARP_KERNEL[filter] } : undefined);
  if (cfg.do_resize && !sharpResize) {
    image = resizeImage8(image, width, height, filter, resizer === 'pil' ? 'pil' : 'torch');
  } else if (image.width !== width || image.height !== height) {
    throw invalidArgument(`image is ${image.width}×${image.height}; without do_resize it must be ${width}×${height}`);
  }
  writeChw(image, normalizationTables(cfg), target, offset);
  return target;
}
