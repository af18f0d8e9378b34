import { describe, expect, it } from 'vitest';
import { bfloat16ToFloat32, float16ToFloat32, float32ToFloat16 } from '../../model-tools/convert/tensor/halfFloat';

const toHalf = (...xs: number[]) => Array.from(float32ToFloat16(new Float32Array(xs)));

describe('float32ToFloat16', () => {
  it('encodes exact values bit for bit', () => {
    expect(toHalf(0, -0, 1, -2, 0.5, 65504)).toEqual([0x0000, 0x8000, 0x3c00, 0xc000, 0x3800, 0x7bff]);
  });

  it('rounds to nearest, ties to even, in the normal range', () => {
    // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa (1).
    expect(toHalf(1 + 2 ** -11)).toEqual([0x3c00]);
    // 1 + 3·2^-11 is halfway between 1+2^-10 (odd) and 1+2^-9 (even).
    expect(toHalf(1 + 3 * 2 ** -11)).toEqual([0x3c02]);
    expect(toHalf(1 + 2 ** -11 + 2 ** -20)).toEqual([0x3c01]);
  });

  it('overflows to infinity from 65520 and keeps infinities and NaN', () => {
    expect(toHalf(65519.99, 65520, Infinity, -Infinity)).toEqual([0x7bff, 0x7c00, 0x7c00, 0xfc00]);
    expect(toHalf(NaN)[0] & 0x7c00).toBe(0x7c00);
    expect(toHalf(NaN)[0] & 0x03ff).not.toBe(0);
  });

  it('produces subnormals and flushes below half the smallest one', () => {
    expect(toHalf(2 ** -24, 3 * 2 ** -24, 2 ** -14 - 2 ** -24)).toEqual([0x0001, 0x0003, 0x03ff]);
    expect(toHalf(2 ** -25, 2 ** -25 + 2 ** -30, 2 ** -26)).toEqual([0x0000, 0x0001, 0x0000]);
    // Rounding up out of the subnormal range lands on the smallest normal.
    expect(toHalf(2 ** -14 - 2 ** -26)).toEqual([0x0400]);
  });

  it('round-trips every finite half through float32', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = float32ToFloat16(float16ToFloat32(all));
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (!isNaN && back[h] !== h) throw new Error(`0x${h.toString(16)} came back as 0x${back[h].toString(16)}`);
    }
  });
});

describe('bfloat16ToFloat32', () => {
  it('widens by placing the 16 bits on top of a float32', () => {
    expect(Array.from(bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc000, 0x0000, 0x7f80])))).toEqual([1, -2, 0, Infinity]);
  });
});
