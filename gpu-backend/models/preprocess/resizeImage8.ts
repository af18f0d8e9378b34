import type { ResampleFilter } from './imageProcessorConfig';
import { axisCoefficients, type AxisCoefficients, type FixedPointScheme } from './resampleCoefficients';

/** An 8-bit image with interleaved channels (RGB: `channels` = 3), rows top to bottom. */
export interface Image8 {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * Resizes like Pillow's `Image.resize(size, filter)` on an 8-bit image (or torch's uint8 antialiased
 * interpolate, with scheme `torch`): separable convolution, horizontal pass first into an 8-bit
 * intermediate, each pass rounding (`+ 2^(p-1)`, `>> p`) and clamping to 0..255.
 */
export function resizeImage8(
  src: Image8,
  width: number,
  height: number,
  filter: ResampleFilter,
  scheme: FixedPointScheme = 'pil',
): Image8 {
  if (width === src.width && height === src.height) return { ...src, data: src.data.slice() };
  const vertical = height !== src.height ? axisCoefficients(src.height, height, filter, scheme) : undefined;

  let image = src;
  if (width !== src.width) {
    // Only the rows the vertical pass reads are resampled (Pillow's ybox_first..ybox_last).
    const first = vertical ? vertical.start[0] : 0;
    const last = vertical ? vertical.start[height - 1] + vertical.count[height - 1] : src.height;
    image = horizontalPass(src, first, last, axisCoefficients(src.width, width, filter, scheme));
    if (vertical) for (let i = 0; i < height; i++) vertical.start[i] -= first;
  }
  return vertical ? verticalPass(image, vertical) : image;
}

function horizontalPass(src: Image8, firstRow: number, endRow: number, c: AxisCoefficients): Image8 {
  if (src.channels === 3) return horizontalPassRgb(src, firstRow, endRow, c);
  const { channels, width: inW } = src;
  const outW = c.start.length;
  const rows = endRow - firstRow;
  const out = new Uint8Array(outW * rows * channels);
  const { ksize, start, count, weights, precision } = c;
  const half = precision > 0 ? 1 << (precision - 1) : 0;
  const inData = src.data;
  for (let y = 0; y < rows; y++) {
    const rowIn = (y + firstRow) * inW * channels;
    const rowOut = y * outW * channels;
    for (let x = 0; x < outW; x++) {
      const k0 = x * ksize;
      const n = count[x];
      const p0 = rowIn + start[x] * channels;
      for (let ch = 0; ch < channels; ch++) {
        let acc = half;
        for (let t = 0, p = p0 + ch; t < n; t++, p += channels) acc = (acc + Math.imul(inData[p], weights[k0 + t])) | 0;
        out[rowOut + x * channels + ch] = clip8(acc, precision);
      }
    }
  }
  return { data: out, width: outW, height: rows, channels };
}

// The hot loop for RGB: one walk over the taps feeds three accumulators. Int32 arithmetic is exact here
// (see clip8), and Math.imul / `| 0` keep V8 on integer instructions.
function horizontalPassRgb(src: Image8, firstRow: number, endRow: number, c: AxisCoefficients): Image8 {
  const inW = src.width;
  const outW = c.start.length;
  const rows = endRow - firstRow;
  const out = new Uint8Array(outW * rows * 3);
  const { ksize, start, count, weights, precision } = c;
  const half = precision > 0 ? 1 << (precision - 1) : 0;
  const inData = src.data;
  for (let y = 0; y < rows; y++) {
    const rowIn = (y + firstRow) * inW * 3;
    let o = y * outW * 3;
    for (let x = 0; x < outW; x++) {
      const k0 = x * ksize;
      const n = count[x];
      let p = rowIn + start[x] * 3;
      let r = half;
      let g = half;
      let b = half;
      for (let t = 0; t < n; t++, p += 3) {
        const w = weights[k0 + t];
        r = (r + Math.imul(inData[p], w)) | 0;
        g = (g + Math.imul(inData[p + 1], w)) | 0;
        b = (b + Math.imul(inData[p + 2], w)) | 0;
      }
      out[o++] = clip8(r, precision);
      out[o++] = clip8(g, precision);
      out[o++] = clip8(b, precision);
    }
  }
  return { data: out, width: outW, height: rows, channels: 3 };
}

// Row-wise accumulation: each tap adds a whole input row, which walks memory in order.
function verticalPass(src: Image8, c: AxisCoefficients): Image8 {
  const { channels, width } = src;
  const outH = c.start.length;
  const stride = width * channels;
  const out = new Uint8Array(stride * outH);
  const acc = new Int32Array(stride);
  const { ksize, start, count, weights, precision } = c;
  const half = precision > 0 ? 1 << (precision - 1) : 0;
  const inData = src.data;
  for (let y = 0; y < outH; y++) {
    const k0 = y * ksize;
    const n = count[y];
    acc.fill(half);
    for (let t = 0; t < n; t++) {
      const w = weights[k0 + t];
      const row = (start[y] + t) * stride;
      for (let i = 0; i < stride; i++) acc[i] = (acc[i] + Math.imul(inData[row + i], w)) | 0;
    }
    const rowOut = y * stride;
    for (let i = 0; i < stride; i++) out[rowOut + i] = clip8(acc[i], precision);
  }
  return { data: out, width, height: outH, channels };
}

// Sums stay below 2^31 (255 · Σ|w| · 2^22 < 2^31, Pillow's "two extra bits"), so `>>` is an exact floor.
function clip8(acc: number, precision: number): number {
  const v = acc >> precision;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
