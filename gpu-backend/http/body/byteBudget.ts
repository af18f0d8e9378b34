import { unavailable } from '../../../shared/errors';
import { CancelledError } from '../../batching/dynamicBatcher';

/** Limits of a ByteBudget. */
export interface ByteBudgetOptions {
  /** Bytes of request bodies reserved at once (being received, or received and not yet decoded). */
  capacity: number;
  /** Reservations waiting for room beyond which a new one is refused at once with 503. */
  maxWaiting: number;
  /** How long one reservation may wait for room before it is refused with 503. */
  maxWaitMs?: number;
}

interface Waiter {
  reader: BodyReader;
  bytes: number;
  grant: () => void;
  fail: (err: Error) => void;
}

/**
 * Admission control for request bodies. A body reserves its declared length once its first bytes arrive (a
 * client that only sent headers holds nothing), so a body being received always has room to finish and the
 * budget cannot deadlock on partial bodies. A body whose client stops sending gives back the part it has not
 * received (`shrink`) until it sends again; one whose client leaves gives back everything. Reservations wait
 * in a bounded FIFO, refused with 503 past `maxWaiting` or `maxWaitMs`; while one waits, its socket is not
 * read, so TCP pushes back on the client.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiters: Waiter[] = [];
  readonly capacity: number;
  private readonly maxWaiting: number;
  private readonly maxWaitMs: number;

  constructor(options: ByteBudgetOptions) {
    this.capacity = options.capacity;
    this.maxWaiting = options.maxWaiting;
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
  }

  /** Bytes reserved now. */
  get inUse(): number {
    return this.used;
  }

  /** Reservations waiting for room. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** A handle for one body's reservation; `signal` aborting while it waits fails that wait with CancelledError. */
  reader(signal?: AbortSignal): BodyReader {
    return new BodyReader(this, signal);
  }

  /** @internal Grows `reader`'s reservation to `bytes`, waiting in FIFO order for room. */
  reserve(reader: BodyReader, bytes: number, signal?: AbortSignal): Promise<void> {
    const more = bytes - reader.reserved;
    if (more <= 0) return Promise.resolve();
    if (!this.waiters.length && this.fits(more)) {
      this.grow(reader, more);
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.reject(new CancelledError());
    if (this.waiters.length >= this.maxWaiting) return Promise.reject(overloaded('too many request bodies waiting to be read'));
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = { reader, bytes: more, grant: () => (done(), resolve()), fail: (err) => (done(), reject(err)) };
      const onAbort = () => this.drop(waiter, new CancelledError());
      const timer = setTimeout(() => this.drop(waiter, overloaded(`no room to read the request body within ${this.maxWaitMs} ms`)), this.maxWaitMs);
      timer.unref?.();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** @internal Gives back `bytes` of `reader`'s reservation, and admits waiters that now fit. */
  giveBack(reader: BodyReader, bytes: number): void {
    if (bytes <= 0) return;
    reader.reserved -= bytes;
    this.used -= bytes;
    if (this.used < 0 || reader.reserved < 0) throw new Error(`ByteBudget: gave back more than was reserved (${this.used})`);
    this.grantWaiting();
  }

  private grow(reader: BodyReader, bytes: number): void {
    reader.reserved += bytes;
    this.used += bytes;
  }

  // A body larger than the whole budget may go alone, so that one big body can always make progress.
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
      this.grow(w.reader, w.bytes);
      w.grant();
    }
  }
}

/** One body's reservation in a ByteBudget. */
export class BodyReader {
  /** Bytes reserved for this body now. */
  reserved = 0;

  constructor(
    private readonly budget: ByteBudget,
    private readonly signal?: AbortSignal,
  ) {}

  /** Makes the reservation `bytes` (it only grows here); waits for room; CancelledError on abort, 503 past the limits. */
  reserve(bytes: number): Promise<void> {
    return this.budget.reserve(this, bytes, this.signal);
  }

  /** Lowers the reservation to `bytes` (what has actually arrived), giving back the rest. */
  shrink(bytes: number): void {
    this.budget.giveBack(this, this.reserved - Math.max(0, bytes));
  }

  /** Gives back the whole reservation (idempotent). */
  release(): void {
    this.budget.giveBack(this, this.reserved);
  }
}

function overloaded(why: string): Error {
  return unavailable(`Server overloaded: ${why}; retry later`, 'overloaded');
}
