import { expect } from 'vitest';
import { binaryRequest } from './backend';
import { maxAbsDiff, readF32, reference, row } from './fixtures';

/** Values in one [3,384,384] image. */
export const IMAGE = 3 * 384 * 384;

const randomPixels = readF32('random_pixels_2x3x384x384.f32');
const photoPixels = readF32('photos_pixel_values_3x3x384x384.f32');

/** Five distinct test images with the embeddings HF transformers gives for them. */
export const knownImages: { pixels: Float32Array; expected: number[] }[] = [
  ...[0, 1].map((i) => ({ pixels: row(randomPixels, i, IMAGE), expected: reference.random_pixels.pooler_output[i] })),
  ...[0, 1, 2].map((i) => ({ pixels: row(photoPixels, i, IMAGE), expected: reference.photos.pooler_output[i] })),
];

/** A one-image binary-extension request for siglip_vision, binary output, with optional header fields. */
export function visionBinaryRequest(pixels: Float32Array, extra: object = {}): { body: Uint8Array; headers: Record<string, string> } {
  return binaryRequest(
    {
      inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { binary_data_size: pixels.byteLength } }],
      parameters: { binary_data_output: true },
      ...extra,
    },
    pixels,
  );
}

/** POSTs one image to siglip_vision; resolves with the status and, on 200, the embedding. */
export async function inferImage(
  url: string,
  pixels: Float32Array,
  init: { extra?: object; signal?: AbortSignal; headers?: Record<string, string> } = {},
): Promise<{ status: number; embedding?: Float32Array; error?: string }> {
  const req = visionBinaryRequest(pixels, init.extra);
  const res = await fetch(`${url}/v2/models/siglip_vision/infer`, {
    method: 'POST',
    headers: { ...req.headers, ...init.headers },
    body: req.body as BodyInit,
    signal: init.signal,
  });
  const buf = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) return { status: res.status, error: JSON.parse(new TextDecoder().decode(buf)).error };
  const n = Number(res.headers.get('inference-header-content-length'));
  return { status: 200, embedding: new Float32Array(buf.slice(n).buffer) };
}

/** Asserts the backend still computes a correct embedding (used after every rejected request). */
export async function expectServing(url: string, image = knownImages[0]): Promise<void> {
  const result = await inferImage(url, image.pixels);
  expect(result.status).toBe(200);
  expect(maxAbsDiff(result.embedding!, image.expected)).toBeLessThanOrEqual(1e-4);
}

/** GET .../stats of one model: its model_stats entry. */
export async function modelStats(url: string, model = 'siglip_vision'): Promise<any> {
  return (await (await fetch(`${url}/v2/models/${model}/stats`)).json()).model_stats[0];
}
