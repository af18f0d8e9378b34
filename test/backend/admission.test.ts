import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../../gpu-backend/batching/dynamicBatcher';
import { ByteBudget } from '../../gpu-backend/http/byteBudget';
import type { Backend } from '../../gpu-backend/server';
import { jsonPixelRequest, startTestBackend } from '../helpers/backend';
import { maxAbsDiff } from '../helpers/fixtures';
import { knownImages } from '../helpers/visionRequests';

describe('ByteBudget', () => {
  it('takes bytes up to its capacity, queues the rest in order, and refuses past the waiting limit', async () => {
    const budget = new ByteBudget({ capacity: 100, maxWaiting: 2 });
    const [a, b, c, d] = [0, 1, 2, 3].map(() => budget.reader());
    expect(a.tryTake(60)).toBe(true);
    a.markComplete();
    const order: string[] = [];
    const bWait = b.take(60).then(() => order.push('b'));
    const cWait = c.take(30).then(() => order.push('c'));
    // FIFO: c would fit, but b waits before it.
    expect(d.tryTake(10)).toBe(false);
    await expect(d.take(10)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
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

  it('lets one read larger than the whole budget go alone', () => {
    const budget = new ByteBudget({ capacity: 100, maxWaiting: 4 });
    const [a, b] = [budget.reader(), budget.reader()];
    expect(a.tryTake(1_000)).toBe(true);
    expect(b.tryTake(1)).toBe(false);
    a.release();
    expect(budget.inUse).toBe(0);
  });

  it('drops a waiter whose signal aborts, and admits the one behind it', async () => {
    const budget = new ByteBudget({ capacity: 100, maxWaiting: 4 });
    const holder = budget.reader();
    holder.tryTake(90);
    holder.markComplete();
    const gone = new AbortController();
    const first = budget.reader(gone.signal).take(50);
    const second = budget.reader().take(10);
    gone.abort();
    await expect(first).rejects.toBeInstanceOf(CancelledError);
    await second;
    expect(budget.waiting).toBe(0);
    expect(budget.inUse).toBe(100);
  });

  it('refuses the youngest waiting body when partial bodies fill the budget and none can complete', async () => {
    const budget = new ByteBudget({ capacity: 100, maxWaiting: 8 });
    const [old, mid, young] = [0, 1, 2].map(() => budget.reader());
    old.tryTake(40);
    mid.tryTake(40);
    young.tryTake(20);
    // One waiter alone may be waiting on bodies that are still arriving: it waits.
    const youngWait = young.take(30);
    expect(budget.waiting).toBe(1);
    // A second: every body now waits and none is complete, so nothing would ever come back.
    const oldWait = old.take(30);
    await expect(youngWait).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/so that earlier ones can finish/) });
    expect(budget.inUse).toBe(80);
    const midWait = mid.take(30);
    await expect(midWait).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await oldWait;
    expect(budget.inUse).toBe(70);
    // Their own later release() finds nothing left to give back.
    mid.release();
    young.release();
    expect(budget.inUse).toBe(70);
    old.release();
    expect(budget.inUse).toBe(0);
  });

  it('refuses a read that waited past maxWaitMs with 503', async () => {
    vi.useFakeTimers();
    try {
      const budget = new ByteBudget({ capacity: 10, maxWaiting: 4, maxWaitMs: 1_000 });
      const holder = budget.reader();
      holder.tryTake(10);
      holder.markComplete();
      const waiting = budget.reader().take(5);
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

  it('holds at most the configured bytes of bodies at once, and each request gets exactly one answer: the right one, or 503', async () => {
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
        socket.on('data', (d) => (text += d));
        socket.on('close', () => resolve(text));
      });
      return { socket, reply };
    });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, backend!.admission.inUse)), 2);
    while (backend.admission.inUse < capacity - body.length) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 300));
    for (const h of held) if (!h.socket.destroyed) h.socket.write(body.subarray(body.length - 1));
    const replies = await Promise.all(held.map((h) => h.reply));
    clearInterval(sampler);
    // A chunk is at most 64 KiB: the budget never holds more than its capacity plus one.
    expect(peak).toBeLessThanOrEqual(capacity + 64 * 1024);
    let ok = 0;
    for (const text of replies) {
      expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
      const json = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
      if (text.startsWith('HTTP/1.1 200')) {
        ok++;
        expect(maxAbsDiff(json.outputs[0].data, knownImages[0].expected)).toBeLessThanOrEqual(1e-4);
      } else {
        expect(text.slice(0, 12)).toBe('HTTP/1.1 503');
        expect(json.error).toMatch(/^Server overloaded: /);
      }
    }
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(backend.admission.inUse).toBe(0);
  });
});
