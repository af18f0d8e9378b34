import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InferenceError } from '../../shared/errors';
import { decodeJsonInferRequest, decodeJsonInferRequestNaive, type DecodedJsonRequest } from '../../shared/codec/jsonInferRequest';

import { anyDouble, bits, enc, numberToken, tensorRequest, whitespace } from './support/numberTokens';

describe('decodeJsonInferRequest numbers (property)', () => {
  it('decodes FP32 bit-identically to Math.fround(JSON.parse(token))', () => {
    fc.assert(
      fc.property(fc.array(numberToken, { minLength: 1, maxLength: 30 }), fc.array(whitespace, { maxLength: 4 }), (tokens, gaps) => {
        const body = tensorRequest('FP32', tokens, gaps);
        // Triton's parser refuses a token too large for a double; a double past FP32's range becomes ±Infinity.
        const tooLarge = tokens.findIndex((t) => !Number.isFinite(JSON.parse(t)));
        if (tooLarge >= 0) {
          expect(() => decodeJsonInferRequest(body)).toThrow(`data element ${tooLarge} is out of range for FP32`);
          return;
        }
        const got = decodeJsonInferRequest(body).tensors[0].data as Float32Array;
        const want = Float32Array.from(tokens, (t) => Math.fround(JSON.parse(t)));
        expect(bits(got)).toEqual(bits(want));
      }),
      { numRuns: 400 },
    );
  });

  it('decodes FP64 bit-identically to JSON.parse(token)', () => {
    fc.assert(
      fc.property(fc.array(numberToken, { minLength: 1, maxLength: 30 }), (tokens) => {
        const tooLarge = tokens.findIndex((t) => !Number.isFinite(JSON.parse(t)));
        if (tooLarge >= 0) {
          expect(() => decodeJsonInferRequest(tensorRequest('FP64', tokens))).toThrow(`data element ${tooLarge} is out of range for FP64`);
          return;
        }
        const got = decodeJsonInferRequest(tensorRequest('FP64', tokens)).tensors[0].data as Float64Array;
        expect(bits(got)).toEqual(bits(Float64Array.from(tokens, (t) => JSON.parse(t))));
      }),
      { numRuns: 200 },
    );
  });

  it('decodes INT64 and UINT64 exactly, beyond 2^53, in plain and exponent notation', () => {
    const written = (v: bigint) =>
      fc.constantFrom(
        v.toString(),
        `${v}.000`,
        // d.ddd…e+k with the point after the first digit: the same integer.
        (v < 0n ? '-' : '') + (() => { const s = (v < 0n ? -v : v).toString(); return `${s[0]}.${s.slice(1) || '0'}e+${s.length - 1}`; })(),
      );
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    fc.assert(
      fc.property(int64.chain((v) => written(v).map((t) => [v, t] as const)), ([v, token]) => {
        expect(decodeJsonInferRequest(tensorRequest('INT64', [token])).tensors[0].data).toEqual(new BigInt64Array([v]));
      }),
      { numRuns: 300 },
    );
    const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    fc.assert(
      fc.property(uint64, (v) => {
        expect(decodeJsonInferRequest(tensorRequest('UINT64', [v.toString()])).tensors[0].data).toEqual(new BigUint64Array([v]));
      }),
      { numRuns: 100 },
    );
  });

  it('accepts nested data exactly as the flat data of the same shape', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), anyDouble, (shape, seed) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const flat = Array.from({ length: n }, (_, i) => seed / (i + 1));
        // Row-major: the block under index i of the first dimension starts at i × (product of the other dims).
        const nest = (dims: number[], offset: number): unknown => {
          if (dims.length === 1) return flat.slice(offset, offset + dims[0]);
          const stride = dims.slice(1).reduce((a, b) => a * b, 1);
          return Array.from({ length: dims[0] }, (_, i) => nest(dims.slice(1), offset + i * stride));
        };
        const body = (data: unknown) => enc(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape, data }] }));
        const nested = decodeJsonInferRequest(body(nest(shape, 0)));
        // JSON.stringify writes -0 as 0, hence the round trip.
        expect(bits(nested.tensors[0].data as Float32Array)).toEqual(bits(Float32Array.from(JSON.parse(JSON.stringify(flat)))));
        expect(nested).toEqual(decodeJsonInferRequest(body(flat)));
      }),
      { numRuns: 100 },
    );
  });
});

// ---- Any body: the fast decoder accepts exactly what JSON.parse accepts, with the same result or error ----

const datatypeData: Record<string, fc.Arbitrary<unknown>> = {
  FP32: anyDouble,
  FP64: anyDouble,
  FP16: fc.double({ noNaN: true, noDefaultInfinity: true, min: -70000, max: 70000 }),
  INT8: fc.integer({ min: -128, max: 127 }),
  UINT8: fc.integer({ min: 0, max: 255 }),
  INT16: fc.integer({ min: -32768, max: 32767 }),
  UINT16: fc.integer({ min: 0, max: 65535 }),
  INT32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  UINT32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  // Small enough that a few inserted digits stay below 2^53, where JSON.parse is still exact.
  INT64: fc.integer({ min: -1e11, max: 1e11 }),
  UINT64: fc.integer({ min: 0, max: 1e11 }),
  BOOL: fc.boolean(),
  BYTES: fc.string({ unit: 'binary', maxLength: 6 }),
};

