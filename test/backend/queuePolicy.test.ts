import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBackend } from '../../gpu-backend/server';
import type { OnnxModel } from '../../gpu-backend/models/onnxModel';
import { maxAbsDiff } from '../helpers/fixtures';
import { captureLogger } from '../helpers/logCapture';
import { trackRequests, TEST_REQUEST_HEADER } from '../helpers/requestTracker';
import { gatedRunner, runnerGate } from '../helpers/runnerGate';
import { TempRepository, type RawModelConfig } from '../helpers/tempRepository';
import { inferImage, knownImages, modelStats } from '../helpers/visionRequests';


const WAIT = { timeout: 20_000, interval: 10 };

interface Outcome {
  status: number;
  embedding?: Float32Array;
  error?: string;
}

/** siglip_vision's config.json with the batching settings under test. */
function batching(opts: {
  maxBatchSize: number;
  maxQueueSize?: number;
  defaultTimeoutUs?: number;
  allowTimeoutOverride?: boolean;
  instances?: number;
}): (c: RawModelConfig) => void {
  return (c) => {
    c.max_batch_size = opts.maxBatchSize;
    c.dynamic_batching = {
      preferred_batch_size: [],
      max_queue_delay_microseconds: 0,
      default_queue_policy: {
        max_queue_size: opts.maxQueueSize ?? 0,
        default_timeout_microseconds: opts.defaultTimeoutUs ?? 0,
        allow_timeout_override: opts.allowTimeoutOverride ?? true,
      },
    };
    c.instance_group = [{ count: opts.instances ?? 1, kind: 'KIND_CPU' }];
  };
}

/** Starts a backend serving only siglip_vision with the given config edit. */
async function startWith(edit: (c: RawModelConfig) => void, logger = pino({ level: 'silent' })) {
  const repo = await TempRepository.create();
  await repo.addModel('siglip_vision', edit);
  // The production threaded runner, wrapped by the gate (an injected factory, not a mock).
  const backend = await startBackend({ port: 0, metricsPort: false, modelRepository: repo.dir, providers: ['cpu'], workers: 1, threadedRuntime: true }, logger, { createRunner: gatedRunner });
  const model = backend.models.get('siglip_vision') as OnnxModel;
  return {
    backend,
    model,
    url: backend.url,
    async stop() {
      runnerGate.open();
      await backend.close();
      await repo.remove();
    },
  };
}

/** Sends image k (of the five known ones) and records the outcome when it arrives. */
function send(url: string, k: number, settled: Outcome[] = [], init: Parameters<typeof inferImage>[2] = {}) {
  return inferImage(url, knownImages[k % knownImages.length].pixels, init).then((r) => {
    settled.push(r);
    return { k, ...r };
  });
}

function expectCorrect(r: { k: number; status: number; embedding?: Float32Array }) {
  expect(r.status).toBe(200);
  expect(maxAbsDiff(r.embedding!, knownImages[r.k % knownImages.length].expected)).toBeLessThanOrEqual(1e-4);
}

/** Holds the only instance busy with one request (at the gate); resolves once it is computing. */
async function holdInstance(url: string): Promise<{ held: Promise<{ k: number } & Outcome> }> {
  runnerGate.close();
  const held = send(url, 0);
  await vi.waitFor(() => expect(runnerGate.active).toBe(1), WAIT);
  return { held };
}

/**
 * With max_batch_size 1: holds the only instance busy, and has one more request staged as its next batch (a
 * busy instance takes a full batch). Whatever comes after waits in the queue.
 */
async function occupy(url: string): Promise<Array<Promise<{ k: number } & Outcome>>> {
  const stagedBefore = (await modelStats(url)).inference_stats.queue.count;
  const { held } = await holdInstance(url);
  const staged = send(url, 1);
  await vi.waitFor(async () => expect((await modelStats(url)).inference_stats.queue.count).toBe(stagedBefore + 2), WAIT);
  return [held, staged];
}

afterEach(() => runnerGate.open());

