import { readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OnnxModel } from '../../gpu-backend/models/onnxModel';
import type { Backend } from '../../gpu-backend/server';
import { jsonPixelRequest, startTestBackend } from '../helpers/backend';
import { maxAbsDiff } from '../helpers/fixtures';
import { TempRepository } from '../helpers/tempRepository';
import { inferImage, knownImages, modelStats } from '../helpers/visionRequests';

// The backend with its HTTP work on threads (--http-threads): the API port's connections are accepted by the
// threads, which read and decode bodies and call the main thread's models over a MessagePort. Everything a client
// sees must be what the single-loop server gives it.
const THREADS = 2;
const TOKEN = 'thread-test-token';
const SHM_KEY = `/siglip-httpthreads-${process.pid}`;

let backend: Backend;
let guarded: Backend;

beforeAll(async () => {
  [backend, guarded] = await Promise.all([startTestBackend({ httpThreads: THREADS }), startTestBackend({ httpThreads: 1, requireToken: TOKEN })]);
});
afterAll(async () => {
  await Promise.all([backend?.close(), guarded?.close()]);
  await rm(`/dev/shm${SHM_KEY}`, { force: true });
});

const jsonInfer = (url: string, pixels: Float32Array, headers: Record<string, string> = {}) =>
  fetch(`${url}/v2/models/siglip_vision/infer`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: jsonPixelRequest(pixels, 1) });