const inputArb = fc
  .constantFrom(...Object.keys(datatypeData))
  .chain((datatype) =>
    fc.record({
      datatype: fc.constant(datatype),
      name: fc.string({ unit: 'binary', maxLength: 5 }),
      data: fc.array(datatypeData[datatype], { maxLength: 6 }),
      nested: fc.boolean(),
      order: fc.shuffledSubarray(['name', 'datatype', 'shape', 'data', 'parameters'], { minLength: 5 }),
    }),
  )
  .map(({ datatype, name, data, nested, order }) => {
    const pairs = nested && data.length % 2 === 0 && data.length > 0;
    const values: Record<string, unknown> = {
      name,
      datatype,
      shape: pairs ? [data.length / 2, 2] : [data.length],
      data: pairs ? Array.from({ length: data.length / 2 }, (_, i) => data.slice(2 * i, 2 * i + 2)) : data,
      parameters: { binary_data: false },
    };
    return `{${order.map((k) => `${JSON.stringify(k)}: ${JSON.stringify(values[k])}`).join(', ')}}`;
  });

const requestText = fc
  .record({ id: fc.string({ unit: 'binary', maxLength: 5 }), inputs: fc.array(inputArb, { maxLength: 3 }) })
  .map(({ id, inputs }) => `{"id": ${JSON.stringify(id)}, "inputs": [${inputs.join(', ')}], "outputs": [{"name": "EMBEDDING", "parameters": {"binary_data": true}}]}`);

type Mutation = { at: number; op: 'delete' | 'insert' | 'replace' | 'truncate'; ch: string };
const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('delete', 'insert', 'replace', 'truncate'),
  ch: fc.constantFrom(...'{}[],:"\\ \t\n0123456789-+.eEtrufalsn/u\u0001\u007f\u00e9'.split('')),
}) as fc.Arbitrary<Mutation>;

function mutate(text: string, mutations: Mutation[]): string {
  let s = text;
  for (const { at, op, ch } of mutations) {
    const i = s.length ? at % (s.length + 1) : 0;
    if (op === 'delete') s = s.slice(0, i) + s.slice(i + 1);
    else if (op === 'insert') s = s.slice(0, i) + ch + s.slice(i);
    else if (op === 'replace') s = s.slice(0, i) + ch + s.slice(i + 1);
    else if (at % 7 === 0) s = s.slice(0, i);
  }
  return s;
}

type Outcome = { ok: true; value: DecodedJsonRequest } | { ok: false; malformed: boolean; code: string; message: string };

function outcome(fn: (b: Uint8Array) => DecodedJsonRequest, body: Uint8Array): Outcome {
  try {
    return { ok: true, value: fn(body) };
  } catch (err) {
    if (!(err instanceof InferenceError)) throw err;
    return { ok: false, malformed: err.message.startsWith('malformed JSON'), code: err.code, message: err.message };
  }
}

/** The decoded request with typed arrays replaced by their type and bits, so toEqual compares them exactly. */
function exact(r: DecodedJsonRequest): unknown {
  return {
    header: r.header,
    tensors: r.tensors.map((t) => ({
      ...t,
      data: t.data === undefined || Array.isArray(t.data) ? t.data : { type: t.data.constructor.name, bits: bits(t.data) },
    })),
  };
}

function expectSameOutcome(body: Uint8Array): void {
  const want = outcome(decodeJsonInferRequestNaive, body);
  const got = outcome(decodeJsonInferRequest, body);
  if (want.ok && got.ok) {
    expect(exact(got.value)).toEqual(exact(want.value));
    return;
  }
  expect(got.ok).toBe(want.ok);
  if (!want.ok && !got.ok) {
    expect(got.code).toBe('INVALID_ARGUMENT');
    expect(got.malformed).toBe(want.malformed);
    if (!want.malformed) expect(got.message).toBe(want.message);
    else expect(got.message).toMatch(/^malformed JSON at byte \d+: /);
  }
}

describe('decodeJsonInferRequest against JSON.parse (property)', () => {
  it('decodes valid requests of every datatype exactly as the JSON.parse reference does', () => {
    fc.assert(fc.property(requestText, (text) => expectSameOutcome(enc(text))), { numRuns: 200 });
  });

  it('accepts a mutated request exactly when JSON.parse does, with equal results or the same error', () => {
    fc.assert(
      fc.property(requestText, fc.array(mutation, { minLength: 1, maxLength: 3 }), (text, mutations) => {
        expectSameOutcome(enc(mutate(text, mutations)));
      }),
      { numRuns: 1500 },
    );
  });

  it('treats arbitrary bytes, invalid UTF-8 included, as JSON.parse treats their decoded text', () => {
    fc.assert(
      fc.property(requestText, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), (text, edits) => {
        const bytes = enc(text);
        for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
        expectSameOutcome(bytes);
      }),
      { numRuns: 500 },
    );
  });
});
