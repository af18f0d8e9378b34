/** A cap on the bytes of request bodies the gateway holds at once, across all requests (Envoy's overload idea). */
import { invalidArgument, unavailable } from '../../shared/errors';

/** Limits of InflightBodies. */
export interface InflightBodiesOptions {
  /** Bytes of bodies held at once. */
  capacity: number;
  /** Reservations waiting for room; past it a request is refused at once (503). */
  maxWaiting?: number;
  /** How long one reservation waits for room before it is refused (503). */
  maxWaitMs?: number;
}

interface Waiter {
  bytes: number;
  /** Hands the waiter its reservation (already counted). */
  grant: (release: () => void) => void;
}

const overloaded = () => unavailable('gateway overloaded: too many request bodies in flight; retry shortly', 'overloaded');

/**
 * Bodies reserve their declared length (or their model's limit when it is not declared) before they are read. Past
 * the capacity a request waits its turn (FIFO, its body not read, so TCP pushes back on its client) for at most
 * `maxWaitMs`, and past `maxWaiting` waiters it is refused at once: load beyond what the gateway may hold becomes
 * queueing, not 503s, and memory stays bounded either way. One body alone is always let in.
 */
export class InflightBodies {
  private used = 0;
  private readonly waiters: Waiter[] = [];
  readonly capacity: number;
  private readonly maxWaiting: number;
  private readonly maxWaitMs: number;

  constructor(options: InflightBodiesOptions) {
    this.capacity = options.capacity;
    this.maxWaiting = options.maxWaiting ?? 1024;
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
  }

  /** Bytes reserved now. */
  get inUse(): number {
    return this.used;
  }

  /** Reservations waiting for room now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Reserves `bytes`, waiting for room if need be; rejects with 503 when it cannot. Resolves with the release
   * (idempotent). `onGone` subscribes to the client's departure while it waits (and returns the unsubscribe).
   */
  async reserve(bytes: number, onGone?: (left: () => void) => () => void): Promise<() => void> {
    if (this.waiters.length === 0 && this.fits(bytes)) return this.take(bytes);
    if (this.waiters.length >= this.maxWaiting || this.maxWaitMs <= 0) throw overloaded();
    return new Promise<() => void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        grant: (release) => {
          clearTimeout(timer);
          unsubscribe?.();
          resolve(release);
        },
      };
      const leave = (err: Error) => {
        const at = this.waiters.indexOf(waiter);
        if (at !== -1) this.waiters.splice(at, 1);
        unsubscribe?.();
        clearTimeout(timer);
        reject(err);
        // The one that left may have been holding back smaller ones behind it.
        this.wakeWaiters();
      };
      const timer = setTimeout(() => leave(overloaded()), this.maxWaitMs);
      const unsubscribe = onGone?.(() => leave(invalidArgument('client closed the connection while its body waited for room')));
      this.waiters.push(waiter);
    });
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.capacity;
  }

  private take(bytes: number): () => void {
    this.used += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
      this.wakeWaiters();
    };
  }

  // Grants waiters in order while the first of them fits (FIFO: a big body is not passed by smaller ones forever).
  private wakeWaiters(): void {
    while (this.waiters.length > 0 && this.fits(this.waiters[0].bytes)) {
      const next = this.waiters.shift()!;
      // Counted now, so that the next waiter is judged against it.
      next.grant(this.take(next.bytes));
    }
  }
}
