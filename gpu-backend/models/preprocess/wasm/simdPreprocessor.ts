import type { ResampleFilter } from '../imageProcessorConfig';
import type { ChannelMap } from '../normalizeChw';
import type { FixedPointScheme } from '../resampleCoefficients';
import type { Image8 } from '../resizeImage8';
import { resizeTables, splitWeights, type ResizeTables } from './kernelTables';
import { RESAMPLE_WASM_BASE64 } from './resampleWasm';

/** The resize half of a preprocessing job: the target size and PIL's filter and fixed point. */
export interface ResizeSpec {
  width: number;
  height: number;
  filter: ResampleFilter;
  scheme: FixedPointScheme;
}

/** Milliseconds spent in each step of one run (filled when the caller passes an object). */
export interface StepTimings {
  /** Decoded pixels into WebAssembly memory. */
  copyIn: number;
  horizontal: number;
  /** The vertical pass and normalisation; fused unless `split` was asked for. */
  verticalNormalize: number;
  /** With `split`: the vertical pass alone, then normalisation alone. */
  vertical?: number;
  normalize?: number;
  /** Float32 planes out of WebAssembly memory into the caller's buffer. */
  copyOut: number;
}

/** What a benchmark asks of `run`. */
export interface StepProbe {
  timings: Partial<StepTimings>;
  split?: boolean;
}

interface Exports {
  memory: WebAssembly.Memory;
  h_i16: Horizontal;
  h_i16_rows4: Horizontal;
  h_i16x2: Horizontal;
  h_i16x2_rows2: Horizontal;
  v_i16: Vertical;
  v_i16x2: Vertical;
  v_norm_i16: VerticalNormalize;
  v_norm_i16x2: VerticalNormalize;
  norm: (src: number, stride: number, rows: number, pixels: number, dst: number, plane: number, norm: number) => void;
}
type Horizontal = (src: number, srcStride: number, rows: number, dst: number, dstStride: number, tab: number, outW: number, prec: number) => void;
type Vertical = (src: number, stride: number, tab: number, entryStride: number, rows: number, dst: number, dstStride: number, bytes: number, prec: number) => void;
type VerticalNormalize = (
  src: number, stride: number, tab: number, entryStride: number, rows: number,
  scratch: number, pixels: number, prec: number, dst: number, plane: number, norm: number,
) => void;

// The kernels read and write in 16-byte steps (48 bytes in, 64 out, per 16 pixels when normalising) and may
// read a little past their buffers: every region gets this much slack after it.
const PAD = 64;
const PAGE = 65536;
// One thread's WebAssembly memory (which never shrinks) stays below this; larger jobs take the scalar path.
const MAX_MEMORY = 64 * 1024 * 1024;
// Rows copied in per horizontal-pass call: enough to amortise the call, few enough to stay in L2.
const CHUNK_BYTES = 128 * 1024;
const TABLE_CACHE = 16;

const align = (n: number) => (n + 15) & ~15;

/**
 * The decode → resize → normalise chain after decoding, on WebAssembly SIMD: PIL's separable resize with the
 * torch or Pillow fixed point, then the channel map into CHW float32, bit-identical to resizeImage8 + writeChw.
 * One instance per thread; `run` is synchronous, so interleaved async callers never share its memory mid-job.
 */
export class SimdPreprocessor {
  private readonly k: Exports;
  private readonly tables = new Map<string, ResizeTables>();

  private constructor(
    instance: WebAssembly.Instance,
    private readonly maxMemory: number,
  ) {
    this.k = instance.exports as unknown as Exports;
  }

