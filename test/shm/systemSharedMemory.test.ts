import { rm, symlink, truncate, writeFile, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { startGateway, type RunningGateway } from '../../gateway/node';
import { encodeBytesElements } from '../../shared/codec/binaryTensor';
import { binaryRequest, startTestBackend } from '../helpers/backend';
import { maxAbsDiff } from '../helpers/fixtures';
import { IMAGE, inferImage, knownImages } from '../helpers/visionRequests';
import { keysFor } from '../gateway/support/tenants';

// Triton's system shared memory with real POSIX shared-memory objects (files under /dev/shm), the way
// perf_analyzer --shared-memory system uses it: unregister all, create and register one region per input and
// per output, send requests that name regions, read the outputs from their regions.
const PREFIX = `siglip-test-${process.pid}`;
const created: string[] = [];
async function shmObject(name: string, bytes: Uint8Array | number): Promise<string> {
  const key = `/${PREFIX}-${name}`;
  created.push(`/dev/shm${key}`);
  await writeFile(`/dev/shm${key}`, typeof bytes === 'number' ? new Uint8Array(bytes) : bytes);
  return key;
}

let backend: Backend;
const post = (path: string, body?: unknown) =>
  fetch(`${backend.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
const register = (name: string, key: string, byteSize: number, offset = 0) => post(`/v2/systemsharedmemory/region/${name}/register`, { key, offset, byte_size: byteSize });
const errorOf = async (res: Response) => ({ status: res.status, error: ((await res.json()) as { error: string }).error });

beforeAll(async () => {
  backend = await startTestBackend();
});
afterAll(async () => {
  await backend?.close();
  await Promise.all(created.map((f) => rm(f, { force: true })));
});

describe('system shared memory over HTTP', () => {
  it('runs perf_analyzer\'s method: the embedding read from the output region is the one sent in the body', async () => {
    const image = knownImages[2];
    expect((await post('/v2/systemsharedmemory/unregister')).status).toBe(200);
    // Two images back to back in one object; the input region starts 64 bytes in, as a client may lay them out.
    const object = new Uint8Array(64 + 2 * image.pixels.byteLength);
    object.set(new Uint8Array(knownImages[0].pixels.buffer, knownImages[0].pixels.byteOffset, image.pixels.byteLength), 64);
    object.set(new Uint8Array(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength), 64 + image.pixels.byteLength);
    const inputKey = await shmObject('input', object);
    const outputKey = await shmObject('output', 100 * 1024);
    expect((await register('PIXELS', inputKey, 2 * image.pixels.byteLength, 64)).status).toBe(200);
    expect((await register('EMBEDDING', outputKey, 100 * 1024)).status).toBe(200);
    const status = await (await fetch(`${backend.url}/v2/systemsharedmemory/status`)).json();
    expect(status).toEqual(
      expect.arrayContaining([
        { name: 'PIXELS', key: inputKey, offset: 64, byte_size: 2 * image.pixels.byteLength },
        { name: 'EMBEDDING', key: outputKey, offset: 0, byte_size: 100 * 1024 },
      ]),
    );

    const res = await post('/v2/models/siglip_vision/infer', {
      inputs: [
        {
          name: 'PIXEL_VALUES',
          shape: [1, 3, 384, 384],
          datatype: 'FP32',
          parameters: { shared_memory_region: 'PIXELS', shared_memory_offset: image.pixels.byteLength, shared_memory_byte_size: image.pixels.byteLength },
        },
      ],
      outputs: [{ name: 'EMBEDDING', parameters: { shared_memory_region: 'EMBEDDING', shared_memory_offset: 1024, shared_memory_byte_size: 8192 } }],
    });
    expect(res.status).toBe(200);
    const answer = await res.json();
    // No data in the answer: it is in the region.
    expect(answer.outputs[0]).toEqual({
      name: 'EMBEDDING',
      datatype: 'FP32',
      shape: [1, expect.any(Number)],
      parameters: { shared_memory_region: 'EMBEDDING', shared_memory_offset: 1024, shared_memory_byte_size: 8192 },
    });
    const dim = answer.outputs[0].shape[1];
    const out = await readFile(`/dev/shm${outputKey}`);
    const fromShm = new Float32Array(out.buffer.slice(out.byteOffset + 1024, out.byteOffset + 1024 + dim * 4));
    const direct = await inferImage(backend.url, image.pixels);
    expect(direct.status).toBe(200);
    expect(maxAbsDiff(fromShm, direct.embedding!)).toBe(0);
    expect(maxAbsDiff(fromShm, image.expected)).toBeLessThanOrEqual(1e-4);
    // The bytes before the tensor's offset are untouched.
    expect(out.subarray(0, 1024).every((b) => b === 0)).toBe(true);
  });

  it('reads BYTES inputs as length-prefixed elements, as the binary extension carries them (embed_text)', async () => {
    const texts = ['a photo of a cat', 'a diagram'];
    const bytes = encodeBytesElements(texts.map((t) => new TextEncoder().encode(t)));
    const key = await shmObject('texts', bytes);
    expect((await register('TEXTS', key, bytes.byteLength)).status).toBe(200);
    const viaShm = await post('/v2/models/embed_text/infer', {
      inputs: [{ name: 'INPUT_TEXT', shape: [2, 1], datatype: 'BYTES', parameters: { shared_memory_region: 'TEXTS', shared_memory_byte_size: bytes.byteLength } }],
    });
    const inline = await post('/v2/models/embed_text/infer', { inputs: [{ name: 'INPUT_TEXT', shape: [2, 1], datatype: 'BYTES', data: texts }] });
    expect([viaShm.status, inline.status]).toEqual([200, 200]);
    expect((await viaShm.json()).outputs[0].data).toEqual((await inline.json()).outputs[0].data);
  });

  it('never reads past a region\'s end, nor registers a region past its object\'s end', async () => {
    const key = await shmObject('small', 4096);
    expect(await errorOf(await register('TOO_BIG', key, 4096, 1))).toEqual({
      status: 400,
      error: `region 'TOO_BIG' (offset 1 + byte_size 4096) runs past the end of '${key}', which has 4096 bytes`,
    });
    expect((await register('SMALL', key, 4000, 96)).status).toBe(200);
    const infer = (offset: number, byteSize: number) =>
      post('/v2/models/siglip_vision/infer', {
        inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { shared_memory_region: 'SMALL', shared_memory_offset: offset, shared_memory_byte_size: byteSize } }],
      });
    // The size must match the shape first; then the tensor must lie inside the region.
    expect(await errorOf(await infer(0, 4000))).toEqual({ status: 400, error: `PIXEL_VALUES: expected ${IMAGE * 4} bytes of FP32 for shape [1,3,384,384], got shared_memory_byte_size 4000` });
    expect(await errorOf(await infer(0, IMAGE * 4))).toEqual({
      status: 400,
      error: `PIXEL_VALUES: shared_memory_offset 0 + shared_memory_byte_size ${IMAGE * 4} runs past the end of region 'SMALL' (4000 bytes)`,
    });
    // A region whose object shrank after registering is refused, not read short.
    const big = await shmObject('shrinks', IMAGE * 4);
    expect((await register('SHRINKS', big, IMAGE * 4)).status).toBe(200);
    await truncate(`/dev/shm${big}`, 100);
    const shrunk = await post('/v2/models/siglip_vision/infer', {
      inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { shared_memory_region: 'SHRINKS', shared_memory_byte_size: IMAGE * 4 } }],
    });
    expect(await errorOf(shrunk)).toEqual({ status: 400, error: "PIXEL_VALUES: shared memory region 'SHRINKS' is shorter than when it was registered (its object was truncated)" });
  });

  it('refuses output regions without room, unknown regions, and half-given parameters', async () => {
    const image = knownImages[0];
    const inKey = await shmObject('in2', new Uint8Array(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength));
    const outKey = await shmObject('out2', 16);
    expect((await register('IN2', inKey, image.pixels.byteLength)).status).toBe(200);
    expect((await register('OUT2', outKey, 16)).status).toBe(200);
    const input = { name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { shared_memory_region: 'IN2', shared_memory_byte_size: image.pixels.byteLength } };
    const small = await post('/v2/models/siglip_vision/infer', { inputs: [input], outputs: [{ name: 'EMBEDDING', parameters: { shared_memory_region: 'OUT2', shared_memory_byte_size: 16 } }] });
    expect(await errorOf(small)).toMatchObject({ status: 400, error: expect.stringMatching(/^output 'EMBEDDING': shared memory size specified with the request \(16 bytes\) should be at least \d+ bytes to hold the results$/) });
    const unknown = await post('/v2/models/siglip_vision/infer', { inputs: [{ ...input, parameters: { shared_memory_region: 'NOPE', shared_memory_byte_size: image.pixels.byteLength } }] });
    expect(await errorOf(unknown)).toEqual({ status: 400, error: "PIXEL_VALUES: unknown shared memory region 'NOPE'; register it first" });
    const half = await post('/v2/models/siglip_vision/infer', { inputs: [{ ...input, parameters: { shared_memory_region: 'IN2' } }] });
    expect(await errorOf(half)).toEqual({ status: 400, error: 'PIXEL_VALUES: shared_memory_region needs shared_memory_byte_size' });
    const twice = binaryRequest({ inputs: [{ ...input, parameters: { ...input.parameters, binary_data_size: image.pixels.byteLength } }] }, image.pixels);
    const both = await fetch(`${backend.url}/v2/models/siglip_vision/infer`, { method: 'POST', headers: twice.headers, body: twice.body });
    expect((await errorOf(both)).error).toBe('PIXEL_VALUES: has shared_memory_region and also data or binary_data_size; give one source');
    // And the backend keeps serving.
    expect((await inferImage(backend.url, image.pixels)).status).toBe(200);
  });

  it('refuses keys outside the shared-memory directory, symlinks, duplicates and missing objects', async () => {
    expect(await errorOf(await register('ESCAPE', '/../etc/passwd', 10))).toEqual({
      status: 400,
      error: `key '/../etc/passwd' is not a shared-memory object name: give the name passed to shm_open, such as "/input_data"`,
    });
    const target = await shmObject('target', 64);
    const link = `/${PREFIX}-link`;
    created.push(`/dev/shm${link}`);
    await symlink(`/dev/shm${target}`, `/dev/shm${link}`);
    expect(await errorOf(await register('LINK', link, 10))).toEqual({ status: 400, error: `Unable to open shared memory region: '${link}' (it is a symbolic link)` });
    expect(await errorOf(await register('MISSING', `/${PREFIX}-missing`, 10))).toEqual({
      status: 400,
      error: `Unable to open shared memory region: '/${PREFIX}-missing' (no such object; create it with shm_open first)`,
    });
    expect((await register('ONCE', target, 64)).status).toBe(200);
    expect(await errorOf(await register('ONCE', target, 64))).toEqual({ status: 400, error: "shared memory region 'ONCE' is already registered; unregister it first" });
    expect(await errorOf(await fetch(`${backend.url}/v2/systemsharedmemory/region/NOPE/status`))).toEqual({ status: 400, error: "Unable to find system shared memory region: 'NOPE'" });
    expect((await post('/v2/systemsharedmemory/region/ONCE/unregister')).status).toBe(200);
    expect(await errorOf(await fetch(`${backend.url}/v2/systemsharedmemory/region/ONCE/status`))).toEqual({ status: 400, error: "Unable to find system shared memory region: 'ONCE'" });
  });

  it('answers CUDA shared memory with "not supported" (501), on every endpoint', async () => {
    for (const [method, path] of [
      ['GET', '/v2/cudasharedmemory/status'],
      ['POST', '/v2/cudasharedmemory/region/x/register'],
      ['POST', '/v2/cudasharedmemory/unregister'],
    ]) {
      const res = await fetch(`${backend.url}${path}`, { method, body: method === 'POST' ? '{}' : undefined });
      expect(await errorOf(res)).toEqual({
        status: 501,
        error: 'CUDA shared memory is not supported by this server: use system shared memory (/v2/systemsharedmemory) or send tensors in the request',
      });
    }
  });

  it('lists system_shared_memory among the server extensions', async () => {
    expect((await (await fetch(`${backend.url}/v2`)).json()).extensions).toContain('system_shared_memory');
  });
});

describe('system shared memory, turned off or behind the gateway', () => {
  let off: Backend;
  let gw: RunningGateway;
  let key: string;
  beforeAll(async () => {
    off = await startTestBackend({ allowClientShm: false });
    const made = await keysFor({ t: { models: ['siglip_vision'], rate: 1000, burst: 1000 } });
    key = made.keys.t;
    gw = await startGateway({ port: 0, backends: [backend.url], keys: made.file, logLevel: 'silent' });
  });
  afterAll(async () => {
    await gw?.close();
    await off?.close();
  });

  it('is refused with 403 when the backend was started without it, and not listed', async () => {
    const objectKey = await shmObject('off', 64);
    const res = await fetch(`${off.url}/v2/systemsharedmemory/region/X/register`, { method: 'POST', body: JSON.stringify({ key: objectKey, offset: 0, byte_size: 64 }) });
    expect(await errorOf(res)).toEqual({
      status: 403,
      error: 'shared memory is turned off on this backend; start it with --allow-client-shm (same-host clients only), or send tensors in the request',
    });
    expect((await (await fetch(`${off.url}/v2`)).json()).extensions).not.toContain('system_shared_memory');
    const infer = await fetch(`${off.url}/v2/models/siglip_vision/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { shared_memory_region: 'X', shared_memory_byte_size: IMAGE * 4 } }] }),
    });
    expect((await errorOf(infer)).status).toBe(400);
  });

  it('is refused by the gateway: shared memory is for same-host clients of the backend', async () => {
    const res = await fetch(`${gw.url}/v2/models/siglip_vision/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { shared_memory_region: 'PIXELS', shared_memory_byte_size: IMAGE * 4 } }] }),
    });
    expect(await errorOf(res)).toEqual({
      status: 400,
      error: 'PIXEL_VALUES: shared memory tensors go to the backend directly, from the same host; through the gateway send the tensor in the request',
    });
    const register = await fetch(`${gw.url}/v2/systemsharedmemory/region/X/register`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{}' });
    expect(register.status).toBe(404);
  });
});
