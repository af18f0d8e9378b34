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
    const next = chunkReader(stream, this.length);
    try {
      for (;;) {
        let chunk: Uint8Array | undefined;
        try {
          chunk = await next();
        } catch {
          throw clientLeft();
        }
        if (chunk === undefined) break;
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
      next.cancel();
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

/**
 * Bytes a relay reads at a time where the runtime lets it ask for that many (workerd's readAtLeast). Worker CPU per
 * 9 MB JSON request under `wrangler dev` (`npm run bench -- workersCpu`): 18.6 ms at 256 KiB, 15.1 at 1 MiB, 14.7 at
 * 2 MiB, 16.0 at 4 MiB. A relay passes nothing on before its first read completes, so bigger reads also delay the
 * first byte to the backend.
 */
const RELAY_READ_BYTES = 1024 * 1024;

// workerd's extension of the BYOB reader: resolves once at least `min` bytes are in `view` (or the stream ended).
interface ReadAtLeastReader {
  readAtLeast(min: number, view: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>>;
  read(view: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason?: unknown): Promise<void>;
}

/**
 * The chunks of a body of `length` bytes, undefined at its end. workerd hands a request body over in 4 KiB chunks,
 * and each costs a few promise turns in the relay and in the stream to the backend: 2,200 of them for a 9 MB JSON
 * body. Where the runtime has `readAtLeast`, the body is read RELAY_READ_BYTES at a time instead; elsewhere, as
 * the runtime hands it over.
 */
function chunkReader(stream: ReadableStream<Uint8Array>, length: number): (() => Promise<Uint8Array | undefined>) & { cancel(): void } {
  let byob: ReadAtLeastReader | undefined;
  try {
    const r = stream.getReader({ mode: 'byob' }) as unknown as Partial<ReadAtLeastReader>;
    if (typeof r.readAtLeast === 'function') byob = r as ReadAtLeastReader;
    else (r as { releaseLock(): void }).releaseLock();
  } catch {
    // Not a byte stream: read it as it comes.
  }
  if (!byob) {
    const reader = stream.getReader();
    const next = async () => {
      const r = await reader.read();
      return r.done ? undefined : r.value;
    };
    return Object.assign(next, { cancel: () => void reader.cancel().catch(() => {}) });
  }
  const reader = byob;
  let received = 0;
  const next = async () => {
    const want = Math.min(RELAY_READ_BYTES, length - received);
    // Past the declared length, one byte is enough to tell a longer body from the end.
    const r: { done: boolean; value?: Uint8Array } = want > 0 ? await reader.readAtLeast(want, new Uint8Array(want)) : await reader.read(new Uint8Array(1));
    if (r.done && (!r.value || r.value.length === 0)) return undefined;
    const chunk = r.value ?? new Uint8Array(0);
    received += chunk.length;
    return chunk;
  };
  return Object.assign(next, { cancel: () => void reader.cancel().catch(() => {}) });
}
