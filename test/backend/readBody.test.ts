import { describe, expect, it, vi } from 'vitest';
import { ByteBudget } from '../../gpu-backend/http/body/byteBudget';
import { readBody } from '../../gpu-backend/http/body/readBody';
import { BodyBufferPool } from '../../shared/http/bodyBufferPool';
import { useIncomingRequests } from '../helpers/incomingRequest';

// The backend's body reader: bytes go straight into a pooled (shared-memory) buffer as they arrive; a body that
// stalls gives that buffer back and keeps only what it received, and still comes out whole and exact.
const clientAndRequest = useIncomingRequests();

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed) & 0xff);

describe('readBody', () => {
  it('reads a declared-length body into a shared pooled buffer, at the lead offset, exactly', async () => {
    const pool = new BodyBufferPool(1 << 26, 1024, true);
    const budget = new ByteBudget({ capacity: 1 << 24, maxWaiting: 4 });
    const body = bytes(300_000, 3);
    const { client, req } = await clientAndRequest({ 'content-length': String(body.length) });
    const reading = readBody(req, { limit: 1 << 24, budget, idleTimeoutMs: 5000, lead: 5, pool });
    client.end(body);
    const got = await reading;
    expect(got.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(got.bytes.byteOffset).toBe(5);
    expect(Buffer.from(got.bytes).equals(Buffer.from(body))).toBe(true);
    expect(budget.inUse).toBe(body.length);
    got.release();
    expect(budget.inUse).toBe(0);
  });

  it('gives its pooled buffer back while stalled, keeps what it received, and still ends whole', async () => {
    const pool = new BodyBufferPool(1 << 26, 1024, true);
    const budget = new ByteBudget({ capacity: 1 << 24, maxWaiting: 4 });
    const body = bytes(200_000, 9);
    const { client, req } = await clientAndRequest({ 'content-length': String(body.length) });
    const reading = readBody(req, { limit: 1 << 24, budget, idleTimeoutMs: 5000, stallMs: 100, pool });
    client.write(body.subarray(0, 70_000));
    await new Promise((r) => setTimeout(r, 400));
    // After the stall only the received bytes stay reserved; the pooled buffer is free again for others.
    expect(budget.inUse).toBeLessThanOrEqual(70_000);
    const other = pool.acquire(200_000);
    pool.release(other);
    client.end(body.subarray(70_000));
    const got = await reading;
    expect(Buffer.from(got.bytes).equals(Buffer.from(body))).toBe(true);
    got.release();
  });

  it('collects a chunked body and copies it once', async () => {
    const budget = new ByteBudget({ capacity: 1 << 24, maxWaiting: 4 });
    const body = bytes(150_000, 1);
    const { client, req } = await clientAndRequest({ 'transfer-encoding': 'chunked' });
    const reading = readBody(req, { limit: 1 << 24, budget, idleTimeoutMs: 5000, pool: new BodyBufferPool(1 << 26, 1024, true) });
    client.write(body.subarray(0, 50_000));
    client.end(body.subarray(50_000));
    const got = await reading;
    expect(Buffer.from(got.bytes).equals(Buffer.from(body))).toBe(true);
  });

  it('takes no buffer while it waits for room in the budget, then the one a finished body gave back', async () => {
    const pool = new BodyBufferPool(1 << 26, 1024, true);
    let acquired = 0;
    const acquire = pool.acquire.bind(pool);
    pool.acquire = (size, offset) => (acquired++, acquire(size, offset));
    const budget = new ByteBudget({ capacity: 300_000, maxWaiting: 4 });
    const a = bytes(200_000, 4);
    const b = bytes(200_000, 5);
    const first = await clientAndRequest({ 'content-length': String(a.length) });
    const readingA = readBody(first.req, { limit: 1 << 24, budget, idleTimeoutMs: 5000, pool });
    first.client.end(a);
    const gotA = await readingA;
    const second = await clientAndRequest({ 'content-length': String(b.length) });
    const readingB = readBody(second.req, { limit: 1 << 24, budget, idleTimeoutMs: 5000, pool });
    second.client.end(b);
    // B has bytes in hand but no room: it waits with its first chunk only.
    await vi.waitFor(() => expect(budget.waiting).toBe(1), { timeout: 10_000, interval: 10 });
    expect(acquired).toBe(1);
    const bufferA = gotA.bytes.buffer;
    pool.release(gotA.bytes);
    gotA.release();
    const gotB = await readingB;
    expect(Buffer.from(gotB.bytes).equals(Buffer.from(b))).toBe(true);
    expect(acquired).toBe(2);
    expect(gotB.bytes.buffer).toBe(bufferA);
    gotB.release();
  });
});
