import type { IncomingMessage } from 'node:http';
import { readIncoming } from '../../../shared/http/incomingBody';
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
 *
 * Chunks are kept as they come and copied once, at the end, into the body's buffer (from the pool): a body that
 * has not all arrived holds only the memory it received (a pooled buffer of the declared size would be held
 * whole by a client that stalls after its first byte).
 */
export async function readBody(req: IncomingMessage, o: ReadBodyOptions): Promise<AdmittedBody> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? -1 : Number(declared);
  const abort = new AbortController();
  const share: BodyReader = o.budget.reader(abort.signal);
  const chunks: Buffer[] = [];
  let received: number;
  try {
    received = await readIncoming(
      req,
      { length, limit: o.limit, idleTimeoutMs: o.idleTimeoutMs, stallMs: o.stallMs ?? 2_000, onStall: (n) => share.shrink(n), closed: () => new CancelledError() },
      (chunk, total) => {
        chunks.push(chunk);
        // The whole declared length once bytes flow (again); a chunked body grows in steps.
        if (total > share.reserved) return share.reserve(length >= 0 ? length : total + CHUNKED_STEP);
      },
    );
  } catch (err) {
    abort.abort();
    chunks.length = 0;
    share.release();
    throw err;
  }
  // Only what arrived stays reserved while the body is decoded.
  share.shrink(received);
  const lead = o.lead ?? 0;
  const bytes = o.pool ? o.pool.acquire(received, lead) : new Uint8Array(new ArrayBuffer(lead + received), lead, received);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  return { bytes, release: () => share.release() };
}
