import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ByteBudget } from '../../gpu-backend/http/byteBudget';
import type { Backend } from '../../gpu-backend/server';
import { jsonPixelRequest, startTestBackend } from '../helpers/backend';
import { maxAbsDiff } from '../helpers/fixtures';
import { knownImages } from '../helpers/visionRequests';

describe('ByteBudget', () => {
  it('admits bodies up to its capacity, queues the rest in order, and refuses past the waiting limit', async () => {
    const budget = new ByteBudget(100, 2);
    const a = await budget.acquire(60);
    const order: string[] = [];
    const b = budget.acquire(60).then((release) => (order.push('b'), release));
    const c = budget.acquire(30).then((release) => (order.push('c'), release));
    await expect(budget.acquire(10)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(budget.inUse).toBe(60);
    a();
    (await b)();
    (await c)();
    expect(order).toEqual(['b', 'c']);
    expect(budget.inUse).toBe(0);
  });

  it('admits a body larger than the whole budget alone, rather than never', async () => {
    const budget = new ByteBudget(100, 4);
    const release = await budget.acquire(1_000);
    expect(budget.inUse).toBe(100);
    release();
    release(); // releasing twice is harmless
    expect(budget.inUse).toBe(0);
  });
});

describe('admission control over HTTP', () => {
  let backend: Backend | undefined;
  afterEach(() => backend?.close());

  it('holds at most the configured body bytes at once: past it requests wait or get 503, and each gets exactly one answer', async () => {
    const body = Buffer.from(jsonPixelRequest(knownImages[0].pixels, 1));
    // Room for two bodies being read at once, and four waiting.
    backend = await startTestBackend({ maxInflightBodyBytes: 2 * body.length, maxWaitingBodies: 4 });
    const { port } = new URL(backend.url);
    // Six clients send their headers and hold their bodies back: two take the budget, four wait.
    const held = Array.from({ length: 6 }, () => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.write(`POST /v2/models/siglip_vision/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
      const reply = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d) => (text += d));
        socket.on('close', () => resolve(text));
      });
      return { socket, reply };
    });
    while (backend.admission.inUse < 2 * body.length || backend.admission.waiting < 4) await new Promise((r) => setImmediate(r));

    // Everyone else is refused at once, without waiting for the held bodies.
    const refused = await Promise.all(
      Array.from({ length: 5 }, () => fetch(`${backend!.url}/v2/models/siglip_vision/infer`, { method: 'POST', body }).then(async (r) => ({ status: r.status, json: await r.json() }))),
    );
    for (const r of refused) expect(r).toEqual({ status: 503, json: { error: expect.stringMatching(/overloaded/) } });
    // /v1/embeddings bodies count against the same budget.
    const embeddings = await fetch(`${backend.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ input: 'a cat' }) });
    expect(embeddings.status).toBe(503);
    expect(backend.admission.inUse).toBeLessThanOrEqual(2 * body.length);

    // The held clients finish their bodies: each gets exactly one answer, the right one.
    for (const h of held) h.socket.write(body);
    const replies = await Promise.all(held.map((h) => h.reply));
    for (const text of replies) {
      expect(text.slice(0, 12)).toBe('HTTP/1.1 200');
      expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
      const json = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
      expect(maxAbsDiff(json.outputs[0].data, knownImages[0].expected)).toBeLessThanOrEqual(1e-4);
    }
    expect(backend.admission.inUse).toBe(0);
  });
});
