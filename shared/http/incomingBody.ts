/**
 * The one reader of Node request bodies (backend and gateway): it feeds each chunk to a sink and settles exactly
 * once, on every path a hostile or unlucky client can take.
 */
import type { IncomingMessage } from 'node:http';
import { InferenceError, invalidArgument } from '../errors';

/** How a body is read. */
export interface IncomingBodyOptions {
  /** The declared Content-Length, or -1 for a chunked body. */
  length: number;
  /** Largest body accepted: 413 past it, and the rest drains so that the connection can carry the answer. */
  limit: number;
  /** Longest pause between two chunks: 408 past it (nginx's client_body_timeout). */
  idleTimeoutMs: number;
  /** A shorter pause after which `onStall(received)` is called (the backend gives back what it has not received). */
  stallMs?: number;
  onStall?(received: number): void;
  /** What a client that leaves (or whose socket fails) mid-body is reported as. */
  closed(): Error;
}

/**
 * Takes each chunk in arrival order, with the bytes received so far (this chunk included). A returned promise
 * pauses the stream (and its timers) until it settles; a rejection fails the body.
 */
export type ChunkSink = (chunk: Buffer, received: number) => void | Promise<void>;

/** 413 for a body over the limit. */
function bodyTooLarge(size: number, limit: number): InferenceError {
  return new InferenceError('PAYLOAD_TOO_LARGE', `request body of ${size} bytes exceeds the limit of ${limit} bytes`, 'too_large');
}

/** 408 for a body whose client stopped sending. */
function bodyStalled(ms: number): InferenceError {
  return new InferenceError('REQUEST_TIMEOUT', `request body stalled: no data for ${ms} ms; send the body without pauses`, 'body_timeout');
}

/**
 * Reads `incoming`'s body into `sink`; resolves with its length once it has ended with exactly the declared
 * length. Rejects with 413 (declared or counted over the limit), 408 (a pause too long), 400 (shorter or longer
 * than declared) or `closed()` (the client left). Listeners are removed when it settles; an error the socket
 * raises afterwards is swallowed.
 */
export function readIncoming(incoming: IncomingMessage, o: IncomingBodyOptions, sink: ChunkSink): Promise<number> {
  if (o.length > o.limit) {
    incoming.resume();
    return Promise.reject(bodyTooLarge(o.length, o.limit));
  }
  const stallMs = Math.min(o.stallMs ?? Infinity, o.idleTimeoutMs);
  return new Promise((resolve, reject) => {
    let received = 0;
    let settled = false;
    let ended = false;
    let waiting = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let stallTimer: NodeJS.Timeout | undefined;
    const pauseTimers = () => {
      clearTimeout(idleTimer);
      clearTimeout(stallTimer);
    };
    const detach = () => {
      pauseTimers();
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('close', onClose);
    };
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      detach();
      reject(err);
    };
    const finish = () => {
      if (settled) return;
      if (o.length >= 0 && received !== o.length) return fail(invalidArgument(`body ended after ${received} of ${o.length} bytes`));
      settled = true;
      detach();
      resolve(received);
    };
    const arm = () => {
      pauseTimers();
      idleTimer = setTimeout(() => fail(bodyStalled(o.idleTimeoutMs)), o.idleTimeoutMs);
      if (o.onStall && stallMs < o.idleTimeoutMs) stallTimer = setTimeout(() => o.onStall!(received), stallMs);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (o.length >= 0 && received > o.length) return fail(invalidArgument(`body longer than its Content-Length of ${o.length} bytes`));
      if (received > o.limit) {
        fail(bodyTooLarge(received, o.limit));
        incoming.resume();
        return;
      }
      let next: void | Promise<void>;
      try {
        next = sink(chunk, received);
      } catch (err) {
        return fail(err as Error);
      }
      if (!next) return arm();
      incoming.pause();
      pauseTimers();
      waiting = true;
      next.then(
        () => {
          waiting = false;
          if (settled) return;
          if (ended) return finish();
          arm();
          incoming.resume();
        },
        (err: Error) => fail(err),
      );
    };
    const onEnd = () => {
      ended = true;
      if (!waiting) finish();
    };
    const onClose = () => {
      if (!ended) fail(o.closed());
    };
    // A request whose client left before we got here never emits another event: settle now.
    if (incoming.destroyed || incoming.readableAborted) return fail(o.closed());
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('close', onClose);
    incoming.on('error', (err) => fail(err instanceof InferenceError ? err : o.closed()));
    arm();
  });
}
