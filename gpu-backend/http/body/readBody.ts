import type { IncomingMessage } from 'node:http';
import { InferenceError, invalidArgument } from '../../../shared/errors';
import type { BodyBufferPool } from '../../../shared/http/bodyBufferPool';
import { CancelledError } from '../../batching/dynamicBatcher';
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
  /** Admission control (see ByteBudget). */
  budget: ByteBudget;
  /** Longest pause between two chunks before the read is given up with 408 (nginx's client_body_timeout). */
  idleTimeoutMs: number;
  /** A pause after which the body gives back the part of its reservation it has not received yet. */
  stallMs?: number;
  /** Spare bytes before the body, so that a caller can align what follows a header of known length. */
  lead?: number;
  /** Where the whole body lands once complete (binary bodies); a fresh buffer otherwise. */
  pool?: BodyBufferPool;
}

// A body of unknown length (chunked) reserves what it has plus this much, then grows in such steps.
const CHUNKED_STEP = 1024 * 1024;

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
  const stallMs = Math.min(o.stallMs ?? 2_000, o.idleTimeoutMs);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    let waiting = false;
    let ended = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let stallTimer: NodeJS.Timeout | undefined;
    const abort = new AbortController();
    const share: BodyReader = o.budget.reader(abort.signal);
    const cleanup = () => {
      clearTimeout(idleTimer);
      clearTimeout(stallTimer);
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
      share.release();
      reject(err);
    };
    // Between chunks: after stallMs the unreceived part of the reservation goes back; after idleTimeoutMs, 408.
    const arm = () => {
      clearTimeout(idleTimer);
      clearTimeout(stallTimer);
      idleTimer = setTimeout(() => fail(stalled(o.idleTimeoutMs)), o.idleTimeoutMs);
      stallTimer = setTimeout(() => share.shrink(received), stallMs);
    };
    const finish = () => {
      if (settled) return;
      if (length >= 0 && received !== length) return fail(invalidArgument(`body ended after ${received} of ${length} bytes`));
      settled = true;
      cleanup();
      // Only what arrived stays reserved while the body is decoded.
      share.shrink(received);
      const lead = o.lead ?? 0;
      const bytes = o.pool ? o.pool.acquire(received, lead) : new Uint8Array(new ArrayBuffer(lead + received), lead, received);
      let off = 0;
      for (const c of chunks) {
        bytes.set(c, off);
        off += c.length;
      }
      chunks.length = 0;
      resolve({ bytes, release: () => share.release() });
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > o.limit) {
        fail(tooLarge(received, o.limit));
        req.resume();
        return;
      }
      chunks.push(chunk);
      // The whole declared length once bytes flow (again); a chunked body grows in steps.
      const want = length >= 0 ? length : received + CHUNKED_STEP;
      if (received <= share.reserved) return arm();
      req.pause();
      clearTimeout(idleTimer);
      clearTimeout(stallTimer);
      waiting = true;
      share.reserve(want).then(
        () => {
          waiting = false;
          if (settled) return;
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
