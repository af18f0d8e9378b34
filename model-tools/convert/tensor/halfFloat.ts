// IEEE 754 binary16 / bfloat16 conversions on whole arrays. These run over every weight of a 400M-parameter
// model, so they are tight loops over Uint32 views with no allocation per element.

/** Converts float32 values to float16 bit patterns, rounding to nearest even (as torch's `.half()` does). */
export function float32ToFloat16(src: Float32Array, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const sign = (x >>> 16) & 0x8000;
    const abs = x & 0x7fffffff;
    let h: number;
    if (abs >= 0x477ff000) {
      // >= 65520 rounds to infinity; NaN stays a (quiet) NaN.
      h = abs > 0x7f800000 ? 0x7e00 : 0x7c00;
    } else if (abs >= 0x38800000) {
      // Normal half: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits to nearest even.
      const r = abs - 0x38000000;
      h = (r + 0x0fff + ((r >>> 13) & 1)) >>> 13;
    } else if (abs >= 0x33000000) {
      // Subnormal half: value = m * 2^-24, so shift the full 24-bit mantissa right by (126 - exponent).
      const shift = 126 - (abs >>> 23);
      const mant = (abs & 0x7fffff) | 0x800000;
      h = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rem > half || (rem === half && (h & 1) === 1)) h++;
    } else {
      h = 0;
    }
    dst[i] = sign | h;
  }
  return dst;
}

/** Converts float16 bit patterns to float32 values (exact). */
export function float16ToFloat32(src: Uint16Array, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) {
    const h = src[i];
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0x1f) {
      out[i] = sign | 0x7f800000 | (mant << 13);
    } else if (exp !== 0) {
      out[i] = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant === 0) {
      out[i] = sign;
    } else {
      // Subnormal half: exact in float32, m * 2^-24.
      dst[i] = (sign ? -1 : 1) * mant * 2 ** -24;
    }
  }
  return dst;
}

/** Converts bfloat16 bit patterns to float32 values (exact: bfloat16 is the top half of a float32). */
export function bfloat16ToFloat32(src: Uint16Array, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return dst;
}