describe('queue policy: max_queue_size', () => {
  let s: Awaited<ReturnType<typeof startWith>>;
  beforeAll(async () => {
    s = await startWith(batching({ maxBatchSize: 1, maxQueueSize: 2 }));
  });
  afterAll(() => s.stop());

  it('rejects at once with 503 "Exceeds maximum queue size" when the queue is full, and serves the rest', async () => {
    const busy = await occupy(s.url);
    const settled: Outcome[] = [];
    const burst = Array.from({ length: 12 }, (_, i) => send(s.url, i + 2, settled));
    // Two of the twelve fit the queue; the other ten are refused while the instance is still held.
    await vi.waitFor(() => expect(settled.length).toBe(10), WAIT);
    for (const r of settled) expect(r).toEqual({ status: 503, error: 'Exceeds maximum queue size' });
    expect(s.model.batcher.pending).toBe(2);

    runnerGate.open();
    const results = await Promise.all([...busy, ...burst]);
    expect(results).toHaveLength(14);
    const served = results.filter((r) => r.status === 200);
    expect(served).toHaveLength(4);
    served.forEach(expectCorrect);
    expect(results.filter((r) => r.status === 503)).toHaveLength(10);

    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/nv_inference_request_failure\{model="siglip_vision",version="1",reason="queue_full"\} 10\b/);
  });

  it('drops a request whose client went away before dispatch: it is never computed', async () => {
    const before = await modelStats(s.url);
    const busy = await occupy(s.url);
    const tracker = trackRequests(s.backend.server);
    try {
      const abort = new AbortController();
      const leaving = send(s.url, 2, [], { signal: abort.signal, headers: { [TEST_REQUEST_HEADER]: 'leaving' } });
      const staying = send(s.url, 3);
      await vi.waitFor(() => expect(s.model.batcher.pending).toBe(2), WAIT);

      abort.abort();
      await expect(leaving).rejects.toThrow();
      // The server has seen the connection close (its own close handler runs before this listener).
      await vi.waitFor(() => expect(tracker.closed.has('leaving')).toBe(true), WAIT);

      runnerGate.open();
      const results = await Promise.all([...busy, staying]);
      results.forEach(expectCorrect);
      const after = await modelStats(s.url);
      expect(after.inference_count - before.inference_count).toBe(3);
      expect(after.execution_count - before.execution_count).toBe(3);
      expect(after.inference_stats.success.count - before.inference_stats.success.count).toBe(3);
      expect(s.model.batcher.pending).toBe(0);
    } finally {
      tracker.stop();
    }
  });

  it('frees the queue slot of a request whose client went away', async () => {
    const busy = await occupy(s.url);
    const abort = new AbortController();
    const tracker = trackRequests(s.backend.server);
    try {
      const leaving = send(s.url, 2, [], { signal: abort.signal, headers: { [TEST_REQUEST_HEADER]: 'leaving' } });
      const staying = send(s.url, 3);
      await vi.waitFor(() => expect(s.model.batcher.pending).toBe(2), WAIT);
      abort.abort();
      await expect(leaving).rejects.toThrow();
      await vi.waitFor(() => expect(tracker.closed.has('leaving')).toBe(true), WAIT);
      // The queue holds one live request of two allowed: a newcomer must be accepted, not refused as full.
      const enqueue = vi.spyOn(s.model.batcher, 'enqueue');
      const newcomer = send(s.url, 4);
      await vi.waitFor(() => expect(enqueue).toHaveBeenCalledTimes(1), WAIT);
      enqueue.mockRestore();
      runnerGate.open();
      const results = await Promise.all([...busy, staying, newcomer]);
      expect(results[3], 'the newcomer was refused as if the disconnected request still held its queue slot').toMatchObject({ status: 200 });
      results.forEach(expectCorrect);
    } finally {
      tracker.stop();
    }
  });
});

