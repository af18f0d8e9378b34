/** A cap on the bytes of request bodies the gateway holds at once, across all requests (Envoy's overload idea). */
import { unavailable } from '../../shared/errors';

/**
 * Bodies reserve their declared length (or their model's limit when it is not declared) before they are read;
 * past the capacity a request is refused at once with a retryable 503 instead of growing the gateway's memory.
 */
export class InflightBodies {
  private used = 0;

  constructor(readonly capacity: number) {}

  /** Bytes reserved now. */
  get inUse(): number {
    return this.used;
  }

  /** Reserves `bytes` or throws 503; returns the release (idempotent). */
  reserve(bytes: number): () => void {
    if (this.used > 0 && this.used + bytes > this.capacity) {
      throw unavailable('gateway overloaded: too many request bodies in flight; retry shortly', 'overloaded');
    }
    this.used += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
    };
  }
}
