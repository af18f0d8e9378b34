import { type InferenceError, internal, unavailable } from '../../shared/errors';
import { systemClock, type Clock } from './clock';

/** One request waiting in the queue; it carries its own reply channel. */
export interface QueuedRequest<I, O> {
  readonly input: I;
  /** Rows this request contributes to a batch (its batch dimension). */
  readonly size: number;
  /** Clock time (ms) at enqueue. */
  readonly enqueuedAt: number;
  /** Clock time (ms) after which it is rejected with "Request timeout expired"; Infinity for none. */
  readonly deadline: number;
  /** Aborted when the client has gone away: the request is dropped, not computed. */
  readonly signal?: AbortSignal;
  /** Clock time (ms) when it left the queue. */
  dispatchedAt: number;
  resolve(output: O): void;
  reject(err: unknown): void;
}

/** What a model does with a batch: assemble it (synchronously), then run it. */
export interface BatchHandler<I, O, P> {
  /** Builds the batch's input (e.g. copies rows into a reused tensor); runs while the previous batch computes. */
  prepare(requests: readonly QueuedRequest<I, O>[], instance: number): P;
  /**
   * Runs the prepared batch; must return exactly one output per request, in order. An Error in place of an
   * output fails that request alone (a bad row must not fail its neighbours).
   */
  run(prepared: P, requests: readonly QueuedRequest<I, O>[], instance: number): Promise<(O | Error)[]>;
}

/** Triton's dynamic_batching settings, resolved. */
export interface BatcherOptions {
  maxBatchSize: number;
  preferredBatchSizes: number[];
  maxQueueDelayMs: number;
  /** 0 means unbounded, as in Triton. */
  maxQueueSize: number;
  /** Concurrent model instances (instance_group.count). */
  instances: number;
  clock?: Clock;
}

/** Observers for statistics; all optional. */
export interface BatcherEvents<I, O> {
  onReject?(request: QueuedRequest<I, O>, err: InferenceError): void;
  onDrop?(request: QueuedRequest<I, O>): void;
}

/** Longest delay one Node timer can hold. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Error given to a request whose client went away; nobody reads it, but the promise must settle. */
export class CancelledError extends Error {
  constructor() {
    super('client disconnected before dispatch');
    this.name = 'CancelledError';
  }
}

/**
 * Triton-style dynamic batcher: collects requests until max_batch_size or a preferred size is reached, or the
 * oldest has waited max_queue_delay; each instance forms and assembles batch k+1 while batch k runs.
 */
export class DynamicBatcher<I, O, P> {
  private readonly queue: QueuedRequest<I, O>[] = [];
  private queuedRows = 0;
  private readonly idle: Array<{ instance: number; wake: (batch: QueuedRequest<I, O>[] | null) => void }> = [];
  /** Instances with a batch computing right now. */
  private readonly busy: boolean[];
  private readonly clock: Clock;
  private readonly preferred: number[];
  private timer: unknown = null;
  private timerAt = Infinity;
  private closing = false;
  private readonly loops: Promise<void>[] = [];
  private running = 0;
  private busySince = 0;
  private busyTotal = 0;

  constructor(
    private readonly opts: BatcherOptions,
    private readonly handler: BatchHandler<I, O, P>,
    private readonly events: BatcherEvents<I, O> = {},
  ) {
    if (opts.maxBatchSize < 1) throw new Error('maxBatchSize must be ≥ 1');
    if (opts.instances < 1) throw new Error('instances must be ≥ 1');
    this.clock = opts.clock ?? systemClock;
    this.preferred = [...new Set(opts.preferredBatchSizes.filter((s) => s <= opts.maxBatchSize))].sort((a, b) => b - a);
    this.busy = Array.from({ length: opts.instances }, () => false);
    for (let i = 0; i < opts.instances; i++) this.loops.push(this.instanceLoop(i));
  }

  /** Requests waiting (not yet dispatched). */
  get pending(): number {
    return this.queue.length;
  }

  /** Milliseconds (wall clock) during which at least one batch was computing, up to now. */
  get busyMs(): number {
    return this.busyTotal + (this.running > 0 ? this.clock.now() - this.busySince : 0);
  }

  /** Batches being computed right now. */
  get inFlight(): number {
    return this.running;
  }

