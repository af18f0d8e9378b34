import sharp from 'sharp';
import type { KernelEnum, Metadata, OutputInfo, SharpOptions } from 'sharp';
import { InferenceError, invalidArgument } from '../../../shared/errors';
import type { ImageLimits } from './imageLimits';
import type { Image8 } from './resizeImage8';

/** Formats sharp reports that we decode; AVIF arrives as `heif` with `av1` compression. */
const ACCEPTED = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);
const ACCEPTED_NAMES = 'JPEG, PNG, WebP, GIF, TIFF or AVIF';

/** What to do to the decoded pixels before they are returned: nothing, or sharp's own resize. */
export interface SharpResize {
  width: number;
  height: number;
  kernel: KernelEnum[keyof KernelEnum];
}

/** What an image's header says, read without decoding its pixels. */
export interface ImageHeader {
  format: string;
  width: number;
  height: number;
}

/**
 * Reads an image's format and size from its header and checks them against the limits (the decode-bomb guard),
 * without decoding pixels. Throws the same errors as decodeImageRgb8.
 */
export async function readImageHeader(bytes: Uint8Array, limits: ImageLimits): Promise<ImageHeader> {
  if (bytes.byteLength > limits.maxEncodedBytes) {
    throw new InferenceError('PAYLOAD_TOO_LARGE', `image is ${bytes.byteLength} bytes; the limit is ${limits.maxEncodedBytes} bytes`);
  }
  if (bytes.byteLength === 0) throw invalidArgument('image is empty (0 bytes)');
  let meta: Metadata;
  try {
    // Header only; the pixel limit is checked below with a message that says what was too large.
    meta = await sharp(bytes, { limitInputPixels: false, ignoreIcc: true, autoOrient: false, pages: 1, page: 0 }).metadata();
  } catch (err) {
    throw invalidArgument(`not a decodable image (expected ${ACCEPTED_NAMES}): ${messageOf(err)}`);
  }
  const format = meta.format as string;
  if (!ACCEPTED.has(format) || (format === 'heif' && meta.compression !== 'av1')) {
    const name = format === 'heif' ? `heif/${meta.compression ?? 'unknown'}` : format;
    throw invalidArgument(`unsupported image format "${name}"; send ${ACCEPTED_NAMES}`);
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width * height > limits.maxPixels) {
    throw invalidArgument(`image is ${width}×${height} = ${width * height} pixels; the limit is ${limits.maxPixels} pixels`);
  }
  return { format, width, height };
}

/**
 * Decodes an encoded image into 8-bit RGB the way PIL's `Image.open(...).convert("RGB")` does:
 * - grayscale → the gray value in all three channels;
 * - RGBA, LA, palette with transparency → alpha is DROPPED, not composited on a background;
 * - palette → expanded; 16-bit RGB → the high byte of each sample (PIL's "RGB;16B" unpacking);
 * - GIF, WebP, TIFF: the first frame/page only;
 * - EXIF orientation is NOT applied (PIL's Image.open does not rotate, nor does HF's image processor);
 * - embedded ICC profiles are ignored (PIL ignores them too).
 * Deviations, both deliberate: 16-bit grayscale keeps its high byte (PIL clips every value above 255
 * to white, which destroys the image), and CMYK goes through sharp's CMYK→sRGB conversion rather than
 * PIL's naive formula.
 *
 * Throws InferenceError PAYLOAD_TOO_LARGE for too many bytes, and INVALID_ARGUMENT for an empty,
 * unsupported, corrupt or too large (decompression bomb) image; messages are meant to be prefixed by
 * the caller with the image's index.
 */
export async function decodeImageRgb8(bytes: Uint8Array, limits: ImageLimits, resize?: SharpResize): Promise<Image8> {
  const { format } = await readImageHeader(bytes, limits);
  // sharp's own guard backs ours up: it refuses to decode past limitInputPixels even if a header lied.
  const options: SharpOptions = { limitInputPixels: limits.maxPixels, ignoreIcc: true, autoOrient: false, pages: 1, page: 0 };
  let pipeline = sharp(bytes, options);
  if (resize) {
    // Drop alpha first: sharp premultiplies alpha around a resize, which would darken translucent pixels.
    pipeline = pipeline.removeAlpha().resize(resize.width, resize.height, { fit: 'fill', kernel: resize.kernel, fastShrinkOnLoad: false });
  }
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw invalidArgument(`corrupt or truncated ${format} image: ${messageOf(err)}`);
  }
  const { data, info } = decoded;
  return { data: toRgb(data, info.width * info.height, info.channels), width: info.width, height: info.height, channels: 3 };
}

// sharp already expands palettes and gray to sRGB; what may remain is an alpha band (or a lone gray band).
function toRgb(data: Uint8Array, pixels: number, channels: number): Uint8Array {
  if (channels === 3) return data;
  const out = new Uint8Array(pixels * 3);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += channels, o += 3) {
    if (channels >= 3) {
      out[o] = data[i];
      out[o + 1] = data[i + 1];
      out[o + 2] = data[i + 2];
    } else {
      out[o] = out[o + 1] = out[o + 2] = data[i];
    }
  }
  return out;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
