import { connect } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OnnxModel } from '../../gpu-backend/models/onnxModel';
import { startBackend } from '../../gpu-backend/server';
import { jsonPixelRequest } from '../helpers/backend';
import { spawnBackend, type BackendProcess } from '../helpers/backendProcess';
import { maxAbsDiff } from '../helpers/fixtures';
import { gatedRunner, runnerGate } from '../helpers/runnerGate';
import { TempRepository } from '../helpers/tempRepository';
import { rawPost } from '../helpers/rawPost';
import { inferImage, knownImages, modelStats, visionBinaryRequest } from '../helpers/visionRequests';


const WAIT = { timeout: 30_000, interval: 5 };
const REQUESTS = 20;
const QUEUE_DELAY_S = 5;

/** Opens a fresh TCP connection (never a pooled keep-alive one): 'connected' or the error code. */
function connectOutcome(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** Sends image k, over the binary extension or (every fourth) as the Python client's JSON. */
async function send(url: string, k: number): Promise<{ k: number; status: number; embedding?: ArrayLike<number> }> {
  const { pixels } = knownImages[k % knownImages.length];
  if (k % 4 !== 3) return { k, ...(await inferImage(url, pixels)) };
  const res = await fetch(`${url}/v2/models/siglip_vision/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: jsonPixelRequest(pixels, 1) });
  return res.status === 200 ? { k, status: 200, embedding: (await res.json()).outputs[0].data } : { k, status: res.status };
}

function expectCorrect(results: Array<{ k: number; status: number; embedding?: ArrayLike<number> }>) {
  expect(results).toHaveLength(REQUESTS);
  for (const r of results) {
    expect(r.status).toBe(200);
    expect(maxAbsDiff(r.embedding!, knownImages[r.k % knownImages.length].expected)).toBeLessThanOrEqual(1e-4);
  }
}

describe('Backend.close (what SIGTERM runs)', () => {
  it('refuses new connections at once, finishes every accepted request, then resolves', async () => {
    // The production threaded runner, wrapped by the gate (an injected factory, not a mock).
    const backend = await startBackend({ port: 0, metricsPort: false, providers: ['cpu'], workers: 1, threadedRuntime: true }, pino({ level: 'silent' }), { createRunner: gatedRunner });
    const model = backend.models.get('siglip_vision') as OnnxModel;
    try {
      runnerGate.close();
      const requests = Array.from({ length: REQUESTS }, (_, k) => send(backend.url, k));
      // Every request has reached the batcher: dispatched (counted in queue stats) or waiting in its queue.
      await vi.waitFor(async () => expect((await modelStats(backend.url)).inference_stats.queue.count + model.batcher.pending).toBe(REQUESTS), WAIT);
      expect(runnerGate.active).toBe(1);

      let closed = false;
      const closing = backend.close().then(() => (closed = true));
      expect(await connectOutcome(backend.url)).toBe('ECONNREFUSED');
      expect(closed).toBe(false);

      runnerGate.open();
      expectCorrect(await Promise.all(requests));
      await closing;
    } finally {
      runnerGate.open();
      await backend.close();
    }
  });
});

describe('siglip backend CLI on SIGTERM', () => {
  let repo: TempRepository;
  let backend: BackendProcess;
  beforeAll(async () => {
    // Requests wait in the batcher for up to QUEUE_DELAY_S: the process stays responsive (onnxruntime-node computes
    // on the event loop, so nothing else is answered while a batch runs) and the requests are surely in flight at
    // SIGTERM.
    repo = await TempRepository.create();
    await repo.addModel('siglip_vision', (c) => {
      c.dynamic_batching.preferred_batch_size = [];
      c.dynamic_batching.max_queue_delay_microseconds = QUEUE_DELAY_S * 1e6;
    });
    backend = await spawnBackend(['--model-repository', repo.dir, '--providers', 'cpu', '--workers', '1']);
  });
  afterAll(async () => {
    await backend?.kill();
    await repo?.remove();
  });

  it('stops accepting, finishes every accepted request with its own embedding, then exits 0', async () => {
    const { url } = backend;
    const infer = `${url}/v2/models/siglip_vision/infer`;
    // Bodies are built first so that all twenty arrive well within the queue delay.
    const bodies = Array.from({ length: REQUESTS }, (_, k) => {
      const { pixels } = knownImages[k % knownImages.length];
      return k % 4 === 3 ? { body: jsonPixelRequest(pixels, 1), headers: { 'content-type': 'application/json' } } : visionBinaryRequest(pixels);
    });
    let answered = 0;
    const exchanges = bodies.map((b) => rawPost(infer, b.body, b.headers));
    const results = exchanges.map((e, k) =>
      e.response.then((res) => {
        answered++;
        return { k, status: res.status, embedding: embeddingOf(res) };
      }),
    );
    await Promise.all(exchanges.map((e) => e.uploaded));
    // One round trip after the last upload: the server has read every request by the time it answers this.
    expect((await fetch(`${url}/v2/health/live`)).status).toBe(200);

    expect(answered).toBe(0);
    backend.child.kill('SIGTERM');
    await backend.waitForStderr(/SIGTERM: finishing accepted requests/);
    // The line is written just before the listener closes; from then on new connections are refused.
    await vi.waitFor(async () => expect(await connectOutcome(url)).toBe('ECONNREFUSED'), WAIT);

    expectCorrect(await Promise.all(results));
    expect(await backend.exited).toEqual({ code: 0, signal: null });
    expect(backend.logs.map((l) => l.msg)).toContain('backend stopped');
  });
});

/** The embedding in a raw infer response, binary or JSON. */
function embeddingOf(res: { status: number; headers: Record<string, unknown>; body: Buffer }): ArrayLike<number> | undefined {
  if (res.status !== 200) return undefined;
  const headerLength = res.headers['inference-header-content-length'];
  if (headerLength === undefined) return JSON.parse(res.body.toString('utf8')).outputs[0].data;
  const binary = res.body.subarray(Number(headerLength));
  return new Float32Array(binary.buffer.slice(binary.byteOffset, binary.byteOffset + binary.byteLength));
}

describe('siglip backend CLI on SIGTERM when idle', () => {
  it('exits 0 when signalled right after it reports ready', async () => {
    const backend = await spawnBackend(['--providers', 'cpu', '--workers', '1']);
    try {
      backend.child.kill('SIGTERM');
      expect(await backend.exited, 'SIGTERM arrived before the CLI installed its handler: it must be installed before "backend ready"').toEqual({
        code: 0,
        signal: null,
      });
      expect(backend.logs.map((l) => l.msg)).toContain('backend stopped');
    } finally {
      await backend.kill();
    }
  });
});
