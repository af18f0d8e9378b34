/**
 * Every bad input of the HTTP suites (test/backend/badInput, test/compat/requestContract, test/embed/badInput)
 * sent over gRPC too: refused with the gRPC status that shared/errors.ts maps its error to, and the same message
 * HTTP gives for the same request in the matching form (typed contents ↔ JSON data, raw_input_contents ↔ the
 * binary extension). The server keeps serving after each.
 */
import * as grpc from '@grpc/grpc-js';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { grpcStatusOf, type ErrorCode } from '../../shared/errors';
import { binaryRequest, startTestBackend } from '../helpers/backend';
import { maxAbsDiff } from '../helpers/fixtures';
import { IMAGE, knownImages } from '../helpers/visionRequests';
import { fixtureBytes } from '../embed/embedRequests';
import { pngHeaderOnly } from '../preprocess/encodePng';
import { BackendGrpcClient, bytesElements, rawFloats, visionRequest } from './support/grpcClient';

const MAX_IMAGE_BYTES = 300_000;
const chelsea = fixtureBytes('chelsea.png');
const astronaut = fixtureBytes('astronaut.png');
const utf8 = (s: string) => new TextEncoder().encode(s);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const svg = utf8('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>');

type Value = string | number | boolean;
type Params = Record<string, Value>;

interface Tensor {
  name: string;
  datatype: string;
  shape: number[];
}

/** One request in both protocols. */
interface Pair {
  model: string;
  http: { body: string | Uint8Array; headers: Record<string, string> };
  grpc: object;
}

const grpcParams = (p: Params = {}) =>
  Object.fromEntries(
    Object.entries(p).map(([k, v]) => [k, typeof v === 'boolean' ? { bool_param: v } : typeof v === 'number' ? { int64_param: String(v) } : { string_param: v }]),
  );
const grpcOutputs = (outputs: { name: string; parameters?: Params }[] = []) => outputs.map((o) => ({ name: o.name, parameters: grpcParams(o.parameters) }));

const CONTENTS: Record<string, string> = { FP32: 'fp32_contents', FP64: 'fp64_contents', INT64: 'int64_contents', BYTES: 'bytes_contents', FP16: 'fp32_contents' };

/** A request with JSON `data` over HTTP and typed `contents` over gRPC (BYTES: UTF-8 strings and their bytes). */
function typed(model: string, inputs: (Tensor & { values: Value[] })[], o: { parameters?: Params; outputs?: { name: string; parameters?: Params }[] } = {}): Pair {
  const body = JSON.stringify({
    ...(o.parameters && { parameters: o.parameters }),
    inputs: inputs.map(({ values, ...t }) => ({ ...t, data: values })),
    ...(o.outputs && { outputs: o.outputs }),
  });
  return {
    model,
    http: { body, headers: { 'content-type': 'application/json' } },
    grpc: {
      model_name: model,
      parameters: grpcParams(o.parameters),
      inputs: inputs.map(({ values, ...t }) => ({
        ...t,
        contents: { [CONTENTS[t.datatype]]: t.datatype === 'BYTES' ? values.map((v) => utf8(String(v))) : t.datatype === 'INT64' ? values.map(String) : values },
      })),
      outputs: grpcOutputs(o.outputs),
    },
  };
}

/** A request with the binary extension over HTTP and raw_input_contents over gRPC. */
function raw(model: string, inputs: (Tensor & { bytes: Uint8Array })[], o: { parameters?: Params; outputs?: { name: string; parameters?: Params }[] } = {}): Pair {
  const req = binaryRequest(
    {
      ...(o.parameters && { parameters: o.parameters }),
      inputs: inputs.map(({ bytes, ...t }) => ({ ...t, parameters: { binary_data_size: bytes.byteLength } })),
      ...(o.outputs && { outputs: o.outputs }),
    },
    ...inputs.map((t) => t.bytes),
  );
  return {
    model,
    http: req,
    grpc: {
      model_name: model,
      parameters: grpcParams(o.parameters),
      inputs: inputs.map(({ bytes: _, ...t }) => t),
      outputs: grpcOutputs(o.outputs),
      raw_input_contents: inputs.map((t) => Buffer.from(t.bytes)),
    },
  };
}