  /** Queues one request of `size` rows (≤ maxBatchSize); resolves with its own output. */
  enqueue(input: I, size: number, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<O> {
    if (this.closing) return Promise.reject(unavailable('Server is shutting down', 'shutdown'));
    if (size < 1 || size > this.opts.maxBatchSize) {
      return Promise.reject(internal(`batch of ${size} does not fit max_batch_size ${this.opts.maxBatchSize}`));
    }
    if (this.opts.maxQueueSize > 0 && this.queue.length >= this.opts.maxQueueSize) {
      return Promise.reject(unavailable('Exceeds maximum queue size', 'queue_full'));
    }
    return new Promise<O>((resolve, reject) => {
      const now = this.clock.now();
      const timeout = opts.timeoutMs ?? 0;
      this.queue.push({
        input,
        size,
        enqueuedAt: now,
        deadline: timeout > 0 ? now + timeout : Infinity,
        signal: opts.signal,
        dispatchedAt: 0,
        resolve,
        reject,
      });
      this.queuedRows += size;
      // A client that goes away frees its queue slot at once, not only when the next batch forms.
      opts.signal?.addEventListener('abort', () => this.pump(), { once: true });
      this.pump();
    });
  }

  /** Stops taking requests, finishes every queued and running one, then resolves. */
  async drain(): Promise<void> {
    this.closing = true;
    this.pump();
    await Promise.all(this.loops);
  }

  private async instanceLoop(instance: number): Promise<void> {
    let previous: Promise<void> | null = null;
    for (;;) {
      const batch = await this.nextBatch(instance);
      if (!batch) break;
      let prepared: P;
      try {
        prepared = this.handler.prepare(batch, instance);
      } catch (err) {
        for (const r of batch) r.reject(err);
        continue;
      }
      // Two-stage pipeline: batch k+1 is formed and assembled above while batch k still runs.
      if (previous) await previous;
      previous = this.execute(prepared, batch, instance);
    }
    if (previous) await previous;
  }

  private async execute(prepared: P, batch: QueuedRequest<I, O>[], instance: number): Promise<void> {
    if (this.running++ === 0) this.busySince = this.clock.now();
    this.busy[instance] = true;
    try {
      const outputs = await this.handler.run(prepared, batch, instance);
      if (!Array.isArray(outputs) || outputs.length !== batch.length) {
        throw internal(`model returned ${Array.isArray(outputs) ? outputs.length : 'no'} outputs for a batch of ${batch.length} requests`);
      }
      batch.forEach((r, i) => {
        const out = outputs[i];
        if (out instanceof Error) r.reject(out);
        else r.resolve(out);
      });
    } catch (err) {
      for (const r of batch) r.reject(err);
    } finally {
      if (--this.running === 0) this.busyTotal += this.clock.now() - this.busySince;
      this.busy[instance] = false;
      this.pump();
    }
  }

  private nextBatch(instance: number): Promise<QueuedRequest<I, O>[] | null> {
    return new Promise((wake) => {
      this.idle.push({ instance, wake });
      this.pump();
    });
  }

  /** Hands batches to idle instances when Triton's rules allow, and arms the timer for the next deadline. */
  private pump(): void {
    const now = this.clock.now();
    this.sweep(now);
    while (this.idle.length && this.queue.length) {
      // Prefer an instance with nothing running; a busy one only stages a full batch for when it is done.
      const i = Math.max(0, this.idle.findIndex((w) => !this.busy[w.instance]));
      const target = this.dispatchSize(now, this.busy[this.idle[i].instance]);
      if (target === 0) break;
      const batch = this.take(target, now);
      this.idle.splice(i, 1)[0].wake(batch);
    }
    if (this.closing && !this.queue.length) {
      for (const w of this.idle.splice(0)) w.wake(null);
    }
    this.arm(now);
  }

  /**
   * Rows to dispatch now, or 0 to keep waiting. An instance still computing takes only a full batch, so a
   * staged batch never closes early while more requests could still join it.
   */
  private dispatchSize(now: number, instanceBusy: boolean): number {
    const rows = this.queuedRows;
    const max = this.opts.maxBatchSize;
    if (rows >= max) return max;
    if (instanceBusy && !this.closing) return 0;
    for (const p of this.preferred) if (rows >= p) return p;
    if (this.closing || now - this.queue[0].enqueuedAt >= this.opts.maxQueueDelayMs) return rows;
    return 0;
  }

  private take(rows: number, now: number): QueuedRequest<I, O>[] {
    const batch: QueuedRequest<I, O>[] = [];
    let filled = 0;
    while (this.queue.length && filled + this.queue[0].size <= rows) {
      const r = this.queue.shift()!;
      this.queuedRows -= r.size;
      filled += r.size;
      r.dispatchedAt = now;
      batch.push(r);
    }
    if (!batch.length) {
      // A single request larger than the target still goes out whole: requests are never split here.
      const r = this.queue.shift()!;
      this.queuedRows -= r.size;
      r.dispatchedAt = now;
      batch.push(r);
    }
    return batch;
  }

  /** Drops requests whose client went away and rejects those past their timeout. */
  private sweep(now: number): void {
    if (!this.queue.length) return;
    let kept = 0;
    for (const r of this.queue) {
      if (r.signal?.aborted) {
        this.queuedRows -= r.size;
        this.events.onDrop?.(r);
        r.reject(new CancelledError());
      } else if (r.deadline <= now) {
        this.queuedRows -= r.size;
        const err = unavailable('Request timeout expired', 'timeout');
        this.events.onReject?.(r, err);
        r.reject(err);
      } else {
        this.queue[kept++] = r;
      }
    }
    this.queue.length = kept;
  }

  private arm(now: number): void {
    let at = Infinity;
    if (this.queue.length) {
      if (this.idle.some((w) => !this.busy[w.instance])) at = this.queue[0].enqueuedAt + this.opts.maxQueueDelayMs;
      for (const r of this.queue) if (r.deadline < at) at = r.deadline;
    }
    if (at === this.timerAt) return;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = at;
    if (at === Infinity) return;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.pump();
      // Node's timers overflow past 2^31 - 1 ms (and warn); a later deadline is re-armed when this one fires.
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - now)));
  }
}
