// Request bodies: the binary tensor extension (perf_analyzer's default), KServe v2 JSON, and Triton's raw binary
// request (--input-tensor-format raw).
import { describe, expect, it } from 'vitest';
import { encodeBytesElements, splitBinaryBody } from '../../shared/codec/binaryTensor';
import { encodeBinaryTensorRequest } from '../../client/perf/requests/binaryTensorRequest';
import { buildHttpRequestPlan } from '../../client/perf/requests/buildRequestPlan';
import { encodeJsonTensorRequest, halfToNumber } from '../../client/perf/requests/jsonTensorRequest';
import { encodeRawBinaryRequest } from '../../client/perf/requests/rawBinaryRequest';
import type { RequestTensor } from '../../client/perf/inputs/inputDataset';
import type { ModelInfo, ModelTensor } from '../../client/perf/model/modelInfo';

const utf8 = new TextEncoder();
const tensor = (input: Partial<ModelTensor>, bytes: Uint8Array, shape: number[]): RequestTensor => ({
  input: { name: 'X', datatype: 'FP32', shape: shape.slice(1), optional: false, ...input },
  bytes,
  shape,
});
const OUT: ModelTensor[] = [{ name: 'EMBEDDING', datatype: 'FP32', shape: [4], optional: false }];

describe('encodeBinaryTensorRequest', () => {
  it('writes a JSON header with binary_data_size per input, asks for binary outputs, then the bytes', () => {
    const pix = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const ids = new Uint8Array(new BigInt64Array([7n]).buffer);
    const r = encodeBinaryTensorRequest(
      [tensor({ name: 'PIX' }, pix, [1, 3]), tensor({ name: 'IDS', datatype: 'INT64' }, ids, [1, 1])],
      OUT,
      'binary',
      { base64_encoded: true },
    );
    const { json, binary } = splitBinaryBody(r.body, String(r.headerLength));
    expect(JSON.parse(new TextDecoder().decode(json))).toEqual({
      parameters: { base64_encoded: true },
      inputs: [
        { name: 'PIX', shape: [1, 3], datatype: 'FP32', parameters: { binary_data_size: 12 } },
        { name: 'IDS', shape: [1, 1], datatype: 'INT64', parameters: { binary_data_size: 8 } },
      ],
      outputs: [{ name: 'EMBEDDING', parameters: { binary_data: true } }],
    });
    expect([...binary]).toEqual([...pix, ...ids]);
  });
});

describe('encodeJsonTensorRequest', () => {
  it('inlines values as flat arrays (INT64 exactly, BYTES as strings) and asks for JSON outputs', () => {
    const r = encodeJsonTensorRequest(
      [
        tensor({ name: 'PIX' }, new Uint8Array(new Float32Array([0.5, -1]).buffer), [1, 2]),
        tensor({ name: 'IDS', datatype: 'INT64' }, new Uint8Array(new BigInt64Array([9007199254740993n]).buffer), [1, 1]),
        tensor({ name: 'TXT', datatype: 'BYTES' }, encodeBytesElements([utf8.encode('a "cat"')]), [1, 1]),
      ],
      OUT,
      'json',
      {},
    );
    expect(r.headerLength).toBeUndefined();
    const text = new TextDecoder().decode(r.body);
    expect(text).toContain('"data":[9007199254740993]');
    expect(JSON.parse(text)).toEqual({
      inputs: [
        { name: 'PIX', shape: [1, 2], datatype: 'FP32', data: [0.5, -1] },
        { name: 'IDS', shape: [1, 1], datatype: 'INT64', data: [9007199254740992] },
        { name: 'TXT', shape: [1, 1], datatype: 'BYTES', data: ['a "cat"'] },
      ],
      outputs: [{ name: 'EMBEDDING', parameters: { binary_data: false } }],
    });
  });

  it('refuses BYTES that are not UTF-8 text, pointing at the binary format', () => {
    const jpeg = encodeBytesElements([new Uint8Array([0xff, 0xd8, 0xff, 0xe0])]);
    expect(() => encodeJsonTensorRequest([tensor({ name: 'IMG', datatype: 'BYTES' }, jpeg, [1, 1])], OUT, 'json', {})).toThrow(/use --input-tensor-format binary/);
  });

  it('converts FP16 bits to numbers', () => {
    expect([0x3c00, 0xc000, 0x3555, 0x7c00].map(halfToNumber)).toEqual([1, -2, 0.333251953125, Infinity]);
  });
});

describe('encodeRawBinaryRequest', () => {
  it('sends the one input as the whole body with Inference-Header-Content-Length 0', () => {
    const pix = new Uint8Array(new Float32Array([1, 2]).buffer);
    expect(encodeRawBinaryRequest([tensor({}, pix, [1, 2])])).toEqual({ body: pix, headerLength: 0 });
  });

  it('sends a BYTES input as its one element, without the length prefix', () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2]);
    const r = encodeRawBinaryRequest([tensor({ datatype: 'BYTES' }, encodeBytesElements([jpeg]), [1, 1])]);
    expect([...r.body]).toEqual([...jpeg]);
  });

  it('refuses a model with more than one input', () => {
    const b = new Uint8Array(4);
    expect(() => encodeRawBinaryRequest([tensor({ name: 'A' }, b, [1, 1]), tensor({ name: 'B' }, b, [1, 1])])).toThrow(/exactly one input/);
  });
});

describe('buildHttpRequestPlan', () => {
  it('builds one body per step a request can start at, under the base path, with -H headers', () => {
    const model: ModelInfo = { name: 'siglip_vision', version: '', maxBatchSize: 8, inputs: [{ name: 'X', datatype: 'FP32', shape: [1], optional: false }], outputs: OUT, composing: [] };
    const steps = [0, 1, 2, 3].map((v) => new Map([['X', { bytes: new Uint8Array(new Float32Array([v]).buffer), shape: [1] }]]));
    const plan = buildHttpRequestPlan({
      baseUrl: new URL('http://127.0.0.1:8080/gw'),
      model,
      dataset: { steps, source: 't' },
      batchSize: 2,
      inputFormat: 'binary',
      outputFormat: 'binary',
      parameters: {},
      headers: { authorization: 'Bearer k' },
    });
    expect(plan.origin).toBe('http://127.0.0.1:8080');
    expect(plan.path).toBe('/gw/v2/models/siglip_vision/infer');
    expect(plan.headers).toEqual({ 'content-type': 'application/octet-stream', authorization: 'Bearer k' });
    // Batch 2 over 4 steps: requests start at steps 0 and 2 only.
    expect(plan.bodies.map((b) => b !== null)).toEqual([true, false, true, false]);
  });
});
