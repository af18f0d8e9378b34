import { InferenceError, invalidArgument } from '../../shared/errors';
import type { ImageLimits } from './preprocess/imageLimits';
import type { ImageProcessorConfig } from './preprocess/imageProcessorConfig';
import { readImageHeader } from './preprocess/decodeImage';
import { preprocessImage } from './preprocess/preprocessImage';
import type { WorkerPool } from '../workers/workerPool';
import type { BytesElement } from './types';
import type { ElementPipeline } from './elementPipeline';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextEncoder();
const ascii = new TextDecoder('latin1');

/** Whether `bytes` start like a file of a format we decode (JPEG, PNG, GIF, WebP, TIFF, AVIF/HEIF). */
function looksLikeImageFile(b: Uint8Array): boolean {
  if (b.length < 12) return false;
  const at = (i: number, s: string) => [...s].every((c, k) => b[i + k] === c.charCodeAt(0));
  return (
    (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) ||
    (b[0] === 0x89 && at(1, 'PNG')) ||
    at(0, 'GIF8') ||
    (at(0, 'RIFF') && at(8, 'WEBP')) ||
    at(0, 'II*\0') ||
    at(0, 'MM\0*') ||
    at(4, 'ftyp')
  );
}

// Base64 text, optionally as a data: URL, with whitespace dropped; undefined when it is not base64.
function base64Payload(text: string): string | undefined {
  let t = text.startsWith('data:') ? text.slice(text.indexOf(',') + 1) : text;
  t = t.replace(/\s+/g, '');
  return t && t.length % 4 !== 1 && BASE64.test(t) ? t : undefined;
}

/**
 * Bytes of an image element under the request's `base64_encoded` (the Triton deployment's parameter):
 * - false: the element is the file itself (raw bytes in the binary protocol, the string's UTF-8 bytes in JSON);
 * - true: the element is base64 text (or a data: URL) of the file.
 * An element that is plainly the other kind gets a 400 that says which parameter to set.
 */
export function imageBytes(e: BytesElement, label: string, base64: boolean): Uint8Array {
  if (base64) {
    const payload = base64Payload(typeof e === 'string' ? e : ascii.decode(e));
    if (payload === undefined) {
      const hint = typeof e !== 'string' && looksLikeImageFile(e) ? ': it is an image file; send it with parameters.base64_encoded false' : '';
      throw invalidArgument(`${label}: not valid base64 image data${hint}`);
    }
    const buf = Buffer.from(payload, 'base64');
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  const bytes = typeof e === 'string' ? utf8.encode(e) : e;
  if (!looksLikeImageFile(bytes)) {
    const text = typeof e === 'string' ? e.slice(0, 4096) : ascii.decode(e.subarray(0, 4096));
    if (text.startsWith('data:') || (base64Payload(text) !== undefined && text.length >= 16)) {
      throw invalidArgument(`${label}: this element is base64 text, but base64_encoded is false: set parameters.base64_encoded to true, or send the file's bytes`);
    }
  }
  return bytes;
}

/** Re-raises an error with the element's label in front, keeping its code (an unknown error stays internal). */
function labelled(err: unknown, label: string): Error {
  if (err instanceof InferenceError) return new InferenceError(err.code, `${label}: ${err.message}`, err.reason);
  return err instanceof Error ? err : new Error(String(err));
}

/** Image limits, per image and per request. */
export interface ImagePipelineLimits extends ImageLimits {
  /** Pixels (width × height, from the headers) of all images of one request together (413 beyond). */
  maxRequestPixels: number;
}

/**
 * Image element → pixel values. Each image's header is read and checked first; the request's images are then
 * decoded in the worker pool, in turn with other requests' images, and those not started are dropped when the
 * client leaves.
 */
export function imagePipeline(inputName: string, config: ImageProcessorConfig, limits: ImagePipelineLimits, pool: WorkerPool | null): ElementPipeline<Uint8Array> {
  return {
    budget: { max: limits.maxRequestPixels, unit: 'pixels' },
    async inspect(element, index, { base64 }) {
      const label = `${inputName}[${index}]`;
      const bytes = imageBytes(element, label, base64);
      if (bytes.byteLength > limits.maxEncodedBytes) {
        throw new InferenceError('PAYLOAD_TOO_LARGE', `${label}: image of ${bytes.byteLength} bytes exceeds the limit of ${limits.maxEncodedBytes} bytes`, 'too_large');
      }
      if (bytes.byteLength === 0) throw invalidArgument(`${label}: empty image`);
      try {
        const { width, height } = await readImageHeader(bytes, limits);
        return { item: bytes, cost: width * height };
      } catch (err) {
        throw labelled(err, label);
      }
    },
    async process(bytes, index, { signal, group }) {
      try {
        if (!pool) return await preprocessImage(bytes, config, limits);
        // A copy of its own (Buffer#slice would be a view of the whole request body), moved to the worker.
        const owned = new Uint8Array(bytes);
        return await pool.run('preprocessImage', { bytes: owned.buffer, config, limits }, [owned.buffer], { signal, group });
      } catch (err) {
        throw labelled(err, `${inputName}[${index}]`);
      }
    },
  };
}
