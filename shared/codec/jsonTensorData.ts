/** Decodes the `data` array of a JSON tensor straight from bytes into the typed array of its datatype. */
import type { Datatype } from '../protocol';
import { latin1, type JsonCursor } from './jsonCursor';
import { float64ToHalfBits } from './jsonHalfFloat';
import { readBigInt, readFloat32, readFloat64 } from './jsonNumber';
import { readFloat32Run, WASM_MIN_BYTES } from './wasmFloat32Run';

/** What a JSON tensor's data becomes, per datatype. */
export type TensorData =
  | Float32Array | Float64Array | Uint16Array
  | Int8Array | Int16Array | Int32Array | Uint8Array | Uint32Array
  | BigInt64Array | BigUint64Array
  | string[];

/** Either the decoded elements, or the first element that does not fit the datatype (row-major index). */
export type TensorDataResult =
  | { ok: true; data: TensorData; count: number }
  | { ok: false; index: number; reason: string };

/** Receives the leaves of a (possibly nested) data array one by one. */
interface ElementSink {
  count: number;
  /** Why the last `take` returned false, e.g. "is not a number". */
  reason: string;
  /** Consumes the non-array value at `cur.p`; false when it does not fit the datatype (cursor then unspecified). */
  take(cur: JsonCursor): boolean;
  /**
   * Optional fast path: consumes a run of values separated by "," or ", " starting at `cur.p` and stops after
   * the last value of the run (before any other separator); false as `take`.
   */
  takeRun?(cur: JsonCursor): boolean;
  finish(): TensorData;
}

type NumberArray = Float32Array | Float64Array | Uint16Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint32Array;
type NumberArrayCtor = new (n: number) => NumberArray;

/** Grows like a vector; hands back an exactly-sized array so its buffer can be transferred as it is. */
abstract class TypedSink<T extends NumberArray | BigInt64Array | BigUint64Array> implements ElementSink {
  count = 0;
  reason = '';
  constructor(protected out: T) {}
  abstract take(cur: JsonCursor): boolean;

  protected grow(): void {
    const bigger = new (this.out.constructor as new (n: number) => T)(Math.max(16, this.out.length * 2));
    (bigger as { set(a: T): void }).set(this.out);
    this.out = bigger;
  }

  finish(): TensorData {
    return this.count === this.out.length ? this.out : (this.out.slice(0, this.count) as TensorData);
  }
}

/**
 * The rare cases behind a non-finite read, as Triton's parser (rapidjson) treats them: a NaN/Infinity token is
 * taken; a token too large for a double (1e400) is refused ("Number too big to be stored in double"); a double
 * past FP32's range becomes ±Infinity, as a C cast does. Undefined means refused, with `sink.reason` set.
 */
function unusualFloat(sink: { reason: string }, cur: JsonCursor, start: number, v: number, datatype: string): number | undefined {
  if (v === v) {
    if (Number.isFinite(Number(latin1(cur.b, start, cur.p)))) return v;
    sink.reason = `is out of range for ${datatype} (too large for a double)`;
    return undefined;
  }
  const special = cur.nonFinite();
  if (special === undefined) sink.reason = 'is not a number';
  return special;
}

/** Whether FP32 runs go to the WebAssembly reader (tests turn it off to check the JavaScript reader alone). */
export const Float32SinkSettings = { useKernel: true };

