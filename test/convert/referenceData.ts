import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

/** The HF transformers reference fixtures (see test/fixtures/siglip, made with transformers 5.17). */
const FIXTURES = fileURLToPath(new URL('../fixtures/siglip', import.meta.url));
export const VISION_TINY = join(FIXTURES, 'siglip_vision_tiny');
export const TEXT_TINY = join(FIXTURES, 'siglip_text_tiny');

interface Reference {
  random_pixels: { pooler_output: number[][] };
  photos: { pooler_output: number[][] };
  text: { input_ids: number[][]; pooler_output: number[][] };
}

/** reference.json, parsed. */
export const reference: Reference = JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8'));

/** A little-endian float32 fixture file as an ORT tensor of the given shape. */
export function pixelTensor(file: string, batch: number): ort.Tensor {
  const buf = readFileSync(join(FIXTURES, file));
  const values = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return new ort.Tensor('float32', values, [batch, 3, 384, 384]);
}

/** The reference text input_ids as an int64 tensor. */
export function inputIdsTensor(): ort.Tensor {
  const ids = reference.text.input_ids;
  return new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [ids.length, ids[0].length]);
}

/** Runs a model file on the CPU EP and returns its single output. */
export async function runOnCpu(modelPath: string, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
  try {
    const out = await session.run(feeds);
    return out[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Largest |a - b| over a flat output and a reference [rows][cols]. */
export function maxAbsDiff(actual: Float32Array, expected: number[][]): number {
  const e = expected.flat();
  if (actual.length !== e.length) throw new Error(`output has ${actual.length} values, reference ${e.length}`);
  let m = 0;
  for (let i = 0; i < e.length; i++) m = Math.max(m, Math.abs(actual[i] - e[i]));
  return m;
}

/** Smallest per-row cosine similarity between an output and a reference [rows][cols]. */
export function minCosine(actual: Float32Array, expected: number[][]): number {
  let worst = 1;
  const d = expected[0].length;
  expected.forEach((row, r) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < d; i++) {
      const a = actual[r * d + i];
      dot += a * row[i];
      na += a * a;
      nb += row[i] * row[i];
    }
    worst = Math.min(worst, dot / Math.sqrt(na * nb));
  });
  return worst;
}
