import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../../gpu-backend/batching/dynamicBatcher';
import { ByteBudget } from '../../gpu-backend/http/body/byteBudget';
import type { OnnxModel } from '../../gpu-backend/models/onnxModel';
import type { Backend } from '../../gpu-backend/server';
import { jsonPixelRequest, startTestBackend } from '../helpers/backend';
import { maxAbsDiff } from '../helpers/fixtures';
import { TempRepository } from '../helpers/tempRepository';
import { knownImages } from '../helpers/visionRequests';

describe('ByteBudget', () => {
  it('reserves bodies up to its capacity, queues the rest in order, and refuses past the waiting limit', async () => {
    const budget = new ByteBudget({ capacity: 100, maxWaiting: 2 });
    const [a, b, c, d] = [0, 1, 2, 3].map(() => budget.reader());
    await a.reserve(60);
    const order: string[] = [];
    const bWait = b.reserve(60).then(() => order.push('b'));
    const cWait = c.reserve(30).then(() => order.push('c'));
    // FIFO: c would fit, but b waits before it.
    await expect(d.reserve(10)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/too many request bodies waiting/) });
    expect(budget.inUse).toBe(60);
    a.release();
    await Promise.all([bWait, cWait]);
    expect(order).toEqual(['b', 'c']);
    expect(budget.inUse).toBe(90);
    b.release();
    c.release();
    c.release();
    expect(budget.inUse).toBe(0);
  });

  it('lets one body larger than the whole budget go alone', async () => {
    const budget = new ByteBudget({ capacity: 100, maxWaiting: 4 });
    const [a, b] = [budget.reader(), budget.reader()];
    await a.reserve(1_000);
    const waiting = b.reserve(1);
    expect(budget.waiting).toBe(1);
    a.release();
    await waiting;
    b.release();
    expect(budget.inUse).toBe(0);
  });

  it('takes back the unreceived part of a stalled body, so a waiting one can go', async () => {
    const budget = new ByteBudget({ capacity: 100, maxWaiting: 4 });
    const [stalled, next] = [budget.reader(), budget.reader()];
    await stalled.reserve(80);
    const waiting = next.reserve(60);
    // The stalled body had received 5 bytes of its 80.
    stalled.shrink(5);
    await waiting;
    expect(budget.inUse).toBe(65);
    // When it sends again, it waits for its full reservation like anyone else.
    const again = stalled.reserve(80);
    expect(budget.waiting).toBe(1);
    next.release();
    await again;
    expect(budget.inUse).toBe(80);
  });

  it('drops a waiter whose signal aborts, and admits the one behind it', async () => {
    const budget = new ByteBudget({ capacity: 100, maxWaiting: 4 });
    await budget.reader().reserve(90);
    const gone = new AbortController();
    const first = budget.reader(gone.signal).reserve(50);
    const second = budget.reader().reserve(10);
    gone.abort();
    await expect(first).rejects.toBeInstanceOf(CancelledError);
    await second;
    expect(budget.waiting).toBe(0);
    expect(budget.inUse).toBe(100);
  });

  it('refuses a reservation that waited past maxWaitMs with 503', async () => {
    vi.useFakeTimers();
    try {
      const budget = new ByteBudget({ capacity: 10, maxWaiting: 4, maxWaitMs: 1_000 });
      await budget.reader().reserve(10);
      const waiting = budget.reader().reserve(5);
      const settled = expect(waiting).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/within 1000 ms/) });
      vi.advanceTimersByTime(1_000);
      await settled;
      expect(budget.waiting).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('admission control over HTTP', () => {
  let backend: Backend | undefined;
  afterEach(() => backend?.close());

  it('holds at most the configured bytes of bodies at once: the rest wait, and each request gets exactly one answer, the right one', async () => {
    const body = Buffer.from(jsonPixelRequest(knownImages[0].pixels, 1));
    // Room for about two bodies' bytes at once.
    const capacity = 2 * body.length;
    backend = await startTestBackend({ maxInflightBodyBytes: capacity });
    const { port } = new URL(backend.url);
    // Six clients send all of their body but its last byte: more than the budget can hold at once.
    const held = Array.from({ length: 6 }, () => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      socket.write(`POST /v2/models/siglip_vision/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
      socket.write(body.subarray(0, body.length - 1));
      const reply = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('close', () => resolve(text));
      });
      return { socket, reply };
    });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, backend!.admission.inUse)), 2);
    while (backend.admission.waiting < 4) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 300));
    for (const h of held) if (!h.socket.destroyed) h.socket.write(body.subarray(body.length - 1));
    const replies = await Promise.all(held.map((h) => h.reply));
    clearInterval(sampler);
    expect(peak).toBeLessThanOrEqual(capacity);
    for (const text of replies) {
      expect(text.slice(0, 12)).toBe('HTTP/1.1 200');
      expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
      const json = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
      expect(maxAbsDiff(json.outputs[0].data, knownImages[0].expected)).toBeLessThanOrEqual(1e-4);
    }
    expect(backend.admission.inUse).toBe(0);
  });

  it('keeps a decoded request counted at its tensors\' bytes while it waits for its batch, and gives them back once answered', async () => {
    // The requests wait in the batcher (a 2 s queue delay), decoded: their bodies are gone, their tensors are not.
    const repo = await TempRepository.create();
    await repo.addModel('siglip_vision', (c) => {
      c.dynamic_batching.preferred_batch_size = [];
      c.dynamic_batching.max_queue_delay_microseconds = 2e6;
    });
    try {
      backend = await startTestBackend({ modelRepository: repo.dir });
      const model = backend.models.get('siglip_vision') as OnnxModel;
      const url = `${backend.url}/v2/models/siglip_vision/infer`;
      const answers = [0, 1, 2].map((k) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: jsonPixelRequest(knownImages[k].pixels, 1) }).then(async (r) => ({ k, status: r.status, body: await r.json() })));
      await vi.waitFor(() => expect(model.batcher.pending).toBe(3), { timeout: 30_000, interval: 10 });
      expect(backend.admission.inUse).toBe(3 * 3 * 384 * 384 * 4);
      for (const a of await Promise.all(answers)) {
        expect(a.status).toBe(200);
        expect(maxAbsDiff(a.body.outputs[0].data, knownImages[a.k].expected)).toBeLessThanOrEqual(1e-4);
      }
      expect(backend.admission.inUse).toBe(0);
    } finally {
      await backend?.close();
      backend = undefined;
      await repo.remove();
    }
  });
});