class Float32Sink extends TypedSink<Float32Array> {
  // The hot loop of a pixel tensor: one call per row of numbers instead of one per number.
  takeRun(cur: JsonCursor): boolean {
    const b = cur.b;
    let out = this.out;
    let count = this.count;
    const kernel = Float32SinkSettings.useKernel && b.length - cur.p >= WASM_MIN_BYTES;
    for (;;) {
      if (kernel) {
        // The kernel reads what it can; the token it stops at (if any) is read below, exactly.
        if (count === out.length) { this.count = count; this.grow(); out = this.out; }
        const before = count;
        count = readFloat32Run(cur, out, count);
        if (count !== before) {
          const c = b[cur.p];
          // Stopped after a value at a separator it does not take: the general loop goes on from here.
          if (c !== 44 && !((c >= 48 && c <= 57) || c === 45 || c === 78 || c === 73)) break;
          if (c === 44) {
            let p = cur.p;
            let d = b[++p];
            if (d === 32) d = b[++p];
            if (!((d >= 48 && d <= 57) || d === 45)) break;
            cur.p = p;
            if (count === out.length) continue;
          }
        }
      }
      const start = cur.p;
      let v = readFloat32(cur);
      if (v - v !== 0) {
        const u = unusualFloat(this, cur, start, v, 'FP32');
        if (u === undefined) { this.count = count; return false; }
        v = u;
      }
      if (count === out.length) { this.count = count; this.grow(); out = this.out; }
      out[count++] = v;
      let p = cur.p;
      if (b[p] !== 44) break;
      let c = b[++p];
      if (c === 32) c = b[++p];
      // The next value must start a number here; anything else (newlines, a nested array) goes the general way.
      if (!((c >= 48 && c <= 57) || c === 45)) break;
      cur.p = p;
    }
    this.count = count;
    return true;
  }

  take(cur: JsonCursor): boolean {
    const start = cur.p;
    let v = readFloat32(cur);
    // One test for NaN and ±Infinity.
    if (v - v !== 0) {
      const u = unusualFloat(this, cur, start, v, 'FP32');
      if (u === undefined) return false;
      v = u;
    }
    if (this.count === this.out.length) this.grow();
    this.out[this.count++] = v;
    return true;
  }
}

class Float64Sink extends TypedSink<Float64Array> {
  take(cur: JsonCursor): boolean {
    const start = cur.p;
    let v = readFloat64(cur);
    if (v - v !== 0) {
      const u = unusualFloat(this, cur, start, v, 'FP64');
      if (u === undefined) return false;
      v = u;
    }
    if (this.count === this.out.length) this.grow();
    this.out[this.count++] = v;
    return true;
  }
}

class HalfSink extends TypedSink<Uint16Array> {
  take(cur: JsonCursor): boolean {
    const start = cur.p;
    let v = readFloat64(cur);
    // Doubles past FP16's range round to ±Infinity (IEEE conversion), as numpy's float16 does.
    if (v - v !== 0) {
      const u = unusualFloat(this, cur, start, v, 'FP16');
      if (u === undefined) return false;
      v = u;
    }
    if (this.count === this.out.length) this.grow();
    this.out[this.count++] = float64ToHalfBits(v);
    return true;
  }
}

class IntegerSink extends TypedSink<NumberArray> {
  constructor(out: NumberArray, private readonly min: number, private readonly max: number, private readonly datatype: string) {
    super(out);
  }

  take(cur: JsonCursor): boolean {
    const v = readFloat64(cur);
    const why = integerProblem(v, this.min, this.max, this.datatype);
    if (why) { this.reason = why; return false; }
    if (this.count === this.out.length) this.grow();
    this.out[this.count++] = v;
    return true;
  }
}

class BigIntSink extends TypedSink<BigInt64Array | BigUint64Array> {
  constructor(out: BigInt64Array | BigUint64Array, private readonly min: bigint, private readonly max: bigint, private readonly datatype: string) {
    super(out);
  }

  take(cur: JsonCursor): boolean {
    const v = readBigInt(cur);
    if (typeof v !== 'bigint') { this.reason = v === 'is too large' ? `is out of range for ${this.datatype}` : v; return false; }
    if (v < this.min || v > this.max) { this.reason = `is out of range for ${this.datatype}`; return false; }
    if (this.count === this.out.length) this.grow();
    this.out[this.count++] = v;
    return true;
  }
}

class BoolSink extends TypedSink<Uint8Array> {
  take(cur: JsonCursor): boolean {
    const c = cur.b[cur.p];
    let v: number;
    if (c === 116) { cur.literal('true'); v = 1; }
    else if (c === 102) { cur.literal('false'); v = 0; }
    else { this.reason = 'is not a boolean'; return false; }
    if (this.count === this.out.length) this.grow();
    this.out[this.count++] = v;
    return true;
  }
}

