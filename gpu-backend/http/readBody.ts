import type { IncomingMessage } from 'node:http';
import { InferenceError, invalidArgument } from '../../shared/errors';
import type { BodyBufferPool } from '../../shared/http/bodyBufferPool';
import { CancelledError } from '../batching/dynamicBatcher';
import type { BodyReader, ByteBudget } from './byteBudget';

/** A body read whole, holding its share of the admission budget until `release()`. */
export interface AdmittedBody {
  bytes: Uint8Array;
  /** Gives the body's bytes back to the budget (idempotent). */
  release(): void;
}

/** How a body is read. */
export interface ReadBodyOptions {
  /** Largest body accepted (413 above; before reading when Content-Length says so). */
  limit: number;
  /** Admission control: every chunk takes its size as it arrives. */
  budget: ByteBudget;
  /** Longest pause between two chunks before the read is given up with 408 (nginx's client_body_timeout). */
  idleTimeoutMs: number;
  /** Spare bytes before the body, so that a caller can align what follows a header of known length. */
  lead?: number;
  /** Where the whole body lands once complete (binary bodies); a fresh buffer otherwise. */
  pool?: BodyBufferPool;
}

/**
 * Reads a request body under the admission budget. It settles on every path: the body ends; it is too large
 * (413); its client pauses too long (408) or leaves (CancelledError, the request is then dropped); the budget
 * refuses it (503). On every failure the bytes it held go back to the budget.
 */
export function readBody(req: IncomingMessage, o: ReadBodyOptions): Promise<AdmittedBody> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? -1 : Number(declared);
  if (length > o.limit) {
    req.resume();
    return Promise.reject(tooLarge(length, o.limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    let waiting = false;
    let ended = false;
    let timer: NodeJS.Timeout | undefined;
    const abort = new AbortController();
    const share: BodyReader = o.budget.reader(abort.signal);
    const giveBack = () => share.release();
    const cleanup = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onError);
    };
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      abort.abort();
      chunks.length = 0;
      giveBack();
      reject(err);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(stalled(o.idleTimeoutMs)), o.idleTimeoutMs);
    };
    const finish = () => {
      if (settled) return;
      if (length >= 0 && received !== length) return fail(invalidArgument(`body ended after ${received} of ${length} bytes`));
      settled = true;
      cleanup();
      const lead = o.lead ?? 0;
      const bytes = o.pool ? o.pool.acquire(received, lead) : new Uint8Array(new ArrayBuffer(lead + received), lead, received);
      let off = 0;
      for (const c of chunks) {
        bytes.set(c, off);
        off += c.length;
      }
      chunks.length = 0;
      share.markComplete();
      resolve({ bytes, release: giveBack });
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > o.limit) {
        fail(tooLarge(received, o.limit));
        req.resume();
        return;
      }
      chunks.push(chunk);
      if (share.tryTake(chunk.length)) {
        arm();
        return;
      }
      // No room: stop reading this socket (TCP pushes back on the client) until the budget has room.
      req.pause();
      clearTimeout(timer);
      waiting = true;
      share.take(chunk.length).then(
        () => {
          waiting = false;
          if (settled) return giveBack();
          if (ended) return finish();
          arm();
          req.resume();
        },
        (err: Error) => fail(err),
      );
    };
    const onEnd = () => {
      ended = true;
      if (!waiting) finish();
    };
    const onClose = () => {
      if (!ended) fail(new CancelledError());
    };
    const onError = (err: Error) => fail(err instanceof InferenceError ? err : new CancelledError());
    // A request whose client left before we got here never emits another event: settle now.
    if (req.destroyed || req.readableAborted) return fail(new CancelledError());
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onError);
    arm();
  });
}

/** 413 for a body over the limit. */
export function tooLarge(size: number, limit: number): InferenceError {
  return new InferenceError('PAYLOAD_TOO_LARGE', `request body of ${size} bytes exceeds the limit of ${limit} bytes`, 'too_large');
}

function stalled(ms: number): InferenceError {
  return new InferenceError('REQUEST_TIMEOUT', `request body stalled: no data for ${ms} ms; send the body without pauses`, 'body_timeout');
}