const pixelsTyped = (shape: number[], count: number, extra: Partial<Tensor> = {}) =>
  typed('siglip_vision', [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape, values: new Array<number>(count).fill(0), ...extra }]);
const pixelsRaw = (shape: number[], bytes: number, extra: Partial<Tensor> = {}) =>
  raw('siglip_vision', [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape, bytes: new Uint8Array(bytes), ...extra }]);
const images = (files: Uint8Array[], parameters?: Params, shape = [files.length]) =>
  raw('embed_image', [{ name: 'INPUT_IMAGE', datatype: 'BYTES', shape, bytes: bytesElements(files) }], { parameters });
const imagesBase64 = (texts: string[], parameters: Params = { base64_encoded: true }, shape = [texts.length]) =>
  typed('embed_image', [{ name: 'INPUT_IMAGE', datatype: 'BYTES', shape, values: texts }], { parameters });
const texts = (values: string[], parameters?: Params, shape = [values.length]) => typed('embed_text', [{ name: 'INPUT_TEXT', datatype: 'BYTES', shape, values }], { parameters });
const textBytes = (values: Uint8Array[], shape = [values.length]) => raw('embed_text', [{ name: 'INPUT_TEXT', datatype: 'BYTES', shape, bytes: bytesElements(values) }]);

interface Case {
  name: string;
  pair: () => Pair | Promise<Pair>;
  code: ErrorCode;
  /** The HTTP message names an HTTP-only field; the gRPC one names its counterpart (see `grpcMessage`). */
  grpcMessage?: string;
}

let bomb: Buffer;

