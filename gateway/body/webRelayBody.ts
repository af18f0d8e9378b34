/**
 * A Fetch request body relayed to a backend while it arrives (Workers): RelayBody's contract on the Fetch body
 * stream. Every pass replays from the first byte and follows the arrivals; the last byte waits for the end of
 * the body and its RelayCheck. The chunks the runtime hands over are kept as they are (no copy), for replays
 * after a failed attempt and for wording a refusal.
 */
import type { Context } from 'hono';
import { InferenceError, invalidArgument } from '../../shared/errors';
import type { BodyRelay, RelayedBody } from './readBody';
import { clientLeft, type RelayCheck } from './relayBody';

const tooLarge = (limit: number) => new InferenceError('PAYLOAD_TOO_LARGE', `request body exceeds the limit of ${limit} bytes for this model`);

/** BodyRelay for the Fetch API: bodies with a Content-Length are relayed from their stream. */
export const webBodyRelay: BodyRelay = (c: Context, limit: number, check?: RelayCheck) => {
  const req = c.req.raw;
  const declared = req.headers.get('content-length');
  if (declared === null || !req.body) return undefined;
  const length = Number(declared);
  if (!(length <= limit)) throw tooLarge(limit);
  return length > 0 ? new WebRelayBody(length, req.body, check) : undefined;
};

/** A body of `length` bytes read from `stream` in the background (see the module comment). */
class WebRelayBody implements RelayedBody {
  private readonly parts: Uint8Array[] = [];
  private received = 0;
  private passed = false;
  private failed: Error | undefined;
  private refused: Error | undefined;
  private heldFrom = Infinity;
  private wake: (() => void)[] = [];
  private readonly settled: Promise<void>;

  constructor(
    readonly length: number,
    stream: ReadableStream<Uint8Array>,
    private readonly check?: RelayCheck,
  ) {
    this.settled = this.read(stream);
  }

  /** Why the body broke off or was refused, if it was; final once `done()` settles. */
  get failure(): Error | undefined {
    return this.failed ?? this.refused;
  }

  /** True once every byte is in (and passed the check). */
  get complete(): boolean {
    return this.passed;
  }

  async prefix(n: number): Promise<Uint8Array> {
    while (this.received < n && !this.passed && !this.failed) await this.arrival();
    if (this.failed) throw this.failed;
    if (this.received < n) throw invalidArgument(`body is shorter than the ${n} bytes its headers announce`);
    return this.joined(n);
  }

  async whole(): Promise<Uint8Array> {
    await this.ended();
    return this.joined(this.length);
  }

  async ended(): Promise<void> {
    await this.settled;
    if (this.failed) throw this.failed;
  }

  done(): Promise<void> {
    return this.settled;
  }

  /** A fresh pass from the first byte, holding back what RelayBody.chunks holds back; throws the body's failure. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    let part = 0;
    let offset = 0;
    while (sent < this.length) {
      const failure = this.failure;
      if (failure) throw failure;
      const available = this.passed ? this.received : Math.min(this.received, this.length - 1, this.heldFrom);
      if (available > sent) {
        const p = this.parts[part];
        const take = Math.min(p.length - offset, available - sent);
        const view = offset === 0 && take === p.length ? p : p.subarray(offset, offset + take);
        sent += take;
        offset += take;
        if (offset === p.length) {
          part++;
          offset = 0;
        }
        yield view;
        continue;
      }
      await this.arrival();
    }
  }

  private async read(stream: ReadableStream<Uint8Array>): Promise<void> {
    const reader = stream.getReader();
    try {
      for (;;) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch {
          throw clientLeft();
        }
        if (next.done) break;
        const chunk = next.value;
        if (chunk.length === 0) continue;
        const at = this.received;
        if (at + chunk.length > this.length) throw invalidArgument(`body longer than its Content-Length of ${this.length} bytes`);
        this.parts.push(chunk);
        this.received += chunk.length;
        if (this.check && !this.refused) {
          try {
            if (!this.check.push(chunk)) this.heldFrom = Math.min(this.heldFrom, at);
          } catch (err) {
            this.refused = err as Error;
          }
        }
        this.notify();
      }
      if (this.received !== this.length) throw invalidArgument(`body ended after ${this.received} of ${this.length} bytes`);
      this.check?.end(() => this.joined(this.length));
      this.passed = true;
    } catch (err) {
      this.failed = err as Error;
      reader.cancel().catch(() => {});
    }
    this.notify();
  }

  // The first `n` bytes in one array (no copy when one part holds them).
  private joined(n: number): Uint8Array {
    if (this.parts.length > 0 && this.parts[0].length >= n) return this.parts[0].subarray(0, n);
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of this.parts) {
      if (at >= n) break;
      const take = Math.min(p.length, n - at);
      out.set(take === p.length ? p : p.subarray(0, take), at);
      at += take;
    }
    return out;
  }

  private arrival(): Promise<void> {
    return new Promise((resolve) => this.wake.push(resolve));
  }

  private notify(): void {
    const waiting = this.wake;
    this.wake = [];
    for (const resolve of waiting) resolve();
  }
}
