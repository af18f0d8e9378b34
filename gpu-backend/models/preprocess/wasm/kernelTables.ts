import type { ResampleFilter } from '../imageProcessorConfig';
import { axisCoefficients, type AxisCoefficients, type FixedPointScheme } from '../resampleCoefficients';

/** What one resize needs from resample.wat, laid out as its kernels read it (see the comments there). */
export interface ResizeTables {
  /** Horizontal-pass table, or undefined when the width does not change. */
  horizontal?: { table: Uint8Array; precision: number };
  /** Vertical-pass table (entries `entryStride` bytes apart), or undefined when the height does not change. */
  vertical?: { table: Uint8Array; precision: number; entryStride: number };
  /** Input rows the vertical pass reads, [firstRow, endRow) (Pillow's ybox): only those are resampled horizontally. */
  firstRow: number;
  endRow: number;
  /** Bytes between rows of the intermediate image the vertical pass reads (a horizontal pass's rows get a spare byte). */
  stride: number;
}

/** Which kernel a scheme's weights need: int16 as they are (torch), or Pillow's 22 bits split in two int16. */
export const splitWeights = (scheme: FixedPointScheme) => scheme === 'pil';

// w = hi·2^11 + lo with lo in 0..2047: both halves fit int16 for Pillow's weights (|w| ≤ 2^22 · 1.x).
const SPLIT = 11;
const hiHalf = (w: number) => w >> SPLIT;
const loHalf = (w: number) => w & ((1 << SPLIT) - 1);

// torch's weights are int16 by construction (int16Precision keeps the largest below 2^15); a DataView would wrap.
function int16(w: number): number {
  if (w < -32768 || w > 32767) throw new RangeError(`resample weight ${w} does not fit int16`);
  return w;
}

/** Builds the tables for resizing an inW×inH RGB image to outW×outH. */
export function resizeTables(inW: number, inH: number, outW: number, outH: number, filter: ResampleFilter, scheme: FixedPointScheme): ResizeTables {
  const split = splitWeights(scheme);
  const v = outH !== inH ? axisCoefficients(inH, outH, filter, scheme) : undefined;
  const firstRow = v ? v.start[0] : 0;
  const endRow = v ? v.start[outH - 1] + v.count[outH - 1] : inH;
  const h = outW !== inW ? axisCoefficients(inW, outW, filter, scheme) : undefined;
  const stride = h ? outW * 3 + 1 : inW * 3;
  return {
    horizontal: h && { table: horizontalTable(h, split), precision: h.precision },
    vertical: v && { ...verticalTable(v, split, firstRow, stride), precision: v.precision },
    firstRow,
    endRow,
    stride,
  };
}

// The kernels' tap loops run at least once (Pillow's windows always hold a tap; zero weights if one did not).
const groupsOf = (taps: number) => Math.max(1, Math.ceil(taps / 4));
const pairsOf = (taps: number) => Math.max(1, Math.ceil(taps / 2));

// Per output pixel: [i32 byte offset of its first tap][i32 groups of 4 taps], then per group the int16 weight
// vectors [w0 w1 w0 w1 w0 w1 0 0] and [w2 w3 w2 w3 w2 w3 0 0] (split: the hi pair vectors, then the lo ones).
function horizontalTable(c: AxisCoefficients, split: boolean): Uint8Array {
  const outW = c.start.length;
  const vectorsPerGroup = split ? 4 : 2;
  let groups = 0;
  for (let x = 0; x < outW; x++) groups += groupsOf(c.count[x]);
  const bytes = new Uint8Array(outW * 8 + groups * vectorsPerGroup * 16);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (let x = 0; x < outW; x++) {
    const n = c.count[x];
    const g = groupsOf(n);
    view.setInt32(at, c.start[x] * 3, true);
    view.setInt32(at + 4, g, true);
    at += 8;
    const tap = (t: number) => (t < n ? c.weights[x * c.ksize + t] : 0);
    for (let k = 0; k < g; k++) {
      for (let half = 0; half < (split ? 2 : 1); half++) {
        const part = !split ? int16 : half === 0 ? hiHalf : loHalf;
        for (let pair = 0; pair < 2; pair++) {
          const w0 = part(tap(4 * k + 2 * pair));
          const w1 = part(tap(4 * k + 2 * pair + 1));
          for (let lane = 0; lane < 3; lane++) {
            view.setInt16(at + lane * 4, w0, true);
            view.setInt16(at + lane * 4 + 2, w1, true);
          }
          at += 16; // lanes 6 and 7 stay 0
        }
      }
    }
  }
  return bytes;
}

// Per output row: [i32 byte offset of its first input row][i32 pairs of taps], then per pair an i32 holding the
// two int16 weights, first tap in the low half (split: the hi pair, then the lo pair).
function verticalTable(c: AxisCoefficients, split: boolean, firstRow: number, stride: number) {
  const outH = c.start.length;
  let maxPairs = 0;
  for (let y = 0; y < outH; y++) maxPairs = Math.max(maxPairs, pairsOf(c.count[y]));
  const entryStride = 8 + maxPairs * (split ? 8 : 4);
  const table = new Uint8Array(outH * entryStride);
  const view = new DataView(table.buffer);
  for (let y = 0; y < outH; y++) {
    const n = c.count[y];
    const pairs = pairsOf(n);
    let at = y * entryStride;
    view.setInt32(at, (c.start[y] - firstRow) * stride, true);
    view.setInt32(at + 4, pairs, true);
    at += 8;
    const tap = (t: number) => (t < n ? c.weights[y * c.ksize + t] : 0);
    for (let k = 0; k < pairs; k++) {
      const w0 = tap(2 * k);
      const w1 = tap(2 * k + 1);
      if (split) {
        view.setInt16(at, hiHalf(w0), true);
        view.setInt16(at + 2, hiHalf(w1), true);
        view.setInt16(at + 4, loHalf(w0), true);
        view.setInt16(at + 6, loHalf(w1), true);
        at += 8;
      } else {
        view.setInt16(at, int16(w0), true);
        view.setInt16(at + 2, int16(w1), true);
        at += 4;
      }
    }
  }
  return { table, entryStride };
}
