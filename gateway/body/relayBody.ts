/**
 * A request body relayed to a backend while it is still arriving (Node, bodies with a Content-Length); also how
 * such bodies are read whole (`whole()`).
 *
 * Bytes land once, in one buffer of the declared size; every reader replays them from the start and then
 * follows the arrivals, so a request can be sent again to another backend after a failed attempt without a
 * second copy. The last byte is held back until the client's body has ended (and passed its RelayCheck, if it
 * has one): a backend never receives a whole body the client did not finish sending, or one the gateway refuses.
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

/** Looks at a body while it is relayed (a JSON body's JsonInferCheck): the relay passes on only what it allows. */
export interface RelayCheck {
  /**
   * Sees each chunk as it lands. False holds the relay at this chunk until the body has ended (the end decides);
   * a throw refuses the body at once: passes fail, and the body is still read to its end for `end` to word.
   */
  push(bytes: Uint8Array): boolean;
  /** The body is all in (`whole` gives it, for wording a refusal): returns when it may go on, or throws its refusal. */
  end(whole: () => Uint8Array): void;
}

export class RelayBody {
  /** Bytes received so far, at the start of `buffer`. */
  private received = 0;
  /** The body is all in (and passed its check). */
  private passed = false;
  private failed: Error | undefined;
  /** Bytes from here on wait for the end (the check was in doubt). */
  private heldFrom = Infinity;
  /** The check's early refusal; `failed` takes its final wording at the end. */
  private refused: Error | undefined;
  private wake: (() => void)[] = [];
  private readonly settled: Promise<void>;

  private constructor(
    /** Exactly the declared length. */
    readonly buffer: Uint8Array,
    incoming: IncomingMessage,
    idleTimeoutMs: number,
    check: RelayCheck | undefined,
  ) {
    // A client that stops sending holds its buffer only `idleTimeoutMs` between two chunks.
    const length = buffer.length;
    this.settled = readIncoming(incoming, { length, limit: length, idleTimeoutMs, closed: clientLeft }, (chunk, received) => {
      const at = received - chunk.length;
      chunk.copy(buffer, at);
      if (check && !this.refused) {
        try {
          if (!check.push(buffer.subarray(at, received))) this.heldFrom = Math.min(this.heldFrom, at);
        } catch (err) {
          this.refused = err as Error;
        }
      }
      this.received = received;
      this.notify();
    }).then(
      () => {
        try {
          check?.end(() => buffer);
          this.passed = true;
        } catch (err) {
          this.failed = err as Error;
        }
        this.notify();
      },
      (err: Error) => {
        this.failed = err;
        this.notify();
      },
    );
  }

  /**
   * Starts collecting `incoming`'s body of `length` bytes into a buffer from `source`; 408 after a pause of
   * `idleTimeoutMs`. With a `check`, each chunk is shown to it as it lands, before any pass may send it on.
   */
  static start(incoming: IncomingMessage, length: number, source: BufferSource, idleTimeoutMs = BODY_IDLE_TIMEOUT_MS, check?: RelayCheck): RelayBody {
    return new RelayBody(source.acquire(length), incoming, idleTimeoutMs, check);
  }

  get length(): number {
    return this.buffer.length;
  }

  /** Resolves once the first `n` bytes are in; rejects if the body fails first. */
  async prefix(n: number): Promise<Uint8Array> {
    while (this.received < n && !this.passed) {
      if (this.failed) throw this.failed;
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
    if (this.failed) throw this.failed;
    if (this.received < n) throw invalidArgument(`body is shorter than the ${n} bytes its headers announce`);
    return this.buffer.subarray(0, n);
  }

  /** The whole body once it has ended (and passed its check); rejects if it failed or was refused. */
  async whole(): Promise<Uint8Array> {
    await this.settled;
    if (this.failed) throw this.failed;
    return this.buffer;
  }

  /** Resolves once the body has ended and passed its check; rejects if it failed or was refused. */
  async ended(): Promise<void> {
    await this.whole();
  }

  /** Resolves when the body has ended or failed (never rejects): for draining before an early answer. */
  done(): Promise<void> {
    return this.settled;
  }

  /** Why the body broke off (client gone, length mismatch) or was refused, if it was; final once `done()` settles. */
  get failure(): Error | undefined {
    return this.failed ?? this.refused;
  }

  /** True once every byte is in (and passed the check). */
  get complete(): boolean {
    return this.passed;
  }

  /**
   * A fresh pass over the body from its first byte: what has arrived, then each arrival, holding the last
   * byte back until the body has ended (and what the check is in doubt of until then). Throws the body's
   * failure or refusal, which aborts the backend request.
   */
  async *chunks(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    const total = this.buffer.length;
    while (sent < total) {
      const failure = this.failure;
      if (failure) throw failure;
      const available = this.passed ? this.received : Math.min(this.received, total - 1, this.heldFrom);
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
