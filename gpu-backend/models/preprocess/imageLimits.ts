import { z } from 'zod';

// Defaults: 20 MiB covers a 48-megapixel phone JPEG; 50 megapixels covers the same photo decoded, while
// bounding a decode to ~200 MB of RGBA. Pillow's own bomb guard (Image.MAX_IMAGE_PIXELS) is 89.5 Mpx.
export const imageLimitsSchema = z.object({
  /** Largest encoded image accepted, in bytes (413 beyond it). */
  maxEncodedBytes: z.number().int().positive().default(20 * 1024 * 1024),
  /** Largest decoded image accepted, width × height, checked from the header before decoding (400 beyond it). */
  maxPixels: z.number().int().positive().default(50_000_000),
});

/** Safety limits applied to every image before and while it is decoded. */
export type ImageLimits = z.output<typeof imageLimitsSchema>;

/** The default limits. */
export const DEFAULT_IMAGE_LIMITS: ImageLimits = imageLimitsSchema.parse({});
