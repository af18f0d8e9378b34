/**
 * Every method of GRPCInferenceService and grpc.health.v1, called with a grpc-js client built from the project's
 * .proto files, answers with what the matching HTTP endpoint answers (the same models, statistics and settings,
 * the same error messages).
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageType, OBJECT_OPTIONS } from '../../gpu-backend/grpc/protos';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { maxAbsDiff } from '../helpers/fixtures';
import { IMAGE, knownImages } from '../helpers/visionRequests';
import { BackendGrpcClient, rawFloats, visionRequest } from './support/grpcClient';

let backend: Backend;
let client: BackendGrpcClient;
const MODELS = ['siglip_vision', 'siglip_text', 'embed_image', 'embed_text'];

beforeAll(async () => {
  backend = await startTestBackend();
  client = new BackendGrpcClient(backend.grpcUrl!);
});
afterAll(async () => {
  client?.close();
  await backend?.close();
});

const getJson = async (path: string, init?: RequestInit) => {
  const res = await fetch(`${backend.url}${path}`, init);
  return { status: res.status, body: await res.json().catch((): any => null) };
};

/** A JSON value as it comes back after a trip through message `type` (what a gRPC client reads of it). */
function throughProto(type: string, value: object): unknown {
  const t = messageType(type);
  return t.toObject(t.fromObject(value), { ...OBJECT_OPTIONS, defaults: true });
}

describe('health and metadata', () => {
  it('ServerLive, ServerReady and ModelReady say what /v2/health/live, /ready and /v2/models/{m}/ready say', async () => {
    expect(await client.ok('ServerLive', {})).toEqual({ live: true });
    expect(await client.ok('ServerReady', {})).toEqual({ ready: true });
    for (const name of MODELS) {
      expect(await client.ok('ModelReady', { name })).toEqual({ ready: true });
      expect(await client.ok('ModelReady', { name, version: '1' })).toEqual({ ready: true });
    }
    const http = await getJson('/v2/models/nope/ready');
    expect(await client.fails('ModelReady', { name: 'nope' })).toEqual({ code: grpc.status.NOT_FOUND, details: http.body.error });
    expect((await client.fails('ModelReady', { name: 'siglip_vision', version: '2' })).code).toBe(grpc.status.NOT_FOUND);
  });

  it('ServerMetadata is GET /v2', async () => {
    expect(await client.ok('ServerMetadata', {})).toEqual((await getJson('/v2')).body);
  });

  it('ModelMetadata is GET /v2/models/{m}, for every model', async () => {
    for (const name of MODELS) expect(await client.ok('ModelMetadata', { name })).toEqual((await getJson(`/v2/models/${name}`)).body);
  });

  it('ModelConfig holds GET /v2/models/{m}/config, field for field', async () => {
    for (const name of MODELS) {
      const { config } = await client.ok('ModelConfig', { name });
      expect(config).toEqual(throughProto('inference.ModelConfig', (await getJson(`/v2/models/${name}/config`)).body));
      expect(config.name).toBe(name);
    }
  });

  it('RepositoryIndex is POST /v2/repository/index; load and unload are refused with the HTTP message', async () => {
    const http = (await getJson('/v2/repository/index', { method: 'POST' })).body;
    expect((await client.ok('RepositoryIndex', {})).models).toEqual(http);
    expect((await client.ok('RepositoryIndex', { ready: true })).models.map((m: { name: string }) => m.name).sort()).toEqual([...MODELS].sort());
    for (const [method, action] of [['RepositoryModelLoad', 'load'], ['RepositoryModelUnload', 'unload']]) {
      const refused = await getJson(`/v2/repository/models/siglip_vision/${action}`, { method: 'POST' });
      expect(await client.fails(method, { model_name: 'siglip_vision' })).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: refused.body.error });
    }
  });
});

