/**
 * The rules gRPC shares with HTTP: a call cancelled before dispatch leaves no work; the gateway token as
 * metadata (health exempt); start-up and shutdown answers, and draining on close; the receive limit; the one
 * admission budget. Executions are held at a gate (test/helpers/runnerGate.ts), so every step follows from the
 * order of events, never from how fast the machine is.
 */
import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import { connect } from 'node:net';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OnnxModel } from '../../gpu-backend/models/onnxModel';
import { defaultRunnerFactory, type RunnerFactory } from '../../gpu-backend/runtime/createRunners';
import { startBackend, type Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { maxAbsDiff } from '../helpers/fixtures';
import { captureLogger } from '../helpers/logCapture';
import { gatedRunner, runnerGate } from '../helpers/runnerGate';
import { TempRepository } from '../helpers/tempRepository';
import { IMAGE, knownImages, modelStats, visionBinaryRequest } from '../helpers/visionRequests';
import { BackendGrpcClient, rawFloats, visionRequest } from './support/grpcClient';

const WAIT = { timeout: 30_000, interval: 10 };

afterEach(() => runnerGate.open());

/** A backend serving only siglip_vision, max_batch_size 1, one instance behind the gate. */
async function gatedBackend(): Promise<{ backend: Backend; model: OnnxModel; repo: TempRepository }> {
  const repo = await TempRepository.create();
  await repo.addModel('siglip_vision', (c) => {
    c.max_batch_size = 1;
    c.dynamic_batching = { preferred_batch_size: [], max_queue_delay_microseconds: 0, default_queue_policy: { max_queue_size: 0, default_timeout_microseconds: 0, allow_timeout_override: true } };
    c.instance_group = [{ count: 1, kind: 'KIND_CPU' }];
  });
  const backend = await startBackend({ port: 0, metricsPort: false, modelRepository: repo.dir, providers: ['cpu'], workers: 1, threadedRuntime: true }, pino({ level: 'silent' }), { createRunner: gatedRunner });
  return { backend, model: backend.models.get('siglip_vision') as OnnxModel, repo };
}

const infer = (client: BackendGrpcClient, k: number, o: Parameters<BackendGrpcClient['call']>[2] = {}) => client.call('ModelInfer', visionRequest(knownImages[k].pixels, { id: String(k) }), o);

function expectEmbedding(answer: Awaited<ReturnType<typeof infer>>, k: number): void {
  expect(answer.ok, answer.ok ? '' : `${grpc.status[answer.code]} ${answer.details}`).toBe(true);
  if (answer.ok) expect(maxAbsDiff(rawFloats(answer.response), knownImages[k].expected)).toBeLessThanOrEqual(1e-4);
}

describe('a call cancelled before dispatch', () => {
  let s: Awaited<ReturnType<typeof gatedBackend>>;
  let client: BackendGrpcClient;
  beforeAll(async () => {
    s = await gatedBackend();
    client = new BackendGrpcClient(s.backend.grpcUrl!);
  });
  afterAll(async () => {
    client?.close();
    runnerGate.open();
    await s?.backend.close();
    await s?.repo.remove();
  });

  it('is dropped from the queue and never computed; the next call is served', async () => {
    const before = await modelStats(s.backend.url);
    runnerGate.close();
    const held = infer(client, 0);
    await vi.waitFor(() => expect(runnerGate.active).toBe(1), WAIT);
    // A busy instance takes a full batch next: this one is staged, whatever comes after waits in the queue.
    const staged = infer(client, 1);
    await vi.waitFor(async () => expect((await modelStats(s.backend.url)).inference_stats.queue.count).toBe(before.inference_stats.queue.count + 2), WAIT);
    const abort = new AbortController();
    const leaving = infer(client, 2, { signal: abort.signal });
    await vi.waitFor(() => expect(s.model.batcher.pending).toBe(1), WAIT);

    abort.abort();
    expect(await leaving).toMatchObject({ ok: false, code: grpc.status.CANCELLED });
    // The server saw the cancel: the request left the queue without running.
    await vi.waitFor(() => expect(s.model.batcher.pending).toBe(0), WAIT);

    runnerGate.open();
    expectEmbedding(await held, 0);
    expectEmbedding(await staged, 1);
    const after = await modelStats(s.backend.url);
    expect(after.inference_count - before.inference_count).toBe(2);
    expect(after.execution_count - before.execution_count).toBe(2);
    expectEmbedding(await infer(client, 3), 3);
  });
});

describe('--require-token over gRPC', () => {
  const TOKEN = 'grpc-token-0123456789abcdef';
  let backend: Backend;
  let client: BackendGrpcClient;
  beforeAll(async () => {
    backend = await startTestBackend({ requireToken: TOKEN });
    client = new BackendGrpcClient(backend.grpcUrl!);
  });
  afterAll(async () => {
    client?.close();
    await backend?.close();
  });

  it('refuses calls without the x-siglip-gateway-token metadata, or with a wrong one, with UNAUTHENTICATED', async () => {
    const refused = { code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong x-siglip-gateway-token metadata' };
    expect(await client.fails('ModelMetadata', { name: 'siglip_vision' })).toEqual(refused);
    expect(await client.fails('ModelInfer', visionRequest(knownImages[0].pixels), { metadata: { 'x-siglip-gateway-token': `${TOKEN}x` } })).toEqual(refused);
    expect(await client.fails('ModelInfer', visionRequest(knownImages[0].pixels), { metadata: { 'x-siglip-gateway-token': TOKEN.slice(1) } })).toEqual(refused);
    // The same secret as HTTP's header.
    expect((await fetch(`${backend.url}/v2/models/siglip_vision`)).status).toBe(401);
  });

  it('serves calls with the token', async () => {
    expectEmbedding(await infer(client, 1, { metadata: { 'x-siglip-gateway-token': TOKEN } }), 1);
    expect(await client.ok('ModelMetadata', { name: 'siglip_vision' }, { metadata: { 'x-siglip-gateway-token': TOKEN } })).toMatchObject({ name: 'siglip_vision' });
  });

  it('answers health without it, as /v2/health/* over HTTP', async () => {
    expect(await client.ok('Check', {}, { service: 'health' })).toEqual({ status: 'SERVING' });
    expect(await client.ok('ServerLive', {})).toEqual({ live: true });
    expect(await client.ok('ServerReady', {})).toEqual({ ready: true });
  });
});

describe('start-up', () => {
  it('opens the port before the models load: live and health answer, the rest is UNAVAILABLE "Server is starting"', async () => {
    let release!: () => void;
    const loading = new Promise<void>((resolve) => (release = resolve));
    const slow: RunnerFactory = async (o, e) => {
      await loading;
      return defaultRunnerFactory(true)(o, e);
    };
    const { logger, lines } = captureLogger('info');
    const started = startBackend({ port: 0, metricsPort: false, providers: ['cpu'], workers: 1 }, logger, { createRunner: slow });
    await vi.waitFor(() => expect(lines.some((l) => l.msg === 'gRPC listening')).toBe(true), WAIT);
    const client = new BackendGrpcClient(lines.find((l) => l.msg === 'gRPC listening')!.url);
    try {
      expect(await client.ok('ServerLive', {})).toEqual({ live: true });
      expect(await client.ok('ServerReady', {})).toEqual({ ready: false });
      expect(await client.ok('Check', {}, { service: 'health' })).toEqual({ status: 'NOT_SERVING' });
      expect(await client.fails('ModelMetadata', { name: 'siglip_vision' })).toEqual({ code: grpc.status.UNAVAILABLE, details: 'Server is starting: models are loading; retry shortly' });
      release();
      const backend = await started;
      expect(await client.ok('ServerReady', {})).toEqual({ ready: true });
      expect(await client.ok('Check', {}, { service: 'health' })).toEqual({ status: 'SERVING' });
      await backend.close();
    } finally {
      release();
      client.close();
    }
  });
});

describe('Backend.close (SIGTERM) drains gRPC', () => {
  it('takes no new inference, ends health watches, lets the calls in flight finish, then closes the port', async () => {
    const s = await gatedBackend();
    const client = new BackendGrpcClient(s.backend.grpcUrl!);
    try {
      const before = await modelStats(s.backend.url);
      runnerGate.close();
      const held = infer(client, 0);
      await vi.waitFor(() => expect(runnerGate.active).toBe(1), WAIT);
      // Staged as the next batch (dispatched, counted in the queue statistics), not yet computed.
      const queued = infer(client, 1);
      await vi.waitFor(async () => expect((await modelStats(s.backend.url)).inference_stats.queue.count).toBe(before.inference_stats.queue.count + 2), WAIT);
      const watch = client.health.Watch({}) as grpc.ClientReadableStream<{ status: string }>;
      const statuses: string[] = [];
      const watchEnded = new Promise<void>((resolve, reject) => {
        watch.on('data', (m) => statuses.push(m.status));
        watch.on('end', resolve);
        watch.on('error', reject);
      });
      await vi.waitFor(() => expect(statuses).toEqual(['SERVING']), WAIT);

      let closed = false;
      const closing = s.backend.close().then(() => (closed = true));
      await watchEnded;
      expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
      expect(await client.fails('ModelInfer', visionRequest(knownImages[2].pixels))).toEqual({ code: grpc.status.UNAVAILABLE, details: 'Server is shutting down' });
      expect(await client.ok('ServerLive', {})).toEqual({ live: false });
      expect(closed).toBe(false);

      runnerGate.open();
      expectEmbedding(await held, 0);
      expectEmbedding(await queued, 1);
      await closing;
      const { hostname, port } = new URL(`http://${s.backend.grpcUrl!}`);
      const refused = await new Promise<string>((resolve) => {
        const socket = connect({ host: hostname, port: Number(port) });
        socket.once('connect', () => (socket.destroy(), resolve('connected')));
        socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
      expect(refused).toBe('ECONNREFUSED');
    } finally {
      runnerGate.open();
      client.close();
      await s.backend.close();
      await s.repo.remove();
    }
  });
});

describe('limits', () => {
  let repo: TempRepository;
  let backend: Backend;
  let client: BackendGrpcClient;
  beforeAll(async () => {
    // A batch of one image (1.77 MB) is the largest siglip_vision message; the HTTP body limit is 2 MiB.
    repo = await TempRepository.create();
    await repo.addModel('siglip_vision', (c) => (c.max_batch_size = 1));
    backend = await startTestBackend({ modelRepository: repo.dir, maxBodyBytes: 2 * 1024 * 1024, maxInflightBodyBytes: 2 * 1024 * 1024, maxWaitingBodies: 0 });
    client = new BackendGrpcClient(backend.grpcUrl!);
  });
  afterAll(async () => {
    client?.close();
    await backend?.close();
    await repo?.remove();
  });

  it('refuses a message over the receive limit with RESOURCE_EXHAUSTED, and goes on serving on the same channel', async () => {
    const three = new Float32Array(3 * IMAGE);
    const failure = await client.fails('ModelInfer', visionRequest(three));
    expect(failure.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(failure.details).toMatch(/larger than max/i);
    expectEmbedding(await infer(client, 0), 0);
  });

  it('announces HTTP/2 windows that let a client send an image without waiting (grpcServer.ts widenFlowControl)', async () => {
    const session = http2.connect(`http://${backend.grpcUrl!}`);
    try {
      // The server's first SETTINGS frame is nghttp2's defaults; the raised ones follow in a second.
      await vi.waitFor(() => expect(session.remoteSettings.initialWindowSize).toBeGreaterThanOrEqual(IMAGE * 4), WAIT);
      expect(session.remoteSettings.maxFrameSize).toBeGreaterThan(16_384);
    } finally {
      session.close();
    }
  });

  it('shares the admission budget with HTTP bodies: refused with UNAVAILABLE while an upload holds it, served once it is given back', async () => {
    // An HTTP upload that has sent half its body holds its declared length of the budget.
    const req = visionBinaryRequest(knownImages[0].pixels);
    const { hostname, port } = new URL(backend.url);
    const socket = connect({ host: hostname, port: Number(port) });
    await new Promise((resolve) => socket.once('connect', resolve));
    const head = ['POST /v2/models/siglip_vision/infer HTTP/1.1', `Host: ${hostname}`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${req.body.length}`, '', ''];
    socket.write(head.join('\r\n'));
    socket.write(req.body.subarray(0, req.body.length >> 1));
    try {
      await vi.waitFor(() => expect(backend.admission.inUse).toBeGreaterThan(0), WAIT);
      const failure = await client.fails('ModelInfer', visionRequest(knownImages[1].pixels));
      expect(failure).toEqual({ code: grpc.status.UNAVAILABLE, details: 'Server overloaded: too many request bodies waiting to be read; retry later' });
    } finally {
      socket.destroy();
    }
    await vi.waitFor(() => expect(backend.admission.inUse).toBe(0), WAIT);
    expectEmbedding(await infer(client, 1), 1);
  });
});
