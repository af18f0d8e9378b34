import { describe, expect, it } from 'vitest';
import { BodyBufferPool, sizeClass } from '../../shared/http/bodyBufferPool';

describe('BodyBufferPool', () => {
  it('hands back a released body buffer for the next body of the same size class', () => {
    const pool = new BodyBufferPool(1 << 24, 1024);
    const a = pool.acquire(100_000);
    expect(a.length).toBe(100_000);
    a[0] = 7;
    pool.release(a);
    const b = pool.acquire(90_000);
    expect(b.length).toBe(90_000);
    expect(b.buffer).toBe(a.buffer); // same backing memory, no new allocation
    const c = pool.acquire(90_000);
    expect(c.buffer).not.toBe(b.buffer); // b is lent out: c is new
  });

  it('never pools small bodies, foreign buffers, or more than its byte cap', () => {
    const pool = new BodyBufferPool(200_000, 1024);
    const small = pool.acquire(100);
    expect(small.length).toBe(100);
    pool.release(small); // Node's own slab allocator serves these: ignored
    pool.release(new Uint8Array(100_000)); // not ours: ignored
    const x = pool.acquire(100_000); // class 114688 (an eighth of 2^17 above 100 000)
    const y = pool.acquire(100_000);
    pool.release(x);
    pool.release(y); // would exceed 200 000 pooled bytes: dropped
    expect(pool.acquire(100_000).buffer).toBe(x.buffer);
    expect(pool.acquire(100_000).buffer).not.toBe(y.buffer);
  });

  it('takes a buffer back only once', () => {
    const pool = new BodyBufferPool(1 << 24, 1024);
    const a = pool.acquire(50_000);
    pool.release(a);
    pool.release(a);
    const b = pool.acquire(50_000);
    const c = pool.acquire(50_000);
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(a.buffer);
  });
});

describe('sizeClass', () => {
  it('rounds up to an eighth of the power of two, so a 9 MB body takes a 10 MB buffer, not 16', () => {
    expect(sizeClass(9_000_000)).toBe(10 * 2 ** 20);
    expect(sizeClass(1 << 20)).toBe(1 << 20);
    expect(sizeClass(100_000)).toBe(114_688);
    for (let n = 1; n < 5_000_000; n = Math.ceil(n * 1.37)) expect(sizeClass(n) >= n && sizeClass(n) < n * 1.25 + 8).toBe(true);
  });
});

describe('BodyBufferPool views and transfers', () => {
  it('lends plain Uint8Arrays, whose slice() is a copy (a Buffer\'s would be a view of pooled memory)', () => {
    const pool = new BodyBufferPool(1 << 24, 1024);
    for (const size of [100, 100_000]) {
      const a = pool.acquire(size);
      expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
      expect(a.subarray(0, 10).slice().buffer).not.toBe(a.buffer);
    }
  });

  it('places a body `offset` bytes into its memory and takes it back through any view of that memory', () => {
    const pool = new BodyBufferPool(1 << 24, 1024);
    const a = pool.acquire(100_000, 5);
    expect([a.byteOffset, a.length]).toEqual([5, 100_000]);
    pool.release(new Uint8Array(a.buffer, 8, 16)); // a tensor view into the body
    expect(pool.acquire(100_000).buffer).toBe(a.buffer);
  });

  it('drops a buffer that was transferred away (detached) instead of pooling it', () => {
    const pool = new BodyBufferPool(1 << 24, 1024);
    const a = pool.acquire(100_000);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(a.buffer, [a.buffer]);
    port1.close();
    port2.close();
    expect(a.buffer.byteLength).toBe(0);
    pool.release(a);
    expect(pool.acquire(100_000).buffer.byteLength).toBe(sizeClass(100_000));
  });
});
