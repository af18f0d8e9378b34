import { InferenceError, invalidArgument } from '../../shared/errors';
import type { ImageLimits } from './preprocess/imageLimits';
import type { ImageProcessorConfig } from './preprocess/imageProcessorConfig';
import { preprocessImage } from './preprocess/preprocessImage';
import type { WorkerPool } from '../workers/workerPool';
import type { BytesElement } from './types';
import type { ElementPreprocessor } from './pipelineModel';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Bytes of an image element: raw in the binary protocol, base64 (optionally a data: URL) in JSON. */
export function imageBytes(e: BytesElement, label: string): Uint8Array {
  if (typeof e !== 'string') return e;
  let text = e.startsWith('data:') ? e.slice(e.indexOf(',') + 1) : e;
  text = text.replace(/\s+/g, '');
  if (!text || text.length % 4 === 1 || !BASE64.test(text)) throw invalidArgument(`${label}: not valid base64 image data`);
  const buf = Buffer.from(text, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Re-raises an error with the element's label in front, keeping its code. */
export function labelled(err: unknown, label: string): InferenceError {
  if (err instanceof InferenceError) return new InferenceError(err.code, `${label}: ${err.message}`, err.reason);
  return new InferenceError('INTERNAL', `${label}: ${(err as Error).message}`);
}

/**
 * Image element → pixel values, checked against the size limit first and preprocessed off the event loop
 * (in the worker pool when there is one).
 */
export function imagePreprocessor(inputName: string, config: ImageProcessorConfig, limits: ImageLimits, pool: WorkerPool | null): ElementPreprocessor {
  return async (element, index) => {
    const label = `${inputName}[${index}]`;
    const bytes = imageBytes(element, label);
    if (bytes.byteLength > limits.maxEncodedBytes) {
      throw new InferenceError('PAYLOAD_TOO_LARGE', `${label}: image of ${bytes.byteLength} bytes exceeds the limit of ${limits.maxEncodedBytes} bytes`, 'too_large');
    }
    if (bytes.byteLength === 0) throw invalidArgument(`${label}: empty image`);
    try {
      if (!pool) return await preprocessImage(bytes, config, limits);
      // A copy of its own (Buffer#slice would be a view of the whole request body), moved to the worker.
      const owned = new Uint8Array(bytes);
      return await pool.run('preprocessImage', { bytes: owned.buffer, config, limits }, [owned.buffer]);
    } catch (err) {
      throw labelled(err, label);
    }
  };
}
