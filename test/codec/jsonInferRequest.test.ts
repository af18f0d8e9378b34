import { describe, expect, it } from 'vitest';
import { InferenceError } from '../../shared/errors';
import { decodeJsonInferRequest, decodeJsonInferRequestNaive } from '../../shared/codec/jsonInferRequest';
import { float64ToHalfBits } from '../../shared/codec/jsonHalfFloat';

const enc = (s: string) => new TextEncoder().encode(s);
const decode = (s: string) => decodeJsonInferRequest(enc(s));
const request = (input: string) => `{"inputs":[${input}]}`;

/** The error either decoder throws for `s`. */
function errorOf(fn: (b: Uint8Array) => unknown, s: string): InferenceError {
  try {
    fn(enc(s));
  } catch (err) {
    expect(err).toBeInstanceOf(InferenceError);
    return err as InferenceError;
  }
  throw new Error(`expected ${JSON.stringify(s)} to be rejected`);
}

describe('decodeJsonInferRequest', () => {
  it('decodes the request of a Python client: header objects plus a Float32Array', () => {
    const { header, tensors } = decode(
      '{"id": "req-1", "parameters": {"priority": 1}, "inputs": [{"name": "PIXEL_VALUES", "shape": [1, 2, 2], ' +
        '"datatype": "FP32", "data": [0.48274531960487366, -0.0, 1e-7, 2]}], ' +
        '"outputs": [{"name": "EMBEDDING", "parameters": {"binary_data": true}}]}',
    );
    expect(header).toEqual({
      id: 'req-1',
      parameters: { priority: 1 },
      inputs: [{ name: 'PIXEL_VALUES', shape: [1, 2, 2], datatype: 'FP32' }],
      outputs: [{ name: 'EMBEDDING', parameters: { binary_data: true } }],
    });
    expect(tensors).toHaveLength(1);
    const data = tensors[0].data as Float32Array;
    expect(data).toBeInstanceOf(Float32Array);
    expect([...data]).toEqual([Math.fround(0.48274531960487366), -0, Math.fround(1e-7), 2]);
    expect(Object.is(data[1], -0)).toBe(true);
    expect(tensors[0].count).toBe(4);
  });

  it('hands back typed arrays that own their whole buffer, so they can be transferred', () => {
    const data = decode(request('{"name":"x","datatype":"FP32","shape":[3],"data":[1,2,3]}')).tensors[0].data as Float32Array;
    expect(data.byteOffset).toBe(0);
    expect(data.buffer.byteLength).toBe(12);
  });

  it('leaves data undefined when the input has none (binary extension)', () => {
    const { tensors } = decode(request('{"name":"x","datatype":"FP32","shape":[3],"parameters":{"binary_data_size":12}}'));
    expect(tensors[0]).toEqual({ name: 'x', datatype: 'FP32', shape: [3], parameters: { binary_data_size: 12 }, data: undefined, count: 0 });
  });

  it('decodes data that comes before its datatype', () => {
    const data = decode(request('{"data":[1.5,2.5],"name":"x","shape":[2],"datatype":"FP64"}')).tensors[0].data;
    expect(data).toEqual(new Float64Array([1.5, 2.5]));
  });

  it('lets the last duplicate key win, as JSON.parse does, even for the datatype after the data', () => {
    const { tensors } = decode(request('{"name":"a","datatype":"INT32","shape":[1],"data":[1.5],"datatype":"FP32","name":"b"}'));
    expect(tensors[0].name).toBe('b');
    expect(tensors[0].data).toEqual(new Float32Array([1.5]));
    const twice = decode(request('{"name":"a","datatype":"INT8","shape":[1],"data":[1,2],"data":[3]}'));
    expect(twice.tensors[0].data).toEqual(new Int8Array([3]));
  });

  it('flattens nested arrays in row-major order', () => {
    const nested = decode(request('{"name":"x","datatype":"INT32","shape":[2,2,2],"data":[[[1,2],[3,4]],[[5,6],[7,8]]]}'));
    const flat = decode(request('{"name":"x","datatype":"INT32","shape":[2,2,2],"data":[1,2,3,4,5,6,7,8]}'));
    expect(nested.tensors[0].data).toEqual(new Int32Array([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(nested).toEqual(flat);
    expect(decode(request('{"name":"x","datatype":"INT32","shape":[0],"data":[[],[[]]]}')).tensors[0].count).toBe(0);
  });

  it('maps every datatype to its typed array', () => {
    const one = (datatype: string, data: string) =>
      decode(request(`{"name":"x","datatype":"${datatype}","shape":[2],"data":${data}}`)).tensors[0].data;
    expect(one('BOOL', '[true,false]')).toEqual(new Uint8Array([1, 0]));
    expect(one('INT8', '[-128,127]')).toEqual(new Int8Array([-128, 127]));
    expect(one('INT16', '[-32768,32767]')).toEqual(new Int16Array([-32768, 32767]));
    expect(one('INT32', '[-2147483648,2147483647]')).toEqual(new Int32Array([-2147483648, 2147483647]));
    expect(one('UINT8', '[0,255]')).toEqual(new Uint8Array([0, 255]));
    expect(one('UINT16', '[0,65535]')).toEqual(new Uint16Array([0, 65535]));
    expect(one('UINT32', '[0,4294967295]')).toEqual(new Uint32Array([0, 4294967295]));
    expect(one('INT64', '[-9223372036854775808,9223372036854775807]')).toEqual(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]));
    expect(one('UINT64', '[0,18446744073709551615]')).toEqual(new BigUint64Array([0n, 2n ** 64n - 1n]));
    expect(one('INT64', '[1e3,12.50e1]')).toEqual(new BigInt64Array([1000n, 125n]));
    expect(one('FP16', '[1,-65504]')).toEqual(new Uint16Array([0x3c00, 0xfbff]));
    expect(one('FP64', '[0.1,1e308]')).toEqual(new Float64Array([0.1, 1e308]));
    expect(one('BYTES', '["a\\u00e9\\n","\\ud83d\\ude00 ok"]')).toEqual(['aé\n', '😀 ok']);
  });

  it('rejects integers that are fractional or out of range, naming the element', () => {
    expect(errorOf(decodeJsonInferRequest, request('{"name":"ids","datatype":"INT8","shape":[3],"data":[1,2,128]}')).message).toBe(
      "input 'ids': data element 2 is out of range for INT8",
    );
    expect(errorOf(decodeJsonInferRequest, request('{"name":"ids","datatype":"INT32","shape":[2],"data":[1,2.5]}')).message).toBe(
      "input 'ids': data element 1 is not an integer",
    );
    expect(errorOf(decodeJsonInferRequest, request('{"name":"ids","datatype":"UINT64","shape":[1],"data":[-1]}')).message).toBe(
      "input 'ids': data element 0 is out of range for UINT64",
    );
    expect(errorOf(decodeJsonInferRequest, request('{"name":"ids","datatype":"INT64","shape":[1],"data":[1e400]}')).message).toBe(
      "input 'ids': data element 0 is out of range for INT64",
    );
    expect(errorOf(decodeJsonInferRequest, request('{"name":"ids","datatype":"INT64","shape":[1],"data":[0.55e1]}')).message).toBe(
      "input 'ids': data element 0 is not an integer",
    );
  });

  it('names the first element that is not a number, counting leaves of nested arrays', () => {
    const e = errorOf(decodeJsonInferRequest, request('{"name":"PIXEL_VALUES","datatype":"FP32","shape":[2,2],"data":[[1,2],["3",4]]}'));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe("input 'PIXEL_VALUES': data element 2 is not a number");
    expect(errorOf(decodeJsonInferRequest, request('{"name":"b","datatype":"BOOL","shape":[1],"data":[1]}')).message).toBe(
      "input 'b': data element 0 is not a boolean",
    );
    expect(errorOf(decodeJsonInferRequest, request('{"name":"s","datatype":"BYTES","shape":[1],"data":[1]}')).message).toBe(
      "input 's': data element 0 is not a string",
    );
  });

  it('checks the element count against the shape', () => {
    expect(errorOf(decodeJsonInferRequest, request('{"name":"PIXEL_VALUES","datatype":"FP32","shape":[1,3],"data":[1,2]}')).message).toBe(
      "input 'PIXEL_VALUES': expected 3 values for shape [1,3], got 2",
    );
  });

  it.each([
    ['[]', 'request body must be a JSON object'],
    ['{}', "'inputs' must be an array"],
    ['{"inputs":{}}', "'inputs' must be an array"],
    ['{"id":5,"inputs":[]}', "'id' must be a string"],
    ['{"inputs":[1]}', 'inputs[0] must be an object'],
    ['{"inputs":[{"datatype":"FP32","shape":[1]}]}', 'inputs[0].name must be a string'],
    ['{"inputs":[{"name":"x","shape":[1]}]}', "input 'x': datatype must be a string"],
    ['{"inputs":[{"name":"x","datatype":"FLOAT","shape":[1]}]}', "input 'x': unknown datatype 'FLOAT'"],
    ['{"inputs":[{"name":"x","datatype":"FP32"}]}', "input 'x': shape must be an array of non-negative integers"],
    ['{"inputs":[{"name":"x","datatype":"FP32","shape":[-1]}]}', "input 'x': shape must be an array of non-negative integers"],
    ['{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":5}]}', "input 'x': data must be an array"],
    ['{"inputs":[],"outputs":[{}]}', 'outputs[0].name must be a string'],
    ['{"inputs":[],"parameters":[]}', "'parameters' must be an object"],
  ])('rejects the structure %s with a message naming the field', (body, message) => {
    for (const fn of [decodeJsonInferRequest, decodeJsonInferRequestNaive]) {
      const e = errorOf(fn, body);
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toContain(message);
    }
  });

  it.each([
    ['truncated body', '{"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[1,2'],
    ['trailing garbage', '{"inputs":[]} x'],
    ['two documents', '{"inputs":[]}{}'],
    ['bad escape', '{"id":"a\\x","inputs":[]}'],
    ['short \\u escape', '{"id":"\\u12","inputs":[]}'],
    ['leading zero', request('{"name":"x","datatype":"FP32","shape":[1],"data":[01]}')],
    ['dot without fraction', request('{"name":"x","datatype":"FP32","shape":[1],"data":[1.]}')],
    ['dot without integer', request('{"name":"x","datatype":"FP32","shape":[1],"data":[.5]}')],
    ['plus sign', request('{"name":"x","datatype":"FP32","shape":[1],"data":[+1]}')],
    ['empty exponent', request('{"name":"x","datatype":"FP32","shape":[1],"data":[1e]}')],
    ['lone minus', request('{"name":"x","datatype":"FP32","shape":[1],"data":[-]}')],
    ['a misspelled Infinity', request('{"name":"x","datatype":"FP32","shape":[1],"data":[Infinit]}')],
    ['a misspelled NaN', request('{"name":"x","datatype":"FP32","shape":[1],"data":[Nan]}')],
    ['trailing comma in data', request('{"name":"x","datatype":"FP32","shape":[1],"data":[1,]}')],
    ['missing comma in data', request('{"name":"x","datatype":"FP32","shape":[2],"data":[1 2]}')],
    ['trailing comma in object', '{"inputs":[],}'],
    ['unterminated string', '{"id":"abc'],
    ['control character in string', '{"id":"a\tb","inputs":[]}'],
    ['single quotes', "{'inputs':[]}"],
    ['syntax error after a type error', request('{"name":"x","datatype":"FP32","shape":[2],"data":["a",01]}')],
    ['syntax error after the data', request('{"name":"x","datatype":"FP32","shape":[1],"data":[1]},]')],
    ['empty body', ''],
    ['misspelled literal', request('{"name":"x","datatype":"BOOL","shape":[1],"data":[tru]}')],
  ])('rejects malformed JSON (%s) like JSON.parse, saying where', (_, body) => {
    expect(() => JSON.parse(body)).toThrow(SyntaxError);
    const e = errorOf(decodeJsonInferRequest, body);
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/^malformed JSON at byte \d+: /);
    expect(errorOf(decodeJsonInferRequestNaive, body).message).toMatch(/^malformed JSON/);
  });

  it("takes NaN, Infinity, Inf and their negatives in float data and anywhere a value goes, as Triton's parser does", () => {
    const body = request('{"name":"x","datatype":"FP32","shape":[6],"data":[NaN, Infinity, -Infinity, Inf, -Inf, 1.5]}');
    const data = decode(body).tensors[0].data as Float32Array;
    expect([...data]).toEqual([NaN, Infinity, -Infinity, Infinity, -Infinity, 1.5]);
    for (const dt of ['FP64', 'FP16']) {
      const t = decode(request(`{"name":"x","datatype":"${dt}","shape":[2],"data":[NaN,-Infinity]}`)).tensors[0];
      expect(t.count).toBe(2);
    }
    // Data before its datatype is skipped first and decoded afterwards: the tokens must pass both ways.
    expect([...(decode(request('{"name":"x","data":[[NaN],[-Infinity]],"datatype":"FP32","shape":[2,1]}')).tensors[0].data as Float32Array)]).toEqual([NaN, -Infinity]);
    expect(decode('{"inputs":[],"parameters":{"p":NaN}}').header.parameters).toEqual({ p: NaN });
  });

  it('refuses NaN and Infinity where the datatype is not floating point, naming the element', () => {
    expect(errorOf(decodeJsonInferRequest, request('{"name":"x","datatype":"INT32","shape":[2],"data":[1,NaN]}')).message).toBe("input 'x': data element 1 is not a number");
    expect(errorOf(decodeJsonInferRequest, request('{"name":"x","datatype":"BYTES","shape":[1],"data":[Infinity]}')).message).toBe("input 'x': data element 0 is not a string");
  });

  it('refuses a number too large for a double (1e400), as Triton does, and lets a double past FP32 become Infinity', () => {
    expect(errorOf(decodeJsonInferRequest, request('{"name":"x","datatype":"FP32","shape":[2],"data":[1,1e400]}')).message).toBe(
      "input 'x': data element 1 is out of range for FP32 (too large for a double)",
    );
    expect(errorOf(decodeJsonInferRequestNaive, request('{"name":"x","datatype":"FP32","shape":[2],"data":[1,-1e400]}')).message).toContain('data element 1 is out of range for FP32');
    expect([...(decode(request('{"name":"x","datatype":"FP32","shape":[1],"data":[-1e39]}')).tensors[0].data as Float32Array)]).toEqual([-Infinity]);
  });

  it('answers 400, not a stack overflow, to parameters nested thousands deep', () => {
    const e = errorOf(decodeJsonInferRequest, `{"inputs":[],"parameters":{"p":${'['.repeat(5000)}${']'.repeat(5000)}}}`);
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/^JSON nested deeper than 64 levels at byte \d+$/);
  });

  it('points at the offending byte', () => {
    expect(errorOf(decodeJsonInferRequest, '{"inputs":[]} x').message).toBe("malformed JSON at byte 14: unexpected 'x'");
    expect(errorOf(decodeJsonInferRequest, '{"inputs":[').message).toBe('malformed JSON at byte 11: unexpected end of input');
  });

  it('reads strings exactly as JSON.parse does: escapes, lone surrogates, UTF-8, a leading BOM', () => {
    const id = 'é "q" \\ / \b\f\n\r\t \u0000 \ud800 😀 \ufeff';
    const body = `\ufeff{"id":${JSON.stringify(id)},"inputs":[{"name":"na\\u006de","datatype":"BYTES","shape":[1],"data":[${JSON.stringify(id)}]}]}`;
    const { header, tensors } = decode(body);
    expect(header.id).toBe(id);
    expect(tensors[0].name).toBe('name');
    expect(tensors[0].data).toEqual([id]);
    expect(decodeJsonInferRequestNaive(enc(body))).toEqual(decode(body));
  });

  it('keeps a "__proto__" key as data, never as the prototype', () => {
    const { header } = decode('{"inputs":[],"parameters":{"__proto__":"x"}}');
    expect(Object.getPrototypeOf(header.parameters)).toBe(Object.prototype);
    expect(Object.keys(header.parameters!)).toEqual(['__proto__']);
  });

  it('skips deeply nested unknown fields without overflowing the stack', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(decode(`{"extra":${deep.slice(0, 20)}${deep.slice(-20)},"inputs":[]}`).tensors).toEqual([]);
    const data = '['.repeat(50_000) + '1' + ']'.repeat(50_000);
    expect(decode(request(`{"name":"x","datatype":"FP32","shape":[1],"data":${data}}`)).tensors[0].data).toEqual(new Float32Array([1]));
  });
});

describe('float64ToHalfBits', () => {
  it.each([
    [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65519.99, 0x7bff], [65520, 0x7c00], [1e10, 0x7c00],
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [2 ** -14, 0x0400], [0.1, 0x2e66],
    [-0, 0x8000], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02],
  ])('encodes %d as half bits %i', (v, bits) => {
    expect(float64ToHalfBits(v)).toBe(bits);
  });
});
