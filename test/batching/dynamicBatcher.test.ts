import { describe, expect, it } from 'vitest';
import { CancelledError, DynamicBatcher, type BatcherOptions, type QueuedRequest } from '../../gpu-backend/batching/dynamicBatcher';
import type { Clock } from '../../gpu-backend/batching/clock';
import { InferenceError } from '../../shared/errors';

/** A clock the test advances by hand. */
class ManualClock implements Clock {
  t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimer = (h: unknown) => void this.timers.delete(h as number);
  async advance(ms: number) {
    this.t += ms;
    for (const [id, tm] of [...this.timers]) {
      if (tm.at <= this.t) {
        this.timers.delete(id);
        tm.fn();
      }
    }
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A fake backend that records the batches it saw and lets the test finish each one. */
function recordingHandler() {
  const batches: number[][] = [];
  const pending: Array<() => void> = [];
  let auto = true;
  return {
    batches,
    pending,
    hold() {
      auto = false;
    },
    handler: {
      prepare: (reqs: readonly QueuedRequest<number, number>[]) => reqs.map((r) => r.input),
      run: (inputs: number[]) => {
        batches.push(inputs);
        if (auto) return Promise.resolve(inputs.map((x) => x * 10));
        return new Promise<number[]>((resolve) => pending.push(() => resolve(inputs.map((x) => x * 10))));
      },
    },
  };
}

function make(opts: Partial<BatcherOptions>, clock = new ManualClock()) {
  const rec = recordingHandler();
  const batcher = new DynamicBatcher<number, number, number[]>(
    { maxBatchSize: 4, preferredBatchSizes: [], maxQueueDelayMs: 5, maxQueueSize: 0, instances: 1, clock, ...opts },
    rec.handler,
  );
  return { batcher, rec, clock };
}

describe('DynamicBatcher', () => {
  it('dispatches a full batch at max_batch_size without waiting for the delay', async () => {
    const { batcher, rec } = make({ maxQueueDelayMs: 1000 });
    const results = Promise.all([1, 2, 3, 4].map((x) => batcher.enqueue(x, 1)));
    await flush();
    expect(rec.batches).toEqual([[1, 2, 3, 4]]);
    expect(await results).toEqual([10, 20, 30, 40]);
  });

  it('flushes at max_queue_delay when the batch is not full', async () => {
    const { batcher, rec, clock } = make({ maxQueueDelayMs: 5 });
    const results = Promise.all([1, 2].map((x) => batcher.enqueue(x, 1)));
    await clock.advance(4);
    expect(rec.batches).toEqual([]);
    await clock.advance(1);
    expect(rec.batches).toEqual([[1, 2]]);
    expect(await results).toEqual([10, 20]);
  });

  it('dispatches a preferred batch size at once', async () => {
    const { batcher, rec } = make({ maxBatchSize: 8, preferredBatchSizes: [2], maxQueueDelayMs: 1000 });
    void batcher.enqueue(1, 1);
    await flush();
    expect(rec.batches).toEqual([]);
    void batcher.enqueue(2, 1);
    await flush();
    expect(rec.batches).toEqual([[1, 2]]);
  });

  it('splits the queue into batches of at most max_batch_size rows', async () => {
    const { batcher, rec, clock } = make({ maxBatchSize: 3, maxQueueDelayMs: 5 });
    rec.hold();
    const all = Promise.all([1, 2, 3, 4, 5, 6, 7].map((x) => batcher.enqueue(x, 1)));
    await flush();
    // First batch went out full; the next one is formed and assembled while it runs.
    expect(rec.batches).toEqual([[1, 2, 3]]);
    rec.pending.shift()!();
    await flush();
    expect(rec.batches).toEqual([[1, 2, 3], [4, 5, 6]]);
    rec.pending.shift()!();
    await clock.advance(5);
    rec.pending.shift()!();
    expect(await all).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(rec.batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('lets requests keep joining the next batch while the instance is busy, unless that batch is already full', async () => {
    const { batcher, rec, clock } = make({ maxBatchSize: 4, maxQueueDelayMs: 5 });
    rec.hold();
    void batcher.enqueue(1, 1);
    void batcher.enqueue(2, 1);
    await clock.advance(5);
    expect(rec.batches).toEqual([[1, 2]]);
    // The delay passes while batch 1 runs, but the next batch is not closed yet ...
    void batcher.enqueue(3, 1);
    void batcher.enqueue(4, 1);
    await clock.advance(10);
    void batcher.enqueue(5, 1);
    rec.pending.shift()!();
    await flush();
    // ... so everything that arrived meanwhile goes out together once the instance is free.
    expect(rec.batches).toEqual([[1, 2], [3, 4, 5]]);
  });

  it('counts rows, not requests, against max_batch_size', async () => {
    const { batcher, rec, clock } = make({ maxBatchSize: 4, maxQueueDelayMs: 5 });
    const a = batcher.enqueue(1, 3);
    const b = batcher.enqueue(2, 2);
    await clock.advance(5);
    await Promise.all([a, b]);
    expect(rec.batches).toEqual([[1], [2]]);
  });

  it('rejects at once with 503 when the queue is full', async () => {
    const { batcher, rec } = make({ maxQueueSize: 2, maxQueueDelayMs: 1000, maxBatchSize: 8 });
    rec.hold();
    void batcher.enqueue(1, 1);
    void batcher.enqueue(2, 1);
    const err = await batcher.enqueue(3, 1).catch((e) => e);
    expect(err).toBeInstanceOf(InferenceError);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toBe('Exceeds maximum queue size');
  });

  it('rejects a request that waited past its timeout with "Request timeout expired"', async () => {
    const { batcher, rec, clock } = make({ maxBatchSize: 1, maxQueueDelayMs: 0 });
    rec.hold();
    const first = batcher.enqueue(1, 1);
    await flush();
    const second = batcher.enqueue(2, 1); // formed while the first runs
    const third = batcher.enqueue(3, 1, { timeoutMs: 10 });
    await clock.advance(11);
    const err = await third.catch((e) => e);
    expect(err.message).toBe('Request timeout expired');
    expect(err.code).toBe('UNAVAILABLE');
    rec.pending.shift()!();
    await flush();
    rec.pending.shift()!();
    expect(await Promise.all([first, second])).toEqual([10, 20]);
    expect(rec.batches).toEqual([[1], [2]]);
  });

  it('drops a request whose client went away before dispatch, without computing it', async () => {
    const { batcher, rec, clock } = make({ maxBatchSize: 4, maxQueueDelayMs: 5 });
    const gone = new AbortController();
    const a = batcher.enqueue(1, 1);
    const b = batcher.enqueue(2, 1, { signal: gone.signal });
    const c = batcher.enqueue(3, 1);
    gone.abort();
    await clock.advance(5);
    expect(await Promise.all([a, c])).toEqual([10, 30]);
    expect(await b.catch((e) => e)).toBeInstanceOf(CancelledError);
    expect(rec.batches).toEqual([[1, 3]]);
  });

  it('runs batches on several instances at once', async () => {
    const { batcher, rec } = make({ maxBatchSize: 1, instances: 2, maxQueueDelayMs: 0 });
    rec.hold();
    void batcher.enqueue(1, 1);
    void batcher.enqueue(2, 1);
    await flush();
    expect(rec.pending.length).toBe(2);
    expect(batcher.inFlight).toBe(2);
  });

  it('rejects every request of a batch whose run fails, and keeps serving', async () => {
    const clock = new ManualClock();
    let fail = true;
    const batcher = new DynamicBatcher<number, number, number[]>(
      { maxBatchSize: 2, preferredBatchSizes: [], maxQueueDelayMs: 0, maxQueueSize: 0, instances: 1, clock },
      {
        prepare: (reqs) => reqs.map((r) => r.input),
        run: async (xs) => {
          if (fail) throw new Error('boom');
          return xs;
        },
      },
    );
    const e = await Promise.all([batcher.enqueue(1, 1), batcher.enqueue(2, 1)]).catch((err) => err);
    expect(e.message).toBe('boom');
    fail = false;
    expect(await batcher.enqueue(3, 1)).toBe(3);
  });

  it('says what it expected when the model returns the wrong number of outputs', async () => {
    const batcher = new DynamicBatcher<number, number, number[]>(
      { maxBatchSize: 2, preferredBatchSizes: [], maxQueueDelayMs: 0, maxQueueSize: 0, instances: 1, clock: new ManualClock() },
      { prepare: (reqs) => reqs.map((r) => r.input), run: async () => [1, 2, 3] },
    );
    const err = await batcher.enqueue(1, 1).catch((e) => e);
    expect(err.message).toBe('model returned 3 outputs for a batch of 1 requests');
  });

  it('drain() finishes queued requests, then refuses new ones', async () => {
    const { batcher, rec } = make({ maxBatchSize: 4, maxQueueDelayMs: 1000 });
    const a = batcher.enqueue(1, 1);
    const drained = batcher.drain();
    expect(await a).toBe(10);
    await drained;
    expect(rec.batches).toEqual([[1]]);
    const err = await batcher.enqueue(2, 1).catch((e) => e);
    expect(err.code).toBe('UNAVAILABLE');
  });
});