describe('queue policy: timeouts', () => {
  describe('with allow_timeout_override', () => {
    let s: Awaited<ReturnType<typeof startWith>>;
    beforeAll(async () => {
      s = await startWith(batching({ maxBatchSize: 1, allowTimeoutOverride: true }));
    });
    afterAll(() => s.stop());

    it('answers 503 "Request timeout expired" to a request that waits past its parameters.timeout', async () => {
      const before = await modelStats(s.url);
      const busy = await occupy(s.url);
      const settled: Outcome[] = [];
      // 1 µs: expires while the instance is held, so these are answered before the gate opens.
      const timed = [2, 3, 4].map((k) => send(s.url, k, settled, { extra: { parameters: { binary_data_output: true, timeout: 1 } } }));
      const patient = send(s.url, 2, settled, { extra: { parameters: { binary_data_output: true, timeout: 600_000_000 } } });
      await vi.waitFor(() => expect(settled.length).toBe(3), WAIT);
      for (const r of settled) expect(r).toEqual({ status: 503, error: 'Request timeout expired' });
      await Promise.all(timed);

      runnerGate.open();
      (await Promise.all([...busy, patient])).forEach(expectCorrect);
      const after = await modelStats(s.url);
      expect(after.inference_count - before.inference_count).toBe(3);
      expect(after.inference_stats.fail.count - before.inference_stats.fail.count).toBe(3);
    });

    it('answers 400 to a timeout parameter that is not a number of microseconds', async () => {
      const r = await inferImage(s.url, knownImages[0].pixels, { extra: { parameters: { timeout: 'soon' } } });
      expect(r.status).toBe(400);
      expect(r.error).toMatch(/timeout/);
    });
  });

  describe('without allow_timeout_override', () => {
    let s: Awaited<ReturnType<typeof startWith>>;
    beforeAll(async () => {
      // 100 ms: the held and staged requests leave the queue at once; the others expire while the gate is shut.
      s = await startWith(batching({ maxBatchSize: 1, defaultTimeoutUs: 100_000, allowTimeoutOverride: false }));
    });
    afterAll(() => s.stop());

    it('applies default_timeout_microseconds and ignores a longer parameters.timeout', async () => {
      const busy = await occupy(s.url);
      const settled: Outcome[] = [];
      const asksLonger = send(s.url, 2, settled, { extra: { parameters: { binary_data_output: true, timeout: 600_000_000 } } });
      const plain = send(s.url, 3, settled);
      await vi.waitFor(() => expect(settled.length).toBe(2), WAIT);
      for (const r of settled) expect(r).toEqual({ status: 503, error: 'Request timeout expired' });
      await Promise.all([asksLonger, plain]);
      runnerGate.open();
      (await Promise.all(busy)).forEach(expectCorrect);
    });
  });
});

describe('dynamic batching and instances', () => {
  it('batches the requests that queued behind a busy instance: fewer executions than inferences', async () => {
    const s = await startWith(batching({ maxBatchSize: 8 }));
    try {
      const before = await modelStats(s.url);
      const { held } = await holdInstance(s.url);
      // Seven rows are not a full batch, so they wait for the instance rather than being staged.
      const waiting = Array.from({ length: 7 }, (_, i) => send(s.url, i + 1));
      await vi.waitFor(() => expect(s.model.batcher.pending).toBe(7), WAIT);
      runnerGate.open();
      (await Promise.all([held, ...waiting])).forEach(expectCorrect);

      const after = await modelStats(s.url);
      expect(after.inference_count - before.inference_count).toBe(8);
      expect(after.execution_count - before.execution_count).toBe(2);
      expect(after.batch_stats.find((b: { batch_size: number }) => b.batch_size === 7)?.compute_infer.count).toBe(1);
    } finally {
      await s.stop();
    }
  });

  it('stages a full batch behind a busy instance and runs it next', async () => {
    const s = await startWith(batching({ maxBatchSize: 4 }));
    try {
      const before = await modelStats(s.url);
      const { held } = await holdInstance(s.url);
      const full = Array.from({ length: 4 }, (_, i) => send(s.url, i + 1));
      const rest = Array.from({ length: 2 }, (_, i) => send(s.url, i + 5));
      await vi.waitFor(async () => expect((await modelStats(s.url)).inference_stats.queue.count - before.inference_stats.queue.count).toBe(5), WAIT);
      await vi.waitFor(() => expect(s.model.batcher.pending).toBe(2), WAIT);
      runnerGate.open();
      (await Promise.all([held, ...full, ...rest])).forEach(expectCorrect);
      const after = await modelStats(s.url);
      expect(after.inference_count - before.inference_count).toBe(7);
      expect(after.execution_count - before.execution_count).toBe(3);
    } finally {
      await s.stop();
    }
  });

  it('runs instance_group count 2 as two sessions, each taking a batch', async () => {
    const { logger, lines } = captureLogger();
    const s = await startWith(batching({ maxBatchSize: 1, instances: 2 }), logger);
    try {
      const config = await (await fetch(`${s.url}/v2/models/siglip_vision/config`)).json();
      expect(config.instance_group).toMatchObject([{ count: 2, kind: 'KIND_CPU' }]);
      expect(lines.find((l) => l.msg === 'model loaded')).toMatchObject({ model: 'siglip_vision', instances: 2, provider: 'cpu' });

      runnerGate.close();
      const both = [send(s.url, 0), send(s.url, 1)];
      // With one session the second request would wait in the queue; with two, each session takes one.
      await vi.waitFor(() => expect(runnerGate.busyRunners.size).toBe(2), WAIT);
      runnerGate.open();
      (await Promise.all(both)).forEach(expectCorrect);
    } finally {
      await s.stop();
    }
  });
});
