/** Reads a Node request body straight from the socket stream into one buffer (no web-stream adapter). */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { InferenceError } from '../../shared/errors';
import type { StreamedBody } from '../backends/transport';
import { BodyBufferPool } from '../../shared/http/bodyBufferPool';
import { readBodyWithin, type BodyReader, type BodyRelay } from './readBody';
import { RelayBody } from './relayBody';

/** Where Node bodies with a Content-Length are read into; `forwardToBackend` gives them back after a 200. */
export const nodeBodyPool = new BodyBufferPool();

const tooLarge = (limit: number) => new InferenceError('PAYLOAD_TOO_LARGE', `request body exceeds the limit of ${limit} bytes for this model`);

/** BodyReader for @hono/node-server: uses `c.env.incoming` when present, else the portable reader. */
export const nodeBodyReader: BodyReader = (c: Context, limit: number) => {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming ? readIncomingWithin(incoming, limit) : readBodyWithin(c.req.raw, limit);
};

/** BodyRelay for @hono/node-server: bodies with a Content-Length are relayed from a pooled buffer. */
export const nodeBodyRelay: BodyRelay = (c: Context, limit: number) => {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const header = incoming?.headers['content-length'];
  if (!incoming || header === undefined) return undefined;
  const declared = Number(header);
  if (!(declared <= limit)) throw tooLarge(limit);
  return declared > 0 ? RelayBody.start(incoming, declared, nodeBodyPool) : undefined;
};

/** Gives a body `nodeBodyReader` or `nodeBodyRelay` lent out back to the pool. */
export function releaseNodeBody(body: Uint8Array | StreamedBody): void {
  if (body instanceof RelayBody) {
    if (body.complete) nodeBodyPool.release(body.buffer);
  } else if (body instanceof Uint8Array) {
    nodeBodyPool.release(body);
  }
}

/** The whole body; with a Content-Length it lands in a buffer of exactly that size (one copy per chunk). */
export function readIncomingWithin(incoming: IncomingMessage, limit: number): Promise<Uint8Array> {
  const header = incoming.headers['content-length'];
  const declared = header === undefined ? undefined : Number(header);
  if (declared !== undefined && !(declared <= limit)) return Promise.reject(tooLarge(limit));
  // Events rather than for-await: leaving a for-await early destroys the stream, and with it a socket
  // that should stay open to carry the 413 and further requests. Here an over-long body just stops being
  // collected; the stream keeps flowing and drains.
  return new Promise((resolve, reject) => {
    const out = declared !== undefined ? nodeBodyPool.acquire(declared) : undefined;
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (err?: Error) => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      if (err) reject(err);
    };
    const onData = (chunk: Buffer) => {
      if (out) {
        // Node's parser enforces Content-Length, so this only guards against a broken peer.
        if (total + chunk.length > out.length) return finish(new InferenceError('INVALID_ARGUMENT', 'body longer than its Content-Length'));
        chunk.copy(out, total);
      } else {
        if (total + chunk.length > limit) return finish(tooLarge(limit));
        chunks.push(chunk);
      }
      total += chunk.length;
    };
    const onEnd = () => {
      finish();
      resolve(out ? (total === out.length ? out : out.subarray(0, total)) : Buffer.concat(chunks, total));
    };
    const onError = (err: Error) => finish(err);
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
  });
}
