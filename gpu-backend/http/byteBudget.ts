import { unavailable } from '../../shared/errors';

/**
 * Admission control for request bodies: caps the bytes being read and decoded at once. Past the cap a
 * request waits in a bounded FIFO; past that it gets an immediate 503. Nothing is dropped silently.
 */
export class ByteBudget {
  private used = 0;
  private readonly waitingList: { bytes: number; grant: () => void }[] = [];

  constructor(
    readonly capacity: number,
    private readonly maxWaiting: number,
  ) {}

  get inUse(): number {
    return this.used;
  }

  /** Bodies waiting for room. */
  get waiting(): number {
    return this.waitingList.length;
  }

  /** Resolves once `bytes` fit; a body larger than the whole budget is admitted alone. */
  async acquire(bytes: number): Promise<() => void> {
    const n = Math.min(bytes, this.capacity);
    if (this.used + n <= this.capacity && !this.waitingList.length) {
      this.used += n;
      return this.releaser(n);
    }
    if (this.waitingList.length >= this.maxWaiting) {
      throw unavailable('Server overloaded: too many request bodies waiting to be decoded', 'overloaded');
    }
    await new Promise<void>((grant) => this.waitingList.push({ bytes: n, grant }));
    return this.releaser(n);
  }

  private releaser(n: number): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.used -= n;
      while (this.waitingList.length && this.used + this.waitingList[0].bytes <= this.capacity) {
        const w = this.waitingList.shift()!;
        this.used += w.bytes;
        w.grant();
      }
    };
  }
}
