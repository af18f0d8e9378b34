import type { ResampleFilter } from './imageProcessorConfig';

interface Filter {
  fn: (x: number) => number;
  support: number;
}

// The filters of Pillow's Resample.c, written with the same operation order so results match to the last bit.
const sinc = (x: number) => (x === 0 ? 1 : Math.sin(x * Math.PI) / (x * Math.PI));
const FILTERS: Record<ResampleFilter, Filter> = {
  box: { fn: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0), support: 0.5 },
  bilinear: { fn: (x) => ((x = Math.abs(x)) < 1 ? 1 - x : 0), support: 1 },
  hamming: {
    fn: (x) => {
      x = Math.abs(x);
      if (x === 0) return 1;
      if (x >= 1) return 0;
      x *= Math.PI;
      // Pillow writes 0.54f and 0.46f: float literals promoted to double.
      return (Math.sin(x) / x) * (Math.fround(0.54) + Math.fround(0.46) * Math.cos(x));
    },
    support: 1,
  },
  // Keys' cubic convolution with a = -0.5, as PIL (and torch's antialiased bicubic) use.
  bicubic: {
    fn: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
    support: 2,
  },
  lanczos: { fn: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0), support: 3 },
};

/**
 * How float weights become integers.
 * - `pil`: Pillow's ImagingResample on 8-bit images: 22 fractional bits, for every axis.
 * - `torch`: torch's uint8 antialiased resize (what torchvision, hence HF's default "fast" image
 *   processors, run on CPU): int16 weights with the most fractional bits (≤ 22) that keep the largest
 *   weight of the axis below 2^15.
 */
export type FixedPointScheme = 'pil' | 'torch';

/** Integer weights for resampling one axis: output `i` reads `count[i]` inputs from `start[i]`. */
export interface AxisCoefficients {
  /** Maximum taps per output (Pillow's `ksize`); `weights` holds `ksize` slots per output. */
  ksize: number;
  start: Int32Array;
  count: Int32Array;
  weights: Int32Array;
  /** Fractional bits of `weights`. */
  precision: number;
}

/**
 * Pillow's precompute_coeffs + normalize_coeffs_8bpc for a whole-image box: output pixel `i` is centred at
 * `(i + 0.5) * scale` in input coordinates, and the filter is stretched by `scale` when shrinking (antialias).
 */
export function axisCoefficients(
  inSize: number,
  outSize: number,
  filterName: ResampleFilter,
  scheme: FixedPointScheme,
): AxisCoefficients {
  const filter = FILTERS[filterName];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const ss = 1 / filterScale;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const real = new Float64Array(outSize * ksize);
  let wMax = 0;
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    // C's (int) cast truncates toward zero; negatives are clamped to 0 right after, so trunc is exact here.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    // torch clamps the tap count to ksize ("rare cases when due to precision"); Pillow's buffers never exceed it either.
    const n = Math.min(Math.min(Math.trunc(center + support + 0.5), inSize) - xmin, ksize);
    let total = 0;
    const row = i * ksize;
    for (let x = 0; x < n; x++) {
      const w = filter.fn((x + xmin - center + 0.5) * ss);
      real[row + x] = w;
      total += w;
    }
    if (total !== 0) for (let x = 0; x < n; x++) real[row + x] /= total;
    for (let x = 0; x < n; x++) wMax = Math.max(wMax, real[row + x]);
    start[i] = xmin;
    count[i] = n;
  }
  const precision = scheme === 'pil' ? 22 : int16Precision(wMax);
  const unit = 2 ** precision;
  const weights = new Int32Array(outSize * ksize);
  for (let k = 0; k < real.length; k++) {
    const v = real[k] * unit;
    weights[k] = v < 0 ? Math.trunc(v - 0.5) : Math.trunc(v + 0.5);
  }
  return { ksize, start, count, weights, precision };
}

// torch's _compute_index_ranges_int16_weights: stop before the largest weight would reach 2^15.
function int16Precision(wMax: number): number {
  let p = 0;
  for (; p < 22; p++) {
    if (Math.trunc(0.5 + wMax * 2 ** (p + 1)) >= 1 << 15) break;
  }
  return p;
}
