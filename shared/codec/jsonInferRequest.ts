/**
 * KServe v2 JSON infer requests decoded straight from bytes: tensor `data` goes into typed arrays without ever
 * becoming a JS array of numbers. Plain TypeScript, so both the backend and the Workers gateway can use it.
 */
import { InferenceError } from '../errors';
import { elementCount, type Datatype, type RequestInput } from '../protocol';
import { JsonCursor, setMember } from './jsonCursor';
import { float64ToHalfBits } from './jsonHalfFloat';
import { buildDecodedRequest, isDatatype, type DataConverter, type DecodedJsonRequest } from './jsonRequestStructure';
import { BIGINT_RANGE, decodeTensorData, INTEGER_RANGE, integerProblem, type TensorData } from './jsonTensorData';

export type { DecodedInput, DecodedJsonRequest } from './jsonRequestStructure';
export type { TensorData } from './jsonTensorData';

/** Where an input's `data` array lies in the body, and what it decoded to if its datatype was known by then. */
class DataSpan {
  constructor(
    readonly start: number,
    readonly decodedAs?: Datatype,
    readonly data?: TensorData,
    readonly count = 0,
  ) {}
}

const bad = (msg: string) => new InferenceError('INVALID_ARGUMENT', msg);

/** Decodes a JSON infer request body; every body JSON.parse rejects gets a 400 "malformed JSON at byte N". */
export function decodeJsonInferRequest(body: Uint8Array): DecodedJsonRequest {
  const cur = new JsonCursor(body);
  // TextDecoder drops a leading UTF-8 BOM before JSON.parse sees the text; do the same.
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) cur.p = 3;
  const root = cur.ws() === 123 ? readRequestObject(cur) : cur.value();
  if (cur.ws() !== -1) throw cur.fail();
  return buildDecodedRequest(root, (raw, input) => convertSpan(cur, raw, input));
}

function readRequestObject(cur: JsonCursor): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  cur.members((key) => {
    if (key === 'inputs' && cur.ws() === 91) {
      const inputs: unknown[] = [];
      cur.elements(() => { inputs.push(cur.ws() === 123 ? readInputObject(cur) : cur.value()); });
      setMember(obj, key, inputs);
    } else setMember(obj, key, cur.value());
  });
  return obj;
}

function readInputObject(cur: JsonCursor): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  cur.members((key) => {
    setMember(obj, key, key === 'data' && cur.ws() === 91 ? readDataArray(cur, obj) : cur.value());
  });
  return obj;
}

// Decodes at once when the datatype came before the data (the usual order). Otherwise, or when an element does
// not fit, it only validates the syntax now and decodes (or reports) once the whole body is known to be JSON.
function readDataArray(cur: JsonCursor, input: Record<string, unknown>): DataSpan {
  const start = cur.p;
  const { datatype } = input;
  if (isDatatype(datatype)) {
    const result = decodeTensorData(cur, datatype, capacityGuess(input.shape, cur));
    if (result.ok) return new DataSpan(start, datatype, result.data, result.count);
    cur.p = start;
  }
  cur.skipValue();
  return new DataSpan(start);
}

function capacityGuess(shape: unknown, cur: JsonCursor): number {
  // Each element takes at least two bytes ("0,"), so a lying shape cannot make us allocate more than the body.
  const most = ((cur.b.length - cur.p) >> 1) + 1;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return Math.min(1024, most);
  return Math.min(elementCount(shape), most);
}

function convertSpan(cur: JsonCursor, raw: unknown, input: RequestInput): { data: TensorData; count: number } {
  if (!(raw instanceof DataSpan)) throw bad(`input '${input.name}': data must be an array`);
  if (raw.decodedAs === input.datatype) return { data: raw.data!, count: raw.count };
  cur.p = raw.start;
  const result = decodeTensorData(cur, input.datatype, capacityGuess(input.shape, cur));
  if (!result.ok) throw bad(`input '${input.name}': data element ${result.index} ${result.reason}`);
  return result;
}

/**
 * The slow reference: TextDecoder + JSON.parse + typed-array conversion, with the same results and error codes
 * for standard JSON (JSON.parse refuses the NaN and Infinity tokens the fast decoder takes).
 */
export function decodeJsonInferRequestNaive(body: Uint8Array): DecodedJsonRequest {
  let root: unknown;
  try {
    root = JSON.parse(new TextDecoder().decode(body));
  } catch (err) {
    throw bad(`malformed JSON: ${(err as Error).message}`);
  }
  return buildDecodedRequest(root, naiveConvert);
}

const naiveConvert: DataConverter = (raw, input) => {
  if (!Array.isArray(raw)) throw bad(`input '${input.name}': data must be an array`);
  const values = raw.flat(Infinity) as unknown[];
  const dt = input.datatype;
  const fail = (i: number, reason: string) => bad(`input '${input.name}': data element ${i} ${reason}`);
  const n = values.length;
  let data: TensorData;
  if (dt === 'BYTES') {
    values.forEach((v, i) => { if (typeof v !== 'string') throw fail(i, 'is not a string'); });
    data = values as string[];
  } else if (dt === 'BOOL') {
    data = new Uint8Array(n);
    values.forEach((v, i) => { if (typeof v !== 'boolean') throw fail(i, 'is not a boolean'); (data as Uint8Array)[i] = v ? 1 : 0; });
  } else if (dt === 'INT64' || dt === 'UINT64') {
    // Lossy above 2^53 (JSON.parse makes doubles); the fast decoder is exact there.
    const [min, max] = BIGINT_RANGE[dt];
    const out = dt === 'INT64' ? new BigInt64Array(n) : new BigUint64Array(n);
    values.forEach((v, i) => {
      if (typeof v !== 'number') throw fail(i, 'is not a number');
      if (!Number.isFinite(v)) throw fail(i, `is out of range for ${dt}`);
      if (!Number.isInteger(v)) throw fail(i, 'is not an integer');
      const big = BigInt(v);
      if (big < min || big > max) throw fail(i, `is out of range for ${dt}`);
      out[i] = big;
    });
    data = out;
  } else {
    const numbers = values.map((v, i) => {
      if (typeof v !== 'number') throw fail(i, 'is not a number');
      // JSON.parse turns 1e400 into Infinity; Triton's parser refuses it (the fast decoder too).
      if (!Number.isFinite(v) && (dt === 'FP32' || dt === 'FP64' || dt === 'FP16')) throw fail(i, `is out of range for ${dt} (too large for a double)`);
      return v;
    });
    if (dt === 'FP32') data = Float32Array.from(numbers);
    else if (dt === 'FP64') data = Float64Array.from(numbers);
    else if (dt === 'FP16') data = Uint16Array.from(numbers, float64ToHalfBits);
    else {
      const [min, max, Ctor] = INTEGER_RANGE[dt]!;
      const out = new Ctor(n);
      numbers.forEach((v, i) => {
        const why = integerProblem(v, min, max, dt);
        if (why) throw fail(i, why);
        out[i] = v;
      });
      data = out;
    }
  }
  return { data, count: n };
};
