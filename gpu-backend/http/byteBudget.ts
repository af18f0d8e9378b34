import { unavailable } from '../../shared/errors';
import { CancelledError } from '../batching/dynamicBatcher';

/** Limits of a ByteBudget. */
export interface ByteBudgetOptions {
  /** Bytes of request bodies held at once (received and not yet decoded). */
  capacity: number;
  /** Reads waiting for room beyond which a new one is refused at once with 503. */
  maxWaiting: number;
  /** How long one read may wait for room before it is refused with 503. */
  maxWaitMs?: number;
}

interface Waiter {
  reader: BodyReader;
  bytes: number;
  grant: () => void;
  fail: (err: Error) => void;
}

/**
 * Admission control for request bodies, by bytes that have actually arrived: each chunk takes its size as it
 * is read, and the body gives it all back once decoded. A client that declares 60 MB and stalls holds only what
 * it sent; one that leaves gives back what it held. Past the capacity a read pauses in a bounded FIFO (its
 * socket is not read, so TCP pushes back) and is refused with 503 past `maxWaiting` or `maxWaitMs`.
 *
 * Partial bodies could hold the whole budget while each waits for more (none completes, nothing is given back).
 * When the budget is full and no complete body is about to give bytes back, the youngest waiting body is
 * refused with 503 so that older ones can finish.
 */
export class ByteBudget {
  private used = 0;
  /** Bytes of bodies fully received and still being decoded: they come back soon. */
  private completing = 0;
  private readonly waiters: Waiter[] = [];
  private nextReader = 0;
  readonly capacity: number;
  private readonly maxWaiting: number;
  private readonly maxWaitMs: number;

  constructor(options: ByteBudgetOptions) {
    this.capacity = options.capacity;
    this.maxWaiting = options.maxWaiting;
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
  }

  /** Bytes held now. */
  get inUse(): number {
    return this.used;
  }

  /** Reads waiting for room. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** A handle for one body's reads; `signal` aborting while it waits fails that wait with CancelledError. */
  reader(signal?: AbortSignal): BodyReader {
    return new BodyReader(this, this.nextReader++, signal);
  }

  /** @internal Takes at once if it fits and nobody waits before us. */
  tryTake(reader: BodyReader, bytes: number): boolean {
    if (this.waiters.length || !this.fits(bytes)) return false;
    this.used += bytes;
    reader.held += bytes;
    return true;
  }

  /** @internal Waits for room in FIFO order. */
  take(reader: BodyReader, bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.tryTake(reader, bytes)) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(new CancelledError());
    if (this.waiters.length >= this.maxWaiting) return Promise.reject(overloaded('too many request bodies waiting to be read'));
    const wait = new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        reader,
        bytes,
        grant: () => (done(), resolve()),
        fail: (err) => (done(), reject(err)),
      };
      const onAbort = () => this.drop(waiter, new CancelledError());
      const timer = setTimeout(() => this.drop(waiter, overloaded(`no room to read the request body within ${this.maxWaitMs} ms`)), this.maxWaitMs);
      timer.unref?.();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
    this.breakDeadlock();
    return wait;
  }

  /** @internal The reader's body is complete: its bytes will come back once it is decoded. */
  completed(reader: BodyReader): void {
    this.completing += reader.held;
  }

  /** @internal Gives back everything the reader held. */
  give(reader: BodyReader, wasComplete: boolean): void {
    this.used -= reader.held;
    if (wasComplete) this.completing -= reader.held;
    reader.held = 0;
    if (this.used < 0 || this.completing < 0) throw new Error(`ByteBudget: gave back more than was taken (${this.used}, ${this.completing})`);
    this.grantWaiting();
  }

  // A read larger than the whole budget may go alone, so that one big body can always make progress.
  private fits(bytes: number): boolean {
    return this.used + bytes <= this.capacity || this.used === 0;
  }

  private drop(waiter: Waiter, err: Error): void {
    const i = this.waiters.indexOf(waiter);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    waiter.fail(err);
    // Whoever waited behind it may fit now.
    this.grantWaiting();
  }

  private grantWaiting(): void {
    while (this.waiters.length && this.fits(this.waiters[0].bytes)) {
      const w = this.waiters.shift()!;
      this.used += w.bytes;
      w.reader.held += w.bytes;
      w.grant();
    }
  }

  // Nothing will give bytes back (no complete body), and the budget cannot take the first waiter: refuse the
  // youngest waiting body and return its bytes, until the first waiter fits or nobody else is waiting.
  private breakDeadlock(): void {
    while (this.completing === 0 && this.waiters.length > 1 && !this.fits(this.waiters[0].bytes)) {
      let youngest = this.waiters[0];
      for (const w of this.waiters) if (w.reader.id > youngest.reader.id) youngest = w;
      this.drop(youngest, overloaded('request bodies fill the server; this one was refused so that earlier ones can finish'));
      // Its bytes come back now (its reader's later release() finds nothing left to give).
      this.give(youngest.reader, false);
    }
  }
}

/** One body's share of a ByteBudget. */
export class BodyReader {
  held = 0;
  private complete = false;

  constructor(
    private readonly budget: ByteBudget,
    readonly id: number,
    private readonly signal?: AbortSignal,
  ) {}

  /** Takes `bytes` at once if they fit and nobody waits before this body; false otherwise (then call `take`). */
  tryTake(bytes: number): boolean {
    return this.budget.tryTake(this, bytes);
  }

  /** Waits for room for `bytes`; rejects with CancelledError on abort, 503 past the budget's limits. */
  take(bytes: number): Promise<void> {
    return this.budget.take(this, bytes, this.signal);
  }

  /** The body has fully arrived. */
  markComplete(): void {
    if (this.complete) return;
    this.complete = true;
    this.budget.completed(this);
  }

  /** Gives back every byte this body holds (idempotent). */
  release(): void {
    this.budget.give(this, this.complete);
  }
}

function overloaded(why: string): Error {
  return unavailable(`Server overloaded: ${why}; retry later`, 'overloaded');
}