const CASES: Case[] = [
  // test/backend/badInput.test.ts: siglip_vision.
  { name: 'a wrong input name', pair: () => pixelsTyped([1, 3, 384, 384], IMAGE, { name: 'PIXELS' }), code: 'INVALID_ARGUMENT' },
  { name: 'no inputs', pair: () => typed('siglip_vision', []), code: 'INVALID_ARGUMENT' },
  { name: 'a wrong datatype (FP64)', pair: () => typed('siglip_vision', [{ name: 'PIXEL_VALUES', datatype: 'FP64', shape: [1, 3, 384, 384], values: new Array<number>(IMAGE).fill(0) }]), code: 'INVALID_ARGUMENT' },
  { name: 'an unknown datatype (FLOAT32)', pair: () => pixelsRaw([1, 3, 384, 384], IMAGE * 4, { datatype: 'FLOAT32' }), code: 'INVALID_ARGUMENT' },
  { name: 'a wrong shape [1,3,224,224]', pair: () => pixelsTyped([1, 3, 224, 224], 3 * 224 * 224), code: 'INVALID_ARGUMENT' },
  { name: 'a shape without the batch dimension', pair: () => pixelsTyped([3, 384, 384], IMAGE), code: 'INVALID_ARGUMENT' },
  { name: 'a shape of rank 5', pair: () => pixelsTyped([1, 3, 384, 384, 1], IMAGE), code: 'INVALID_ARGUMENT' },
  { name: 'a batch of 0', pair: () => pixelsTyped([0, 3, 384, 384], 0), code: 'INVALID_ARGUMENT' },
  { name: 'one value too few', pair: () => pixelsTyped([1, 3, 384, 384], IMAGE - 1), code: 'INVALID_ARGUMENT' },
  { name: 'one value too many', pair: () => pixelsTyped([1, 3, 384, 384], IMAGE + 1), code: 'INVALID_ARGUMENT' },
  { name: 'a huge batch claimed over 10 values', pair: () => pixelsTyped([100_000, 3, 384, 384], 10), code: 'INVALID_ARGUMENT' },
  { name: 'an unknown output', pair: () => typed('siglip_vision', [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [1, 3, 384, 384], values: new Array<number>(IMAGE).fill(0) }], { outputs: [{ name: 'LOGITS' }] }), code: 'INVALID_ARGUMENT' },
  { name: 'a repeated output', pair: () => typed('siglip_vision', [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [1, 3, 384, 384], values: new Array<number>(IMAGE).fill(0) }], { outputs: [{ name: 'EMBEDDING' }, { name: 'EMBEDDING' }] }), code: 'INVALID_ARGUMENT' },
  { name: 'an unknown model', pair: () => ({ ...pixelsTyped([1, 3, 384, 384], 1), model: 'siglip_vision_large', grpc: { model_name: 'siglip_vision_large', inputs: [] } }), code: 'NOT_FOUND' },
  {
    name: 'raw bytes 4 short of the shape',
    pair: () => pixelsRaw([1, 3, 384, 384], IMAGE * 4 - 4),
    code: 'INVALID_ARGUMENT',
    grpcMessage: 'PIXEL_VALUES: expected 1769472 bytes of FP32 for shape [1,3,384,384], got 1769468 bytes in raw_input_contents',
  },
  { name: 'raw FP16 for an FP32 input', pair: () => pixelsRaw([1, 3, 384, 384], IMAGE * 4, { datatype: 'FP16' }), code: 'INVALID_ARGUMENT' },
  { name: 'raw bytes of the wrong shape', pair: () => pixelsRaw([1, 3, 768, 192], IMAGE * 4), code: 'INVALID_ARGUMENT' },
  // test/compat/requestContract.test.ts.
  { name: 'a batch of 33 (max 32)', pair: () => pixelsRaw([33, 3, 384, 384], 33 * IMAGE * 4), code: 'INVALID_ARGUMENT' },
  { name: 'a batch of 61 images (max 60)', pair: () => imagesBase64(new Array<string>(61).fill(b64(chelsea))), code: 'INVALID_ARGUMENT' },
  { name: 'the old input name IMAGE', pair: () => typed('embed_image', [{ name: 'IMAGE', datatype: 'BYTES', shape: [1], values: [b64(chelsea)] }], { parameters: { base64_encoded: true } }), code: 'INVALID_ARGUMENT' },
  { name: 'a wrong datatype for texts', pair: () => typed('embed_text', [{ name: 'INPUT_TEXT', datatype: 'FP32', shape: [1], values: [0] }]), code: 'INVALID_ARGUMENT' },
  { name: 'text shape [1,2]', pair: () => texts(['a', 'b'], undefined, [1, 2]), code: 'INVALID_ARGUMENT' },
  { name: 'fewer ids than the shape', pair: () => typed('siglip_text', [{ name: 'INPUT_IDS', datatype: 'INT64', shape: [1, 64], values: [1, 2] }]), code: 'INVALID_ARGUMENT' },
  { name: 'base64_encoded as a string', pair: () => imagesBase64([b64(chelsea)], { base64_encoded: 'true' }), code: 'INVALID_ARGUMENT' },
  { name: 'an embed_model of the wrong kind', pair: () => imagesBase64([b64(chelsea)], { base64_encoded: true, embed_model: 'siglip_text' }), code: 'INVALID_ARGUMENT' },
  { name: 'a negative timeout', pair: () => typed('siglip_vision', [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [1, 3, 384, 384], values: new Array<number>(IMAGE).fill(0) }], { parameters: { timeout: -5 } }), code: 'INVALID_ARGUMENT' },
  { name: 'an empty BYTES section', pair: () => raw('embed_image', [{ name: 'INPUT_IMAGE', datatype: 'BYTES', shape: [1], bytes: new Uint8Array(0) }]), code: 'INVALID_ARGUMENT' },
  { name: 'BYTES elements not matching the shape', pair: () => textBytes([utf8('a cat'), utf8('a dog')], [3]), code: 'INVALID_ARGUMENT' },
  { name: 'a truncated BYTES length prefix', pair: () => raw('embed_text', [{ name: 'INPUT_TEXT', datatype: 'BYTES', shape: [1], bytes: new Uint8Array([5, 0]) }]), code: 'INVALID_ARGUMENT' },
  { name: 'base64 text without base64_encoded', pair: () => imagesBase64([b64(chelsea)], {}), code: 'INVALID_ARGUMENT' },
  { name: 'bytes that are no image', pair: () => images([utf8('no image')]), code: 'INVALID_ARGUMENT' },
  // test/embed/badInput.test.ts.
  { name: 'an image over maxImageBytes', pair: () => images([chelsea, astronaut]), code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a decompression bomb', pair: () => images([chelsea, bomb]), code: 'INVALID_ARGUMENT' },
  { name: 'a PNG header declaring 100000×100000 pixels', pair: () => images([chelsea, pngHeaderOnly(100_000, 100_000)]), code: 'INVALID_ARGUMENT' },
  { name: 'a truncated PNG', pair: () => images([chelsea, chelsea.subarray(0, chelsea.length >> 1)]), code: 'INVALID_ARGUMENT' },
  { name: 'an SVG', pair: () => images([chelsea, svg]), code: 'INVALID_ARGUMENT' },
  { name: 'an empty image element', pair: () => images([chelsea, new Uint8Array(0)]), code: 'INVALID_ARGUMENT' },
  { name: 'an element that is not base64', pair: () => imagesBase64([b64(chelsea), 'not base64!']), code: 'INVALID_ARGUMENT' },
  { name: 'base64 text in raw bytes with base64_encoded false', pair: () => images([utf8(b64(chelsea))]), code: 'INVALID_ARGUMENT' },
  { name: 'an image file with base64_encoded true', pair: () => images([chelsea], { base64_encoded: true }), code: 'INVALID_ARGUMENT' },
  { name: 'an embed_model that names no model', pair: () => images([chelsea], { embed_model: 'nope' }), code: 'INVALID_ARGUMENT' },
  { name: 'an embed_model that is a number', pair: () => images([chelsea], { embed_model: 7 }), code: 'INVALID_ARGUMENT' },
  { name: 'a text embed_model of the wrong kind', pair: () => texts(['a cat'], { embed_model: 'siglip_vision' }), code: 'INVALID_ARGUMENT' },
  { name: 'the old input name TEXT', pair: () => typed('embed_text', [{ name: 'TEXT', datatype: 'BYTES', shape: [1], values: ['a cat'] }]), code: 'INVALID_ARGUMENT' },
  { name: 'images as FP32', pair: () => raw('embed_image', [{ name: 'INPUT_IMAGE', datatype: 'FP32', shape: [4], bytes: new Uint8Array(16) }]), code: 'INVALID_ARGUMENT' },
  { name: 'two images for shape [3]', pair: () => imagesBase64([b64(chelsea), b64(chelsea)], undefined, [3]), code: 'INVALID_ARGUMENT' },
  { name: 'normalize that is not a boolean', pair: () => imagesBase64([b64(chelsea)], { base64_encoded: true, normalize: 'yes' }), code: 'INVALID_ARGUMENT' },
  { name: 'an empty string', pair: () => texts(['a cat', '']), code: 'INVALID_ARGUMENT' },
  { name: 'a blank string', pair: () => texts(['a cat', '   \n']), code: 'INVALID_ARGUMENT' },
  { name: 'bytes that are not UTF-8', pair: () => textBytes([utf8('a cat'), new Uint8Array([0x61, 0xff, 0xfe])]), code: 'INVALID_ARGUMENT' },
];

