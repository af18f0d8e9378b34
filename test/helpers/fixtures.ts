import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Path of a file under test/fixtures/siglip. */
export const fixturePath = (name: string) => fileURLToPath(new URL(`../fixtures/siglip/${name}`, import.meta.url));

/** Reads a little-endian float32 fixture file. */
export function readF32(name: string): Float32Array {
  const buf = readFileSync(fixturePath(name));
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return new Float32Array(copy.buffer);
}

interface Reference {
  random_pixels: { pooler_output: number[][] };
  photos: { files: string[]; pooler_output: number[][] };
  text: { input_ids: number[][]; pooler_output: number[][] };
}

/** reference.json: HF transformers' pooler outputs for the fixtures. */
export const reference: Reference = JSON.parse(readFileSync(fixturePath('reference.json'), 'utf8'));

/** Rows of a [n, ...] float32 array, each `size` values. */
export function row(data: Float32Array, i: number, size: number): Float32Array {
  return data.subarray(i * size, (i + 1) * size);
}

/** Largest absolute difference between two vectors. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Cosine similarity. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}
