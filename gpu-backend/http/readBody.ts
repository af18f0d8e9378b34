import type { IncomingMessage } from 'node:http';
import { InferenceError, invalidArgument } from '../../shared/errors';
import type { BodyBufferPool } from '../../shared/http/bodyBufferPool';

/**
 * Reads a request body into one buffer (starting `lead` bytes into it; from `pool` when given and the length is
 * declared, else freshly allocated), refusing anything over `limit` bytes with 413, before reading it when
 * Content-Length says so.
 */
export function readBody(req: IncomingMessage, limit: number, lead = 0, pool?: BodyBufferPool): Promise<Uint8Array> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? -1 : Number(declared);
  if (length > limit) {
    req.resume();
    return Promise.reject(tooLarge(length, limit));
  }
  return new Promise((resolve, reject) => {
    // `lead` spare bytes before the body let a caller align what follows a header of known length.
    let buf: Uint8Array =
      length < 0 ? new Uint8Array(64 * 1024) : pool ? pool.acquire(length, lead) : new Uint8Array(new ArrayBuffer(lead + length), lead, length);
    let off = 0;
    req.on('data', (chunk: Buffer) => {
      if (off + chunk.length > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(off + chunk.length, limit));
        return;
      }
      if (off + chunk.length > buf.length) {
        const grown = new Uint8Array(Math.max(buf.length * 2, off + chunk.length));
        grown.set(buf.subarray(0, off));
        buf = grown;
      }
      buf.set(chunk, off);
      off += chunk.length;
    });
    req.on('end', () => {
      if (length >= 0 && off !== length) reject(invalidArgument(`body ended after ${off} of ${length} bytes`));
      else resolve(off === buf.length ? buf : buf.subarray(0, off));
    });
    req.on('error', reject);
  });
}

/** 413 for a body over the limit. */
export function tooLarge(size: number, limit: number): InferenceError {
  return new InferenceError('PAYLOAD_TOO_LARGE', `request body of ${size} bytes exceeds the limit of ${limit} bytes`, 'too_large');
}
