/**
 * gRPC and HTTP are two doors to the same models: the same input gives the same embedding (within 1e-6) whichever
 * protocol and tensor form carried it, and concurrent gRPC calls are batched by the same dynamic batcher.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiglipTokenizer } from '../../gpu-backend/models/text/siglipTokenizer';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { maxAbsDiff } from '../helpers/fixtures';
import { IMAGE, knownImages, modelStats } from '../helpers/visionRequests';
import { fixtureBytes, inferBytesJson, inferInputIds, PHOTOS } from '../embed/embedRequests';
import { BackendGrpcClient, bytesElements, rawFloats, visionRequest } from './support/grpcClient';

const EMBED_TEXT_DIR = fileURLToPath(new URL('../../model_repository/embed_text', import.meta.url));
const TEXTS = ['a photo of a cat', 'a photo of a dog', 'an astronaut riding a horse'];
const photos = PHOTOS.map(fixtureBytes);
const base64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const utf8 = (s: string) => new TextEncoder().encode(s);

let backend: Backend;
let client: BackendGrpcClient;
let tokenizer: SiglipTokenizer;

beforeAll(async () => {
  [backend, tokenizer] = await Promise.all([startTestBackend(), SiglipTokenizer.fromDirectory(EMBED_TEXT_DIR, { maxLength: 64 })]);
  client = new BackendGrpcClient(backend.grpcUrl!);
});
afterAll(async () => {
  client?.close();
  await backend?.close();
});

/** Rows of `data`, `n` of them. */
function rows(data: ArrayLike<number>, n: number): Float32Array[] {
  const dim = data.length / n;
  return Array.from({ length: n }, (_, i) => Float32Array.from(Array.prototype.slice.call(data, i * dim, (i + 1) * dim) as number[]));
}

/** Each row of `got` within 1e-6 of the same row of `want`. */
function expectSameRows(got: Float32Array[], want: Float32Array[]): void {
  expect(got).toHaveLength(want.length);
  got.forEach((row, i) => expect(maxAbsDiff(row, want[i])).toBeLessThanOrEqual(1e-6));
}

