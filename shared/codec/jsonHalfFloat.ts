/**
 * IEEE 754 binary16 bits of a double, rounded to nearest, ties to even, straight from the double (never through
 * float32, which would round twice): the FP16 datatype of JSON tensors. The rounding is @petamoriken/float16's
 * `f16round` (docs/library-choices.md: 4-8× faster than the hand-written rounding this replaced, same bits on
 * every case checked); its result is exactly a half, so packing its bits involves no further rounding.
 */
import { f16round } from '@petamoriken/float16';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float64ToHalfBits(v: number): number {
  const h = f16round(v);
  if (h !== h) return 0x7e00;
  // Exactly representable in float32 too: its bits carry the half's sign, exponent and top 10 mantissa bits.
  f32[0] = h;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const abs = x & 0x7fffffff;
  if (abs >= 0x7f800000) return sign | 0x7c00;
  // Normal halves (from 2^-14): rebias the exponent (127 → 15); the 13 dropped mantissa bits are zero.
  if (abs >= 0x38800000) return sign | ((abs - 0x38000000) >>> 13);
  // Subnormal halves and zero are exact multiples of 2^-24.
  return sign | (Math.abs(h) * 16777216);
}
