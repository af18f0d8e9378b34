import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * PIL's `Image.Resampling` numbers, as HF writes them in `preprocessor_config.json`.
 * NEAREST (0) is not a convolution in PIL (it is an affine nearest-neighbour transform), so it is not offered.
 */
export const PIL_RESAMPLE = { 1: 'lanczos', 2: 'bilinear', 3: 'bicubic', 4: 'box', 5: 'hamming' } as const;

/** A convolution filter of PIL's Resample.c. */
export type ResampleFilter = (typeof PIL_RESAMPLE)[keyof typeof PIL_RESAMPLE];

const rgbTriple = z.union([z.number(), z.array(z.number()).length(3)]).transform((v) => (typeof v === 'number' ? [v, v, v] : v));

// Field names and meanings are HF's SiglipImageProcessor; defaults are google/siglip-so400m-patch14-384's.
// Unknown keys (image_processor_type, processor_class, ...) are accepted and ignored, as HF does.
export const imageProcessorConfigSchema = z.object({
  do_resize: z.boolean().default(true),
  size: z
    .object({ height: z.number().int().min(1).max(4096), width: z.number().int().min(1).max(4096) })
    .default({ height: 384, width: 384 }),
  resample: z
    .union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)], {
      error: 'resample must be a PIL filter number: 1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX or 5 HAMMING (0 NEAREST is not supported)',
    })
    .default(3),
  do_rescale: z.boolean().default(true),
  rescale_factor: z.number().positive().default(1 / 255),
  do_normalize: z.boolean().default(true),
  image_mean: rgbTriple.default([0.5, 0.5, 0.5]),
  image_std: rgbTriple
    .default([0.5, 0.5, 0.5])
    .refine((s) => s.every((x) => x !== 0), 'image_std must not contain 0'),
  do_convert_rgb: z.boolean().nullable().default(true),
});

/** Validated image-processor settings (HF field names). */
export type ImageProcessorConfig = z.output<typeof imageProcessorConfigSchema>;

/** Parses a `preprocessor_config.json` object; throws a ZodError naming the bad field. */
export function parseImageProcessorConfig(json: unknown): ImageProcessorConfig {
  return imageProcessorConfigSchema.parse(json ?? {});
}

/** so400m's settings: 384×384, BICUBIC, 1/255, mean = std = 0.5. */
export const SO400M_IMAGE_PROCESSOR: ImageProcessorConfig = parseImageProcessorConfig({});

/** Reads `<dir>/preprocessor_config.json`, or so400m's defaults when the file is absent. */
export async function loadImageProcessorConfig(dir: string): Promise<ImageProcessorConfig> {
  let text: string;
  try {
    text = await readFile(join(dir, 'preprocessor_config.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return SO400M_IMAGE_PROCESSOR;
    throw err;
  }
  return parseImageProcessorConfig(JSON.parse(text));
}
