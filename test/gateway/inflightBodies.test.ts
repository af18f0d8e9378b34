import { describe, expect, it } from 'vitest';
import { InflightBodies } from '../../gateway/body/inflightBodies';
import { InferenceError } from '../../shared/errors';

const settled = async <T>(p: Promise<T>) => {
  let state: 'pending' | 'granted' | 'refused' = 'pending';
  p.then(() => (state = 'granted'), () => (state = 'refused'));
  await new Promise((r) => setTimeout(r, 0));
  return state;
};

describe('InflightBodies (the gateway-wide cap on body bytes)', () => {
  it('lets bodies in up to the capacity, and one body alone even when it is bigger', async () => {
    const cap = new InflightBodies({ capacity: 100 });
    const a = await cap.reserve(60);
    const b = await cap.reserve(40);
    expect(cap.inUse).toBe(100);
    a();
    a(); // idempotent
    b();
    expect(cap.inUse).toBe(0);
    const big = await cap.reserve(500);
    expect(cap.inUse).toBe(500);
    big();
  });

  it('makes a request past the capacity wait its turn, in order, and lets it in when room is given back', async () => {
    const cap = new InflightBodies({ capacity: 100, maxWaitMs: 10_000 });
    const first = await cap.reserve(80);
    const second = cap.reserve(50);
    const third = cap.reserve(10);
    expect(await settled(second)).toBe('pending');
    // FIFO: the small one does not pass the big one waiting ahead of it.
    expect(await settled(third)).toBe('pending');
    expect(cap.waiting).toBe(2);
    first();
    expect(await settled(second)).toBe('granted');
    expect(await settled(third)).toBe('granted');
    expect(cap.inUse).toBe(60);
    (await second)();
    (await third)();
    expect(cap.inUse).toBe(0);
  });

  it('refuses with a retryable 503 after maxWaitMs, or at once past maxWaiting', async () => {
    const cap = new InflightBodies({ capacity: 100, maxWaiting: 1, maxWaitMs: 30 });
    const held = await cap.reserve(100);
    const waits = cap.reserve(10);
    await expect(cap.reserve(10)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'gateway overloaded: too many request bodies in flight; retry shortly' });
    const err = await waits.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InferenceError);
    expect((err as InferenceError).message).toMatch(/too many request bodies in flight/);
    expect(cap.waiting).toBe(0);
    held();
    expect(cap.inUse).toBe(0);
  });

  it('drops a waiter whose client leaves, and lets the next one in', async () => {
    const cap = new InflightBodies({ capacity: 100, maxWaitMs: 10_000 });
    const held = await cap.reserve(90);
    let leave = () => {};
    const gone = cap.reserve(50, (left) => ((leave = left), () => {}));
    const next = cap.reserve(10);
    leave();
    await expect(gone).rejects.toThrow(/client closed the connection/);
    // The one behind it fits now that the one ahead has left.
    expect(await settled(next)).toBe('granted');
    held();
    (await next)();
    expect(cap.inUse).toBe(0);
  });
});
