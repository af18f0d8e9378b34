import { describe, expect, it } from 'vitest';
import { copyBytes } from '../../shared/copyBytes';
import { decodeJsonInferRequest } from '../../shared/codec/jsonInferRequest';
import { mulberry32 } from '../../shared/random';

const random = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
};
const sharedBytes = (n: number) => new Uint8Array(new SharedArrayBuffer(n));

describe('copyBytes', () => {
  // Sizes around the 64 KiB stage and the small-copy cut, at every relative alignment, in both directions.
  const sizes = [0, 1, 255, 256, 4096, 65535, 65536, 65537, 200_003];
  it('copies like TypedArray#set into shared memory from unshared chunks at any alignment', () => {
    for (const n of sizes) {
      const src = random(n + 16, n);
      for (let s = 0; s < 8; s++) {
        for (let d = 0; d < 8; d++) {
          const dst = sharedBytes(n + 32).fill(0xaa);
          const want = new Uint8Array(n + 32).fill(0xaa);
          copyBytes(dst.subarray(3), src.subarray(s, s + n), d);
          want.subarray(3).set(src.subarray(s, s + n), d);
          expect(Buffer.compare(Buffer.from(dst.buffer), Buffer.from(want)), `n ${n} src +${s} dst +${d}`).toBe(0);
        }
      }
    }
  });

  it('copies like TypedArray#set out of shared memory into unshared memory at any alignment', () => {
    for (const n of sizes) {
      const src = sharedBytes(n + 16);
      src.set(random(n + 16, n + 1));
      for (let s = 0; s < 8; s++) {
        for (let d = 0; d < 8; d++) {
          const dst = new Uint8Array(n + 32).fill(0x55);
          const want = new Uint8Array(n + 32).fill(0x55);
          copyBytes(dst, src.subarray(s, s + n), d);
          want.set(src.subarray(s, s + n), d);
          expect(Buffer.compare(dst, want), `n ${n} src +${s} dst +${d}`).toBe(0);
        }
      }
    }
  });
});

describe('the JSON decoder on a body in shared memory', () => {
  it('gives the same tensors for a body at any byte offset of a SharedArrayBuffer', () => {
    const values = Array.from({ length: 3000 }, (_, i) => Math.fround(Math.sin(i) * 1.7));
    const text = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [3000], data: values }] });
    const body = new TextEncoder().encode(text);
    const want = decodeJsonInferRequest(body).tensors[0].data as Float32Array;
    expect(Array.from(want)).toEqual(values);
    for (let offset = 0; offset < 8; offset++) {
      const shared = sharedBytes(body.length + 8).subarray(offset, offset + body.length);
      shared.set(body);
      expect(decodeJsonInferRequest(shared).tensors[0].data, `offset ${offset}`).toEqual(want);
    }
  });
});