describe('statistics', () => {
  it('ModelStatistics is GET .../stats, for one model and for all', async () => {
    await client.ok('ModelInfer', visionRequest(knownImages[0].pixels));
    const one = await client.ok('ModelStatistics', { name: 'siglip_vision' });
    const http = (await getJson('/v2/models/siglip_vision/stats')).body;
    expect(one).toEqual(throughProto('inference.ModelStatisticsResponse', http));
    expect(one.model_stats[0].inference_count).toBeGreaterThanOrEqual(1);
    const all = await client.ok('ModelStatistics', {});
    expect(all.model_stats.map((s: { name: string }) => s.name).sort()).toEqual([...MODELS].sort());
    expect((await client.fails('ModelStatistics', { name: 'nope' })).code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('trace and log settings', () => {
  it('TraceSetting reports tracing off, accepts only turning it off, and refuses the rest as POST /v2/trace/setting does', async () => {
    const http = (await getJson('/v2/trace/setting')).body as Record<string, string | string[]>;
    const { settings } = await client.ok('TraceSetting', {});
    expect(Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, (v as { value: string[] }).value]))).toEqual(
      Object.fromEntries(Object.entries(http).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])),
    );
    expect((await client.ok('TraceSetting', { settings: { trace_level: { value: ['OFF'] } } })).settings.trace_level.value).toEqual(['OFF']);
    const refused = await getJson('/v2/trace/setting', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ trace_level: ['TIMESTAMPS'] }) });
    expect(await client.fails('TraceSetting', { settings: { trace_level: { value: ['TIMESTAMPS'] } } })).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: refused.body.error });
    expect((await client.fails('TraceSetting', { model_name: 'nope' })).code).toBe(grpc.status.NOT_FOUND);
  });

  it('LogSettings reads and changes the settings /v2/logging reads and changes', async () => {
    const values = (s: Record<string, Record<string, unknown>>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v[v.parameter_choice as string]]));
    const http = (await getJson('/v2/logging')).body;
    expect(values((await client.ok('LogSettings', {})).settings)).toEqual(http);
    const changed = await client.ok('LogSettings', { settings: { log_error: { bool_param: !http.log_error } } });
    expect(values(changed.settings).log_error).toBe(!http.log_error);
    expect((await getJson('/v2/logging')).body.log_error).toBe(!http.log_error);
    await client.ok('LogSettings', { settings: { log_error: { bool_param: http.log_error } } });
    const refused = await getJson('/v2/logging', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ log_file: '/tmp/x.log' }) });
    expect(await client.fails('LogSettings', { settings: { log_file: { string_param: '/tmp/x.log' } } })).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: refused.body.error });
  });
});

describe('CUDA shared memory', () => {
  it('answers every CudaSharedMemory method with FAILED_PRECONDITION saying it is not supported', async () => {
    for (const method of ['CudaSharedMemoryStatus', 'CudaSharedMemoryRegister', 'CudaSharedMemoryUnregister']) {
      const failure = await client.fails(method, { name: 'r' });
      expect(failure.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(failure.details).toMatch(/^CUDA shared memory is not supported by this server/);
    }
  });
});

describe('system shared memory (perf_analyzer --shared-memory system)', () => {
  const key = `/siglip-grpc-test-${randomUUID()}`;
  const file = `/dev/shm${key}`;
  const OUT = 64 * 4;
  afterAll(() => rm(file, { force: true }));

  it('registers regions, reads an input from one, writes the output into another, and reports and unregisters them', async () => {
    // perf_analyzer's method: the client creates the object and writes the input, then registers regions of it.
    const { pixels, expected } = knownImages[2];
    await writeFile(file, Buffer.concat([Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), Buffer.alloc(OUT)]));
    await client.ok('SystemSharedMemoryRegister', { name: 'input_data', key, offset: 0, byte_size: IMAGE * 4 });
    await client.ok('SystemSharedMemoryRegister', { name: 'output_data', key, offset: IMAGE * 4, byte_size: OUT });
    const status = await client.ok('SystemSharedMemoryStatus', {});
    expect(status.regions).toEqual({
      input_data: { name: 'input_data', key, offset: 0, byte_size: IMAGE * 4 },
      output_data: { name: 'output_data', key, offset: IMAGE * 4, byte_size: OUT },
    });
    expect(await client.ok('SystemSharedMemoryStatus', { name: 'output_data' })).toEqual({ regions: { output_data: status.regions.output_data } });
    expect((await getJson('/v2/systemsharedmemory/status')).body).toEqual(Object.values(status.regions));

    const response = await client.ok('ModelInfer', {
      model_name: 'siglip_vision',
      id: 'shm-1',
      inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [1, 3, 384, 384], parameters: { shared_memory_region: { string_param: 'input_data' }, shared_memory_byte_size: { int64_param: String(IMAGE * 4) } } }],
      outputs: [{ name: 'EMBEDDING', parameters: { shared_memory_region: { string_param: 'output_data' }, shared_memory_byte_size: { int64_param: String(OUT) } } }],
    });
    expect(response.id).toBe('shm-1');
    expect(response.outputs[0]).toMatchObject({ name: 'EMBEDDING', shape: [1, 64], parameters: { shared_memory_region: { string_param: 'output_data' } } });
    const written = (await readFile(file)).subarray(IMAGE * 4);
    expect(maxAbsDiff(new Float32Array(new Uint8Array(written).buffer), expected)).toBeLessThanOrEqual(1e-4);

    await client.ok('SystemSharedMemoryUnregister', { name: 'output_data' });
    expect(Object.keys((await client.ok('SystemSharedMemoryStatus', {})).regions)).toEqual(['input_data']);
    await client.ok('SystemSharedMemoryUnregister', {});
    expect((await client.ok('SystemSharedMemoryStatus', {})).regions).toEqual({});
  });

  it('never reads past a region\'s end, nor registers past the object\'s, with the messages HTTP gives', async () => {
    await writeFile(file, Buffer.alloc(IMAGE * 4));
    await client.ok('SystemSharedMemoryRegister', { name: 'input_data', key, offset: 0, byte_size: IMAGE * 4 });
    try {
      const input = { name: 'PIXEL_VALUES', datatype: 'FP32', shape: [1, 3, 384, 384] };
      const past = { shared_memory_region: 'input_data', shared_memory_offset: 4, shared_memory_byte_size: IMAGE * 4 };
      const http = await getJson('/v2/models/siglip_vision/infer', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ ...input, parameters: past }] }),
      });
      expect(http.status).toBe(400);
      const failure = await client.fails('ModelInfer', {
        model_name: 'siglip_vision',
        inputs: [{ ...input, parameters: { shared_memory_region: { string_param: 'input_data' }, shared_memory_offset: { int64_param: '4' }, shared_memory_byte_size: { int64_param: String(IMAGE * 4) } } }],
      });
      expect(failure).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: http.body.error });
      expect(failure.details).toMatch(/runs past the end of region 'input_data'/);
      const tooBig = await client.fails('SystemSharedMemoryRegister', { name: 'big', key, offset: 8, byte_size: IMAGE * 4 });
      expect(tooBig.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(tooBig.details).toMatch(/runs past the end of/);
      expect((await client.fails('SystemSharedMemoryStatus', { name: 'nope' })).code).toBe(grpc.status.INVALID_ARGUMENT);
    } finally {
      await client.ok('SystemSharedMemoryUnregister', {});
    }
  });
});