async function httpJsonVision(pixels: Float32Array, n: number): Promise<Float32Array[]> {
  const body = JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [n, 3, 384, 384], datatype: 'FP32', data: Array.from(pixels) }] });
  const res = await fetch(`${backend.url}/v2/models/siglip_vision/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(res.status).toBe(200);
  return rows((await res.json()).outputs[0].data, n);
}

describe('the same embeddings over gRPC as over HTTP JSON', () => {
  it('siglip_vision: raw_input_contents and typed fp32_contents, batch of 2', async () => {
    const pixels = new Float32Array(2 * IMAGE);
    pixels.set(knownImages[0].pixels);
    pixels.set(knownImages[3].pixels, IMAGE);
    const http = await httpJsonVision(pixels, 2);
    const raw = await client.ok('ModelInfer', visionRequest(pixels));
    expect(raw.outputs).toEqual([expect.objectContaining({ name: 'EMBEDDING', datatype: 'FP32', shape: [2, 64] })]);
    expectSameRows(rows(rawFloats(raw), 2), http);
    const typed = await client.ok('ModelInfer', {
      model_name: 'siglip_vision',
      inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [2, 3, 384, 384], contents: { fp32_contents: Array.from(pixels) } }],
    });
    // Typed in, typed out.
    expect(typed.raw_output_contents).toEqual([]);
    expectSameRows(rows(typed.outputs[0].contents.fp32_contents, 2), http);
  });

  it('siglip_text: INT64 ids as raw_input_contents and as int64_contents', async () => {
    const ids = tokenizer.encodeBatch(TEXTS);
    const http = await inferInputIds(backend.url, ids, TEXTS.length, false);
    expect(http.status).toBe(200);
    const shape = [TEXTS.length, 64];
    const raw = await client.ok('ModelInfer', {
      model_name: 'siglip_text',
      inputs: [{ name: 'INPUT_IDS', datatype: 'INT64', shape }],
      raw_input_contents: [Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength)],
    });
    expectSameRows(rows(rawFloats(raw), TEXTS.length), http.rows!);
    const typed = await client.ok('ModelInfer', {
      model_name: 'siglip_text',
      inputs: [{ name: 'INPUT_IDS', datatype: 'INT64', shape, contents: { int64_contents: Array.from(ids, String) } }],
    });
    expectSameRows(rows(typed.outputs[0].contents.fp32_contents, TEXTS.length), http.rows!);
  });

  it('embed_image: base64 text with base64_encoded true, as the seed deployment\'s gRPC clients send it, and raw file bytes', async () => {
    const http = await inferBytesJson(backend.url, 'embed_image', 'INPUT_IMAGE', photos.map(base64), { base64_encoded: true });
    expect(http.status).toBe(200);
    const asBase64 = photos.map((p) => utf8(base64(p)));
    const raw = await client.ok('ModelInfer', {
      model_name: 'embed_image',
      parameters: { base64_encoded: { bool_param: true } },
      inputs: [{ name: 'INPUT_IMAGE', datatype: 'BYTES', shape: [photos.length, 1] }],
      raw_input_contents: [bytesElements(asBase64)],
    });
    expectSameRows(rows(rawFloats(raw), photos.length), http.rows!);
    const typed = await client.ok('ModelInfer', {
      model_name: 'embed_image',
      parameters: { base64_encoded: { bool_param: true } },
      inputs: [{ name: 'INPUT_IMAGE', datatype: 'BYTES', shape: [photos.length], contents: { bytes_contents: asBase64 } }],
    });
    expectSameRows(rows(typed.outputs[0].contents.fp32_contents, photos.length), http.rows!);
    // base64_encoded's default (false): each element is the file itself.
    const files = await client.ok('ModelInfer', {
      model_name: 'embed_image',
      inputs: [{ name: 'INPUT_IMAGE', datatype: 'BYTES', shape: [photos.length, 1], contents: { bytes_contents: photos } }],
    });
    expectSameRows(rows(files.outputs[0].contents.fp32_contents, photos.length), http.rows!);
  });

  it('embed_text: UTF-8 texts as bytes_contents and as raw BYTES elements, embed_model siglip_text', async () => {
    const http = await inferBytesJson(backend.url, 'embed_text', 'INPUT_TEXT', TEXTS, { embed_model: 'siglip_text' });
    expect(http.status).toBe(200);
    const parameters = { embed_model: { string_param: 'siglip_text' } };
    const typed = await client.ok('ModelInfer', {
      model_name: 'embed_text',
      parameters,
      inputs: [{ name: 'INPUT_TEXT', datatype: 'BYTES', shape: [TEXTS.length, 1], contents: { bytes_contents: TEXTS.map(utf8) } }],
    });
    expectSameRows(rows(typed.outputs[0].contents.fp32_contents, TEXTS.length), http.rows!);
    const raw = await client.ok('ModelInfer', {
      model_name: 'embed_text',
      parameters,
      inputs: [{ name: 'INPUT_TEXT', datatype: 'BYTES', shape: [TEXTS.length] }],
      raw_input_contents: [bytesElements(TEXTS.map(utf8))],
    });
    expectSameRows(rows(rawFloats(raw), TEXTS.length), http.rows!);
  });
});

describe('answer forms', () => {
  it('echoes the id, answers raw to raw inputs, and honours binary_data and binary_data_output', async () => {
    const pixels = knownImages[1].pixels;
    const raw = await client.ok('ModelInfer', visionRequest(pixels, { id: 'req-17' }));
    expect(raw.id).toBe('req-17');
    expect(raw.model_name).toBe('siglip_vision');
    expect(raw.model_version).toBe('1');
    expect(raw.raw_output_contents).toHaveLength(1);
    expect(raw.outputs[0].contents).toBeNull();
    expect(maxAbsDiff(rawFloats(raw), knownImages[1].expected)).toBeLessThanOrEqual(1e-4);
    // Raw inputs, typed answer asked for per output.
    const typed = await client.ok('ModelInfer', visionRequest(pixels, { outputs: [{ name: 'EMBEDDING', parameters: { binary_data: { bool_param: false } } }] }));
    expect(typed.raw_output_contents).toEqual([]);
    expect(maxAbsDiff(typed.outputs[0].contents.fp32_contents, knownImages[1].expected)).toBeLessThanOrEqual(1e-4);
    // Typed inputs, raw answer asked for by the request.
    const rawOut = await client.ok('ModelInfer', {
      model_name: 'siglip_vision',
      parameters: { binary_data_output: { bool_param: true } },
      inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [1, 3, 384, 384], contents: { fp32_contents: Array.from(pixels) } }],
    });
    expect(maxAbsDiff(rawFloats(rawOut), knownImages[1].expected)).toBeLessThanOrEqual(1e-4);
  });

  it('sends back the x-request-id it was given, or one of its own', async () => {
    const given = await client.call('ModelInfer', visionRequest(knownImages[0].pixels), { metadata: { 'x-request-id': 'trace-abc.1' } });
    expect(given.ok && given.metadata.get('x-request-id')).toEqual(['trace-abc.1']);
    const fresh = await client.call('ServerReady', {});
    expect(fresh.ok && String(fresh.metadata.get('x-request-id')[0])).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('dynamic batching over gRPC', () => {
  it('serves 60 concurrent single-image ModelInfer calls, each its own embedding, in fewer executions than inferences', async () => {
    const before = await modelStats(backend.url);
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => client.ok('ModelInfer', visionRequest(knownImages[i % knownImages.length].pixels, { id: String(i) }))));
    results.forEach((r, i) => {
      expect(r.id).toBe(String(i));
      expect(maxAbsDiff(rawFloats(r), knownImages[i % knownImages.length].expected)).toBeLessThanOrEqual(1e-4);
    });
    const after = await modelStats(backend.url);
    const inferences = after.inference_count - before.inference_count;
    const executions = after.execution_count - before.execution_count;
    expect(inferences).toBe(60);
    expect(executions).toBeLessThan(inferences);
    // The same statistics over gRPC.
    const stats = (await client.ok('ModelStatistics', { name: 'siglip_vision' })).model_stats[0];
    expect(stats.inference_count).toBe(after.inference_count);
    expect(stats.execution_count).toBe(after.execution_count);
  });
});