describe('HTTP threads', () => {
  it('start and take the API port', () => {
    expect(backend.httpThreads).toBe(THREADS);
    expect(guarded.httpThreads).toBe(1);
  });

  it('answer JSON, binary and raw infer requests with the embeddings the single loop gives', async () => {
    const before = (await modelStats(backend.url)).inference_stats.success.count as number;
    // More requests than threads, in parallel: several connections land on each thread.
    const results = await Promise.all(
      knownImages.flatMap((image, k) => [
        jsonInfer(backend.url, image.pixels).then(async (res) => ({ k, status: res.status, embedding: res.status === 200 ? (await res.json()).outputs[0].data : undefined })),
        inferImage(backend.url, image.pixels).then((r) => ({ k, ...r })),
      ]),
    );
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(maxAbsDiff(r.embedding as ArrayLike<number>, knownImages[r.k].expected)).toBeLessThanOrEqual(1e-4);
    }
    // Triton's raw binary request: the whole body is the one input.
    const image = knownImages[1];
    const raw = await fetch(`${backend.url}/v2/models/siglip_vision/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': '0' },
      body: image.pixels.slice().buffer,
    });
    expect(raw.status).toBe(200);
    const headerLength = Number(raw.headers.get('inference-header-content-length'));
    const bytes = new Uint8Array(await raw.arrayBuffer());
    expect(maxAbsDiff(new Float32Array(bytes.slice(headerLength).buffer), image.expected)).toBeLessThanOrEqual(1e-4);
    // Statistics are the main thread's, whichever thread read the request.
    const after = (await modelStats(backend.url)).inference_stats.success.count as number;
    expect(after - before).toBe(results.length + 1);
  });

  it('serve every other route through the main thread (health, metadata, config, embeddings)', async () => {
    expect((await fetch(`${backend.url}/v2/health/ready`)).status).toBe(200);
    const meta = await (await fetch(`${backend.url}/v2/models/siglip_vision`)).json();
    expect(meta).toMatchObject({ name: 'siglip_vision', inputs: [expect.objectContaining({ name: 'PIXEL_VALUES' })] });
    expect((await (await fetch(`${backend.url}/v2/models/embed_text/config`)).json()).name).toBe('embed_text');
    const emb = await fetch(`${backend.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: ['a cat'], model: 'siglip' }) });
    expect(emb.status).toBe(200);
    expect((await emb.json()).data[0].embedding.length).toBeGreaterThan(0);
  });

  it('answer bad input with the same JSON errors, and keep serving', async () => {
    const badJson = await fetch(`${backend.url}/v2/models/siglip_vision/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": [' });
    expect(badJson.status).toBe(400);
    expect((await badJson.json()).error).toEqual(expect.any(String));
    const wrongName = await fetch(`${backend.url}/v2/models/siglip_vision/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'NOPE', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }),
    });
    expect(wrongName.status).toBe(400);
    expect((await wrongName.json()).error).toMatch(/NOPE/);
    expect((await fetch(`${backend.url}/v2/models/no_such_model/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
    // Declared 2 bytes, sent 1 and closed: the thread drops it and goes on.
    const { hostname, port } = new URL(backend.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), hostname, () => socket.end('POST /v2/models/siglip_vision/infer HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{'));
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
      socket.resume();
    });
    const image = knownImages[3];
    const ok = await inferImage(backend.url, image.pixels);
    expect(ok.status).toBe(200);
    expect(maxAbsDiff(ok.embedding!, image.expected)).toBeLessThanOrEqual(1e-4);
  });

  it('hand a request that names a shared-memory region to the main thread, which owns the regions', async () => {
    const image = knownImages[2];
    await writeFile(`/dev/shm${SHM_KEY}`, new Uint8Array(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength));
    const post = (path: string, body: unknown) => fetch(`${backend.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/v2/systemsharedmemory/region/PIX/register', { key: SHM_KEY, offset: 0, byte_size: image.pixels.byteLength })).status).toBe(200);
    const res = await post('/v2/models/siglip_vision/infer', {
      inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { shared_memory_region: 'PIX', shared_memory_byte_size: image.pixels.byteLength } }],
    });
    expect(res.status).toBe(200);
    expect(maxAbsDiff((await res.json()).outputs[0].data, image.expected)).toBeLessThanOrEqual(1e-4);
    expect((await post('/v2/systemsharedmemory/region/PIX/unregister', {})).status).toBe(200);
    expect(await readFile(`/dev/shm${SHM_KEY}`)).toHaveLength(image.pixels.byteLength);
  });

  it('require the token on the threads as on the main thread', async () => {
    const image = knownImages[0];
    const refused = await jsonInfer(guarded.url, image.pixels);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error).toEqual(expect.any(String));
    const accepted = await jsonInfer(guarded.url, image.pixels, { 'x-siglip-gateway-token': TOKEN });
    expect(accepted.status).toBe(200);
    expect(maxAbsDiff((await accepted.json()).outputs[0].data, image.expected)).toBeLessThanOrEqual(1e-4);
  });

  it('finish the requests they hold when the backend closes', async () => {
    // The requests wait in the batcher (a 2 s queue delay), so they are surely accepted and in flight at close.
    const repo = await TempRepository.create();
    await repo.addModel('siglip_vision', (c) => {
      c.dynamic_batching.preferred_batch_size = [];
      c.dynamic_batching.max_queue_delay_microseconds = 2e6;
    });
    const draining = await startTestBackend({ httpThreads: THREADS, modelRepository: repo.dir });
    try {
      const model = draining.models.get('siglip_vision') as OnnxModel;
      const requests = knownImages.map((image, k) => jsonInfer(draining.url, image.pixels).then(async (res) => ({ k, status: res.status, body: await res.json() })));
      await vi.waitFor(() => expect(model.batcher.pending).toBe(knownImages.length), { timeout: 30_000, interval: 10 });
      await draining.close();
      for (const r of await Promise.all(requests)) {
        expect(r.status).toBe(200);
        expect(maxAbsDiff(r.body.outputs[0].data, knownImages[r.k].expected)).toBeLessThanOrEqual(1e-4);
      }
      // No copy of the listening socket is left open (the threads' spares are closed too): the port refuses.
      await expect(fetch(`${draining.url}/v2/health/ready`).catch((e: Error & { cause?: { code?: string } }) => e.cause?.code)).resolves.toBe('ECONNREFUSED');
    } finally {
      await repo.remove();
    }
  });
});