  /**
   * The kernels, or undefined where the runtime has no WebAssembly SIMD (the caller keeps the scalar path).
   * `maxMemoryBytes` bounds this instance's memory; jobs that need more are refused by `run`.
   */
  static load(maxMemoryBytes = MAX_MEMORY): SimdPreprocessor | undefined {
    const bytes = Buffer.from(RESAMPLE_WASM_BASE64, 'base64');
    if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) return undefined;
    return new SimdPreprocessor(new WebAssembly.Instance(new WebAssembly.Module(bytes)), maxMemoryBytes);
  }

  /**
   * Resizes (unless `resize` is undefined) an interleaved RGB image and writes map(value) as [3, H, W] float32
   * into `out` from `offset`. Returns false, having written nothing, when the job would need more memory than
   * this instance may have; the caller then runs the scalar path. `probe` is for benchmarks: it receives the time
   * of each step, and with `split` the vertical pass and normalisation run (and are timed) one after the other.
   */
  run(image: Image8, resize: ResizeSpec | undefined, map: ChannelMap, out: Float32Array, offset: number, probe?: StepProbe): boolean {
    const timings = probe?.timings;
    const split = probe?.split ?? false;
    if (image.channels !== 3) return false;
    const outW = resize?.width ?? image.width;
    const outH = resize?.height ?? image.height;
    const t = resize ? this.tablesFor(image.width, image.height, resize) : identityTables(image.width, image.height);
    const h = t.horizontal;
    const v = t.vertical;
    // The kernels round with 1 << (precision - 1); neither scheme ever computes a precision of 0.
    if ((h && h.precision < 1) || (v && v.precision < 1)) return false;
    const inStride = image.width * 3;
    const rows = t.endRow - t.firstRow;
    const chunkRows = Math.max(4, Math.floor(CHUNK_BYTES / inStride / 4) * 4);
    const planeBytes = align(outW * outH * 4 + PAD);

    // Memory: tables | channel map | scratch row | 3 planes | intermediate image | source chunk.
    let at = 0;
    const reserve = (bytes: number) => ((at += align(bytes)), at - align(bytes));
    const hTab = reserve(h ? h.table.byteLength : 0);
    const vTab = reserve(v ? v.table.byteLength : 0);
    const mapAt = reserve(32);
    const scratch = reserve(outW * 3 + PAD);
    const planes = reserve(3 * planeBytes);
    const inter = reserve((rows + 1) * t.stride + PAD);
    const chunk = reserve(h ? Math.min(chunkRows, rows) * inStride + PAD : 0);
    const whole = reserve(v && split ? outH * outW * 3 + PAD : 0);
    if (at > this.maxMemory) return false;
    const memory = this.memoryOf(at);

    const k = this.k;
    const split2 = resize !== undefined && splitWeights(resize.scheme);
    const clock = timings ? () => performance.now() : () => 0;
    if (h) memory.set(h.table, hTab);
    if (v) memory.set(v.table, vTab);
    writeChannelMap(memory, mapAt, map);

    let copyIn = 0;
    let horizontal = 0;
    const src = image.data;
    if (h) {
      // Several rows at a time share each weight load; the rest of a chunk goes one row at a time.
      const [many, one, group] = split2 ? [k.h_i16x2_rows2, k.h_i16x2, 2] : [k.h_i16_rows4, k.h_i16, 4];
      for (let y = 0; y < rows; y += chunkRows) {
        const n = Math.min(chunkRows, rows - y);
        const grouped = n - (n % group);
        const t0 = clock();
        memory.set(src.subarray((t.firstRow + y) * inStride, (t.firstRow + y + n) * inStride), chunk);
        const t1 = clock();
        const dst = inter + y * t.stride;
        many(chunk, inStride, grouped, dst, t.stride, hTab, outW, h.precision);
        one(chunk + grouped * inStride, inStride, n - grouped, dst + grouped * t.stride, t.stride, hTab, outW, h.precision);
        copyIn += t1 - t0;
        horizontal += clock() - t1;
      }
    } else {
      const t0 = clock();
      memory.set(src.subarray(t.firstRow * inStride, t.endRow * inStride), inter);
      copyIn = clock() - t0;
    }

    const t2 = clock();
    let vertical: number | undefined;
    let normalize: number | undefined;
    if (v && split) {
      // Measurement only: the vertical pass into a whole 8-bit image, then normalisation of it.
      (split2 ? k.v_i16x2 : k.v_i16)(inter, t.stride, vTab, v.entryStride, outH, whole, outW * 3, outW * 3, v.precision);
      const t3 = clock();
      k.norm(whole, outW * 3, outH, outW, planes, planeBytes, mapAt);
      vertical = t3 - t2;
      normalize = clock() - t3;
    } else if (v) {
      (split2 ? k.v_norm_i16x2 : k.v_norm_i16)(inter, t.stride, vTab, v.entryStride, outH, scratch, outW, v.precision, planes, planeBytes, mapAt);
    } else {
      k.norm(inter, t.stride, outH, outW, planes, planeBytes, mapAt);
    }
    const t4 = clock();

    const plane = outW * outH;
    const f32 = new Float32Array(k.memory.buffer);
    for (let c = 0; c < 3; c++) {
      const from = (planes + c * planeBytes) >> 2;
      out.set(f32.subarray(from, from + plane), offset + c * plane);
    }
    if (timings) {
      Object.assign(timings, { copyIn, horizontal, verticalNormalize: t4 - t2, vertical, normalize, copyOut: clock() - t4 });
    }
    return true;
  }

  private tablesFor(inW: number, inH: number, r: ResizeSpec): ResizeTables {
    const key = `${inW}x${inH}>${r.width}x${r.height}:${r.filter}:${r.scheme}`;
    let t = this.tables.get(key);
    if (!t) {
      t = resizeTables(inW, inH, r.width, r.height, r.filter, r.scheme);
      if (this.tables.size >= TABLE_CACHE) this.tables.delete(this.tables.keys().next().value as string);
      this.tables.set(key, t);
    }
    return t;
  }

  // A byte view of memory at least `bytes` long (growing it invalidates earlier views).
  private memoryOf(bytes: number): Uint8Array {
    const m = this.k.memory;
    if (m.buffer.byteLength < bytes) m.grow(Math.ceil((bytes - m.buffer.byteLength) / PAGE));
    return new Uint8Array(m.buffer);
  }
}

function identityTables(width: number, height: number): ResizeTables {
  return { firstRow: 0, endRow: height, stride: width * 3 };
}

// [i32 mode][f32 a0 a1 a2][f32 b0 b1 b2], as resample.wat's $norm_row reads it.
function writeChannelMap(memory: Uint8Array, at: number, map: ChannelMap): void {
  const view = new DataView(memory.buffer, at, 28);
  view.setInt32(0, map.kind === 'normalize' ? 0 : 1, true);
  for (let c = 0; c < 3; c++) {
    view.setFloat32(4 + 4 * c, map.a[c], true);
    view.setFloat32(16 + 4 * c, map.b[c], true);
  }
}