let backend: Backend;
let client: BackendGrpcClient;

beforeAll(async () => {
  [backend, bomb] = await Promise.all([
    startTestBackend({ maxImageBytes: MAX_IMAGE_BYTES }),
    sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#000' }, limitInputPixels: false }).png({ compressionLevel: 9 }).toBuffer(),
  ]);
  client = new BackendGrpcClient(backend.grpcUrl!);
});
afterAll(async () => {
  client?.close();
  await backend?.close();
});

async function expectServing(): Promise<void> {
  const r = await client.ok('ModelInfer', visionRequest(knownImages[0].pixels));
  expect(maxAbsDiff(rawFloats(r), knownImages[0].expected)).toBeLessThanOrEqual(1e-4);
}

describe('gRPC refuses what HTTP refuses, with the mapped status and the same message', () => {
  afterEach(() => expectServing());

  it.each(CASES)('$name: $code', async (c) => {
    const pair = await c.pair();
    const res = await fetch(`${backend.url}/v2/models/${pair.model}/infer`, { method: 'POST', headers: pair.http.headers, body: pair.http.body as BodyInit });
    const http = (await res.json()) as { error: string };
    expect(res.status).toBeGreaterThanOrEqual(400);
    const failure = await client.fails('ModelInfer', pair.grpc);
    expect(failure.code).toBe(grpcStatusOf(c.code));
    expect(grpc.status[failure.code]).toBe(
      { INVALID_ARGUMENT: 'INVALID_ARGUMENT', NOT_FOUND: 'NOT_FOUND', PAYLOAD_TOO_LARGE: 'RESOURCE_EXHAUSTED' }[c.code as string],
    );
    if (c.grpcMessage) {
      expect(failure.details).toBe(c.grpcMessage);
      // The HTTP text up to the field name only HTTP has.
      expect(http.error.slice(0, http.error.indexOf('got'))).toBe(c.grpcMessage.slice(0, c.grpcMessage.indexOf('got')));
    } else {
      expect(failure.details).toBe(http.error);
    }
  });
});

