/**
 * A request body relayed to a backend while it is still arriving (Node, bodies with a Content-Length); also how
 * such bodies are read whole (`whole()`).
 *
 * Bytes land once, in one buffer of the declared size; every reader replays them from the start and then
 * follows the arrivals, so a request can be sent again to another backend after a failed attempt without a
 * second copy. The last byte is held back until the client's body has ended: a backend never receives a
 * whole body the client did not finish sending.
 */
import type { IncomingMessage } from 'node:http';
import { invalidArgument } from '../../shared/errors';
import { readIncoming } from '../../shared/http/incomingBody';

/** Where the buffer comes from and goes back to (the Node body pool). */
export interface BufferSource {
  acquire(size: number): Uint8Array;
}

/** Longest pause between two chunks of a body the gateway reads, as the backend's default. */
export const BODY_IDLE_TIMEOUT_MS = 30_000;

/** A client that left mid-body. */
export const clientLeft = () => invalidArgument('client closed the connection before the body ended');

export class RelayBody {
  /** Bytes received so far, at the start of `buffer`. */
  private received = 0;
  private ended = false;
  private failed: Error | undefined;
  private wake: (() => void)[] = [];
  private readonly settled: Promise<void>;

  private constructor(
    /** Exactly the declared length. */
    readonly buffer: Uint8Array,
    incoming: IncomingMessage,
    idleTimeoutMs: number,
  ) {
    // A client that stops sending holds its buffer only `idleTimeoutMs` between two chunks.
    const length = buffer.length;
    this.settled = readIncoming(incoming, { length, limit: length, idleTimeoutMs, closed: clientLeft }, (chunk, received) => {
      chunk.copy(buffer, received - chunk.length);
      this.received = received;
      this.notify();
    }).then(
      () => {
        this.ended = true;
        this.notify();
      },
      (err: Error) => {
        this.failed = err;
        this.notify();
      },
    );
  }

  /** Starts collecting `incoming`'s body of `length` bytes into a buffer from `source`; 408 after a pause of `idleTimeoutMs`. */
  static start(incoming: IncomingMessage, length: number, source: BufferSource, idleTimeoutMs = BODY_IDLE_TIMEOUT_MS): RelayBody {
    return new RelayBody(source.acquire(length), incoming, idleTimeoutMs);
  }

  get length(): number {
    return this.buffer.length;
  }

  /** Resolves once the first `n` bytes are in; rejects if the body fails first. */
  async prefix(n: number): Promise<Uint8Array> {
    while (this.received < n && !this.ended) {
      if (this.failed) throw this.failed;
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
    if (this.failed) throw this.failed;
    if (this.received < n) throw invalidArgument(`body is shorter than the ${n} bytes its headers announce`);
    return this.buffer.subarray(0, n);
  }

  /** The whole body once it has ended; rejects if it failed. */
  async whole(): Promise<Uint8Array> {
    await this.settled;
    if (this.failed) throw this.failed;
    return this.buffer;
  }

  /** Resolves when the body has ended or failed (never rejects): for draining before an early answer. */
  done(): Promise<void> {
    return this.settled;
  }

  /** Why the body broke off (client gone, length mismatch), if it did. */
  get failure(): Error | undefined {
    return this.failed;
  }

  /** True once every byte is in. */
  get complete(): boolean {
    return this.ended;
  }

  /**
   * A fresh pass over the body from its first byte: what has arrived, then each arrival, holding the last
   * byte back until the body has ended. Throws the body's failure, which aborts the backend request.
   */
  async *chunks(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    const total = this.buffer.length;
    while (sent < total) {
      if (this.failed) throw this.failed;
      const available = this.ended ? this.received : Math.min(this.received, total - 1);
      if (available > sent) {
        const view = this.buffer.subarray(sent, available);
        sent = available;
        yield view;
        continue;
      }
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
  }

  private notify(): void {
    const waiting = this.wake;
    this.wake = [];
    for (const resolve of waiting) resolve();
  }
}