class StringSink implements ElementSink {
  count = 0;
  reason = '';
  private readonly out: string[] = [];

  take(cur: JsonCursor): boolean {
    if (cur.b[cur.p] !== 34) { this.reason = 'is not a string'; return false; }
    this.out.push(cur.string());
    this.count++;
    return true;
  }

  finish(): string[] {
    return this.out;
  }
}

/** Inclusive ranges of the integer datatypes that fit in a double. */
export const INTEGER_RANGE: Partial<Record<Datatype, [number, number, NumberArrayCtor]>> = {
  INT8: [-128, 127, Int8Array],
  INT16: [-32768, 32767, Int16Array],
  INT32: [-(2 ** 31), 2 ** 31 - 1, Int32Array],
  UINT8: [0, 255, Uint8Array],
  UINT16: [0, 65535, Uint16Array],
  UINT32: [0, 2 ** 32 - 1, Uint32Array],
};

/** Inclusive ranges of the 64-bit datatypes. */
export const BIGINT_RANGE = {
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
} as const;

/** Why `v` cannot be an element of an integer datatype, or '' when it can. */
export function integerProblem(v: number, min: number, max: number, datatype: string): string {
  if (v !== v) return 'is not a number';
  // JSON.parse turns 1e400 into Infinity; for an integer tensor that is a range problem, as 1e30 is.
  if (!Number.isFinite(v)) return `is out of range for ${datatype}`;
  if (!Number.isInteger(v)) return 'is not an integer';
  if (v < min || v > max) return `is out of range for ${datatype}`;
  return '';
}

function sinkFor(datatype: Datatype, capacity: number): ElementSink {
  switch (datatype) {
    case 'FP32': return new Float32Sink(new Float32Array(capacity));
    case 'FP64': return new Float64Sink(new Float64Array(capacity));
    case 'FP16': return new HalfSink(new Uint16Array(capacity));
    case 'BOOL': return new BoolSink(new Uint8Array(capacity));
    case 'BYTES': return new StringSink();
    case 'INT64': return new BigIntSink(new BigInt64Array(capacity), BIGINT_RANGE.INT64[0], BIGINT_RANGE.INT64[1], datatype);
    case 'UINT64': return new BigIntSink(new BigUint64Array(capacity), BIGINT_RANGE.UINT64[0], BIGINT_RANGE.UINT64[1], datatype);
    default: {
      const [min, max, Ctor] = INTEGER_RANGE[datatype]!;
      return new IntegerSink(new Ctor(capacity), min, max, datatype);
    }
  }
}

/**
 * Decodes the array at `cur.p` (nested arrays are flattened in row-major order), validating its JSON syntax up
 * to the first element that does not fit `datatype`. `capacity` is a guess of the element count.
 */
export function decodeTensorData(cur: JsonCursor, datatype: Datatype, capacity: number): TensorDataResult {
  const sink = sinkFor(datatype, capacity);
  let depth = 0;
  let c = cur.ws();
  for (;;) {
    // At a value: open an array, or hand a leaf to the sink.
    if (c === 91) {
      cur.p++;
      c = cur.ws();
      if (c !== 93) { depth++; continue; }
      cur.p++;
    } else if (depth === 0) {
      throw new Error('decodeTensorData must start at an array');
    } else if (!(sink.takeRun ? sink.takeRun(cur) : sink.take(cur))) {
      return { ok: false, index: sink.count, reason: sink.reason };
    }
    // After a value: close arrays until a comma leads to the next value.
    for (;;) {
      if (depth === 0) return { ok: true, data: sink.finish(), count: sink.count };
      c = cur.ws();
      if (c === 44) { cur.p++; c = cur.ws(); break; }
      if (c !== 93) throw cur.fail();
      cur.p++;
      depth--;
    }
  }
}
