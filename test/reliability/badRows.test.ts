/**
 * Issue 11, defect 3: one bad token id used to fail every request batched with it, across tenants, with a 500
 * that named ONNX Runtime's graph nodes; negative ids wrapped to other tokens. Now ids are range-checked before
 * they are queued, and a batch that fails anyway is retried row by row so only the bad row fails.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBackend, type Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { captureLogger } from '../helpers/logCapture';
import { gatedRunner, runnerGate } from '../helpers/runnerGate';
import { TempRepository } from '../helpers/tempRepository';


const ids = (first: number) => [first, ...new Array(63).fill(1)];
const post = (url: string, data: number[]) =>
  fetch(`${url}/v2/models/siglip_text/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'INPUT_IDS', shape: [1, 64], datatype: 'INT64', data }] }),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

describe('token ids out of the vocabulary', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await startTestBackend();
  });
  afterAll(() => backend.close());

  it.each([32000, 99_999_999, -1])('answers 400 to id %d, naming the range, before it reaches a batch', async (id) => {
    expect(await post(backend.url, ids(id))).toEqual({
      status: 400,
      body: { error: `INPUT_IDS: value ${id} at element 0 is outside [0, 31999], the model's range (for token ids: its vocabulary)` },
    });
    expect((await post(backend.url, ids(31999))).status).toBe(200);
  });

  it('serves the range in the model config, so the gateway applies the same check', async () => {
    const config = await (await fetch(`${backend.url}/v2/models/siglip_text/config`)).json();
    expect(config.parameters.value_range).toEqual({ string_value: '{"INPUT_IDS":[0,31999]}' });
  });
});

describe('a batch that fails', () => {
  let backend: Backend;
  let repo: TempRepository;
  const { logger, lines } = captureLogger('error');
  beforeAll(async () => {
    // Without value_range the bad id reaches ONNX Runtime, whose Gather fails for the whole batch.
    repo = await TempRepository.create();
    await repo.addModel('siglip_text', (c) => {
      delete c.parameters.value_range;
      c.dynamic_batching.max_queue_delay_microseconds = 0;
      c.dynamic_batching.preferred_batch_size = [];
    });
    backend = await startBackend({ port: 0, metricsPort: false, modelRepository: repo.dir, providers: ['cpu'], workers: 1, threadedRuntime: true }, logger, { createRunner: gatedRunner });
  });
  afterAll(async () => {
    runnerGate.open();
    await backend.close();
    await repo.remove();
  });

  it('is retried row by row: only the bad row fails, with a generic 500, and its neighbours get their embeddings', async () => {
    const alone = await post(backend.url, ids(5));
    expect(alone.status).toBe(200);
    // Hold the instance on a first request so the next six queue up and run as one batch.
    runnerGate.close();
    const first = post(backend.url, ids(7));
    await vi.waitFor(() => expect(runnerGate.active).toBe(1), { timeout: 20_000 });
    const batch = [post(backend.url, ids(5)), post(backend.url, ids(5)), post(backend.url, ids(40_000)), post(backend.url, ids(5)), post(backend.url, ids(5))];
    await vi.waitFor(() => expect(backend.models.get('siglip_text')!.stats.toJSON('siglip_text', '1').inference_stats.queue.count).toBeGreaterThanOrEqual(1), { timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 200));
    runnerGate.open();
    expect((await first).status).toBe(200);
    const results = await Promise.all(batch);
    for (const [i, r] of results.entries()) {
      if (i === 2) {
        expect(r.status).toBe(500);
        // The detail (ONNX Runtime's message) goes to the log, not to the client.
        expect(r.body.error).toMatch(/^internal error \(request id [\w-]+\); the server log has the details$/);
      } else {
        expect(r.status).toBe(200);
        expect(r.body.outputs[0].data).toEqual(alone.body.outputs[0].data);
      }
    }
    expect(lines.some((l) => /onnxruntime failed/.test(JSON.stringify(l)))).toBe(true);
  });
});
