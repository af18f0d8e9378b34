import type { IncomingMessage } from 'node:http';
import { copyBytes } from '../../../shared/copyBytes';
import { readIncoming } from '../../../shared/http/incomingBody';
import type { BodyBufferPool } from '../../../shared/http/bodyBufferPool';
import { CancelledError } from '../../batching/dynamicBatcher';
import type { BodyReader, ByteBudget } from './byteBudget';

/** A body read whole, holding its share of the admission budget until `release()`. */
export interface AdmittedBody {
  bytes: Uint8Array;
  /** Gives the body's bytes back to the budget (idempotent). */
  release(): void;
  /** Lowers the share it holds to `bytes` (what stays in memory of the request once decoded). */
  shrink(bytes: number): void;
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
 * A body of declared length is copied, chunk by chunk as it arrives, into its final buffer from the pool: the
 * socket's chunks die young (no retained chunk list for the GC to trace) and there is no concatenation at the
 * end. A body that stalls gives its pooled buffer back, keeping only the bytes it received, so that stalled
 * clients hold no more memory than they sent; it takes a buffer again at the end. Chunked bodies collect
 * their chunks and are copied once.
 */
export async function readBody(req: IncomingMessage, o: ReadBodyOptions): Promise<AdmittedBody> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? -1 : Number(declared);
  const lead = o.lead ?? 0;
  const abort = new AbortController();
  const share: BodyReader = o.budget.reader(abort.signal);
  // Either `buffer` (declared length, bytes flowing) or `chunks` (chunked, or after a stall).
  let buffer: Uint8Array | null = null;
  const chunks: Uint8Array[] = [];
  const acquire = (n: number) => (o.pool ? o.pool.acquire(n, lead) : new Uint8Array(new ArrayBuffer(lead + n), lead, n));
  // Once a body has spilled (stalled), it stays in chunks and takes a buffer at the end.
  let spilled = false;
  const spill = (received: number) => {
    spilled = true;
    share.shrink(received);
    if (!buffer) return;
    chunks.push(buffer.slice(0, received));
    o.pool?.release(buffer);
    buffer = null;
  };
  // The buffer is taken once the reservation is granted, not before: a body waiting for room holds only the
  // chunk it arrived with, and the pool's buffers go round the bodies being read (taken before the wait, each
  // waiting body held a fresh buffer of its full length, and none came from the pool).
  const gathered = (n: number) => {
    const into = acquire(n);
    let off = 0;
    for (const c of chunks) {
      copyBytes(into, c, off);
      off += c.length;
    }
    chunks.length = 0;
    return into;
  };
  const toBuffer = () => {
    if (!buffer && !spilled && length >= 0) buffer = gathered(length);
  };
  let received: number;
  try {
    received = await readIncoming(
      req,
      { length, limit: o.limit, idleTimeoutMs: o.idleTimeoutMs, stallMs: o.stallMs ?? 2_000, onStall: spill, closed: () => new CancelledError() },
      (chunk, total) => {
        if (buffer) copyBytes(buffer, chunk, total - chunk.length);
        else chunks.push(chunk);
        // The whole declared length once bytes flow (again); a chunked body grows in steps.
        if (total > share.reserved) return share.reserve(length >= 0 ? length : total + CHUNKED_STEP).then(toBuffer);
      },
    );
  } catch (err) {
    abort.abort();
    chunks.length = 0;
    if (buffer) o.pool?.release(buffer);
    share.release();
    throw err;
  }
  // Only what arrived stays reserved while the body is decoded.
  share.shrink(received);
  const bytes: Uint8Array = buffer ?? gathered(received);
  return { bytes, release: () => share.release(), shrink: (n) => share.shrink(n) };
}
