import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { binaryRequest, readBinaryResponse, startTestBackend } from '../helpers/backend';
import { readF32, row } from '../helpers/fixtures';

const IMAGE = 3 * 384 * 384;

describe('KServe v2 endpoints', () => {
  let backend: Backend;
  let url: string;
  const pixels = row(readF32('random_pixels_2x3x384x384.f32'), 0, IMAGE);
  beforeAll(async () => {
    backend = await startTestBackend();
    url = backend.url;
  });
  afterAll(() => backend.close());

  it('GET /v2 names the server and its extensions', async () => {
    const body = await (await fetch(`${url}/v2`)).json();
    expect(body.name).toBe('siglip-serve');
    expect(typeof body.version).toBe('string');
    expect(body.extensions).toEqual(expect.arrayContaining(['binary_tensor_data', 'statistics', 'model_configuration']));
  });

  it('reports live and ready once models are warmed up', async () => {
    expect((await fetch(`${url}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
    expect((await fetch(`${url}/v2/models/siglip_vision/ready`)).status).toBe(200);
    expect((await fetch(`${url}/v2/models/siglip_vision/versions/1/ready`)).status).toBe(200);
  });

  it('serves model metadata with the fixed tensor names', async () => {
    for (const path of ['/v2/models/siglip_vision', '/v2/models/siglip_vision/versions/1']) {
      const body = await (await fetch(url + path)).json();
      expect(body).toEqual({
        name: 'siglip_vision',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [-1, 3, 384, 384] }],
        outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 64] }],
      });
    }
  });

  it('serves the model configuration in Triton field names', async () => {
    const body = await (await fetch(`${url}/v2/models/siglip_vision/config`)).json();
    expect(body).toMatchObject({ name: 'siglip_vision', platform: 'onnxruntime_onnx', max_batch_size: 32 });
    expect(body.dynamic_batching.default_queue_policy).toHaveProperty('max_queue_size');
    expect(body.input[0]).toMatchObject({ name: 'PIXEL_VALUES', data_type: 'TYPE_FP32', dims: [3, 384, 384] });
    // Triton's ModelParameter form, not our config.json's plain values.
    expect(body.parameters.onnx_input_names).toEqual({ string_value: '{"PIXEL_VALUES":"pixel_values"}' });
  });

  it('echoes the request id and honours the outputs selection', async () => {
    const res = await fetch(`${url}/v2/models/siglip_vision/infer`, {
      method: 'POST',
      body: JSON.stringify({ id: 'abc-1', inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', data: Array.from(pixels) }], outputs: [{ name: 'EMBEDDING' }] }),
    });
    const body = await res.json();
    expect(body.id).toBe('abc-1');
    expect(body.model_name).toBe('siglip_vision');
    expect(body.model_version).toBe('1');
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(['EMBEDDING']);
    expect(body.outputs[0].data).toHaveLength(64);
  });

  it("takes a JSON body sent with curl -d's default form content type, as Triton does", async () => {
    const res = await fetch(`${url}/v2/models/siglip_vision/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', data: Array.from(pixels) }] }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).outputs[0].data).toHaveLength(64);
  });

  it('takes JSON data as nested arrays as well as flat', async () => {
    const nested = Array.from({ length: 3 }, (_, c) => Array.from({ length: 384 }, (_, y) => Array.from(pixels.subarray(c * 147456 + y * 384, c * 147456 + (y + 1) * 384))));
    const flat = await (await fetch(`${url}/v2/models/siglip_vision/infer`, { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', data: Array.from(pixels) }] }) })).json();
    const deep = await (await fetch(`${url}/v2/models/siglip_vision/infer`, { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', data: [nested] }] }) })).json();
    expect(deep.outputs[0].data).toEqual(flat.outputs[0].data);
  });

  it('returns JSON and binary outputs in one response as asked', async () => {
    const { body, headers } = binaryRequest(
      { inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { binary_data_size: IMAGE * 4 } }], outputs: [{ name: 'EMBEDDING', parameters: { binary_data: false } }] },
      pixels,
    );
    const res = await fetch(`${url}/v2/models/siglip_vision/infer`, { method: 'POST', headers, body });
    expect(res.headers.get('inference-header-content-length')).toBeNull();
    const json = await res.json();
    expect(json.outputs[0].data).toHaveLength(64);

    const bin = binaryRequest(
      { inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { binary_data_size: IMAGE * 4 } }], parameters: { binary_data_output: true } },
      pixels,
    );
    const res2 = await fetch(`${url}/v2/models/siglip_vision/infer`, { method: 'POST', headers: bin.headers, body: bin.body });
    const { header, binary } = await readBinaryResponse(res2);
    expect(header.outputs[0].parameters.binary_data_size).toBe(256);
    expect(Array.from(new Float32Array(binary.slice().buffer))).toEqual(json.outputs[0].data.map(Math.fround));
  });

  it('serves per-model and all-model statistics with every field perf_analyzer reads', async () => {
    const all = await (await fetch(`${url}/v2/models/stats`)).json();
    const names = all.model_stats.map((s: { name: string }) => s.name);
    expect(names).toContain('siglip_vision');
    const one = (await (await fetch(`${url}/v2/models/siglip_vision/versions/1/stats`)).json()).model_stats[0];
    expect(one.version).toBe('1');
    for (const k of ['last_inference', 'inference_count', 'execution_count']) expect(typeof one[k]).toBe('number');
    for (const k of ['success', 'fail', 'queue', 'compute_input', 'compute_infer', 'compute_output', 'cache_hit', 'cache_miss']) {
      expect(one.inference_stats[k]).toEqual({ count: expect.any(Number), ns: expect.any(Number) });
    }
    expect(one.inference_stats.success.count).toBeGreaterThan(0);
    expect(one.batch_stats[0]).toMatchObject({ batch_size: expect.any(Number), compute_infer: { count: expect.any(Number), ns: expect.any(Number) } });
  });

  it('exposes Prometheus metrics with Triton names', async () => {
    await fetch(`${url}/v2/models/nope/infer`, { method: 'POST', body: '{}' });
    await fetch(`${url}/v2/models/siglip_vision/infer`, { method: 'POST', body: '{"inputs": 3}' });
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const name of [
      'nv_inference_request_success',
      'nv_inference_request_failure',
      'nv_inference_count',
      'nv_inference_exec_count',
      'nv_inference_queue_duration_us',
      'nv_inference_compute_input_duration_us',
      'nv_inference_compute_infer_duration_us',
      'nv_inference_compute_output_duration_us',
      'nv_inference_pending_request_count',
      'siglip_batch_size_bucket',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/nv_inference_request_success\{model="siglip_vision",version="1"\} [1-9]/);
    expect(text).toMatch(/nv_inference_request_failure\{model="siglip_vision",version="1",reason="invalid_argument"\} [1-9]/);
  });

  it('answers 404 with {"error"} for an unknown model or version', async () => {
    for (const path of ['/v2/models/nope', '/v2/models/nope/infer', '/v2/models/siglip_vision/versions/7', '/v2/models/siglip_vision/versions/7/infer']) {
      const res = await fetch(url + path, { method: path.endsWith('infer') ? 'POST' : 'GET', body: path.endsWith('infer') ? '{}' : undefined });
      expect(res.status).toBe(404);
      expect((await res.json()).error).toMatch(/unknown model/);
    }
    const res = await fetch(`${url}/v3/whatever`);
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty('error');
  });
});