describe('refusals only gRPC has', () => {
  afterEach(() => expectServing());

  it('answers INVALID_ARGUMENT to raw_input_contents that do not line up with the inputs, or come with contents', async () => {
    const px = Buffer.alloc(IMAGE * 4);
    expect(await client.fails('ModelInfer', { model_name: 'siglip_vision', inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [1, 3, 384, 384] }], raw_input_contents: [px, px] })).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: "raw_input_contents has 2 entries for 1 inputs: give one per input, in the order of 'inputs'",
    });
    expect(
      await client.fails('ModelInfer', {
        model_name: 'siglip_vision',
        inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [1, 3, 384, 384], contents: { fp32_contents: [1] } }],
        raw_input_contents: [px],
      }),
    ).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: "input 'PIXEL_VALUES': contents must not be set when the request uses raw_input_contents" });
    expect(await client.fails('ModelInfer', { model_name: 'siglip_vision', inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [1, 3, 384, 384] }] })).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: "PIXEL_VALUES: input has no data (give its contents, or every input's bytes in raw_input_contents)",
    });
  });

  it('answers INVALID_ARGUMENT to typed contents in the wrong field, FP16 as typed contents, and a parameter without a value', async () => {
    expect(
      await client.fails('ModelInfer', { model_name: 'siglip_vision', inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [1, 3, 384, 384], contents: { int_contents: [1] } }] }),
    ).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: "input 'PIXEL_VALUES': datatype FP32 takes its values in fp32_contents, but int_contents is set" });
    expect(
      await client.fails('ModelInfer', { model_name: 'siglip_vision', inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP16', shape: [1, 3, 384, 384], contents: {} }] }),
    ).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: "input 'PIXEL_VALUES': FP16 has no typed contents field; send its bytes in raw_input_contents" });
    expect(await client.fails('ModelInfer', { ...visionRequest(knownImages[0].pixels), parameters: { timeout: {} } })).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'parameter timeout: the parameter has no value (set bool_param, int64_param, string_param, double_param or uint64_param)',
    });
  });

  it('answers INVALID_ARGUMENT to bytes that are not a ModelInferRequest', async () => {
    const Raw = grpc.makeGenericClientConstructor(
      { ModelInfer: { path: '/inference.GRPCInferenceService/ModelInfer', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b } },
      'Raw',
    );
    const rawClient = new Raw(backend.grpcUrl!, grpc.credentials.createInsecure()) as unknown as grpc.Client & { ModelInfer: (b: Buffer, cb: (e: grpc.ServiceError) => void) => void };
    try {
      const err = await new Promise<grpc.ServiceError>((resolve) => rawClient.ModelInfer(Buffer.from([0x0a, 0xff, 0xff, 0xff]), (e: grpc.ServiceError) => resolve(e)));
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details).toMatch(/^malformed ModelInferRequest: /);
    } finally {
      rawClient.close();
    }
  });
});