describe('ModelStreamInfer', () => {
  it('answers each request on the stream, a bad one with error_message, and goes on; it ends after the client half-closes', async () => {
    const good = (i: number) => visionRequest(knownImages[i].pixels, { id: `s${i}` });
    const bad = { model_name: 'siglip_vision', id: 'bad', inputs: [{ name: 'PIXELS', datatype: 'FP32', shape: [1, 3, 384, 384] }], raw_input_contents: [Buffer.alloc(IMAGE * 4)] };
    const stream = client.inference.ModelStreamInfer() as grpc.ClientDuplexStream<object, any>;
    const answers: any[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('data', (m) => answers.push(m));
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    stream.write(good(0));
    stream.write(bad);
    stream.write(good(1));
    stream.end();
    await ended;
    expect(answers).toHaveLength(3);
    const byId = new Map(answers.map((a) => [a.infer_response.id, a]));
    const refused = await client.fails('ModelInfer', bad);
    expect(byId.get('bad').error_message).toBe(refused.details);
    for (const i of [0, 1]) {
      const a = byId.get(`s${i}`);
      expect(a.error_message).toBe('');
      expect(maxAbsDiff(rawFloats(a.infer_response), knownImages[i].expected)).toBeLessThanOrEqual(1e-4);
    }
  });
});

describe('grpc.health.v1.Health', () => {
  it('Check: SERVING for the server and the inference service, NOT_FOUND for another', async () => {
    expect(await client.ok('Check', {}, { service: 'health' })).toEqual({ status: 'SERVING' });
    expect(await client.ok('Check', { service: 'inference.GRPCInferenceService' }, { service: 'health' })).toEqual({ status: 'SERVING' });
    expect((await client.fails('Check', { service: 'nope' }, { service: 'health' })).code).toBe(grpc.status.NOT_FOUND);
  });

  it('Watch: sends the status at once (SERVICE_UNKNOWN for an unknown service) and holds the stream until cancelled', async () => {
    for (const [service, want] of [['', 'SERVING'], ['nope', 'SERVICE_UNKNOWN']]) {
      const watch = client.health.Watch({ service }) as grpc.ClientReadableStream<{ status: string }>;
      const first = await new Promise<{ status: string }>((resolve, reject) => {
        watch.once('data', resolve);
        watch.once('error', reject);
      });
      expect(first).toEqual({ status: want });
      const closed = new Promise<grpc.ServiceError>((resolve) => watch.on('error', resolve));
      watch.cancel();
      expect((await closed).code).toBe(grpc.status.CANCELLED);
    }
  });
});
