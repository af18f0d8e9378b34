/** Reads a Node request body straight from the socket stream into one buffer (no web-stream adapter). */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { InferenceError } from '../../shared/errors';
import type { StreamedBody } from '../backends/transport';
import { BodyBufferPool } from '../../shared/http/bodyBufferPool';
import { readBodyWithin, type BodyReader, type BodyRelay } from './readBody';
import { readIncoming } from '../../shared/http/incomingBody';
import { BODY_IDLE_TIMEOUT_MS, clientLeft, RelayBody, type RelayCheck } from './relayBody';

/** Where Node bodies with a Content-Length are read into; `forwardToBackend` gives them back after a 200. */
const nodeBodyPool = new BodyBufferPool();

const tooLarge = (limit: number) => new InferenceError('PAYLOAD_TOO_LARGE', `request body exceeds the limit of ${limit} bytes for this model`);

// @hono/node-server hands handlers the Node request as `c.env.incoming`.
const incomingOf = (c: Context) => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;

/** BodyReader for @hono/node-server: uses `c.env.incoming` when present, else the portable reader. */
export const nodeBodyReader: BodyReader = (c: Context, limit: number) => {
  const incoming = incomingOf(c);
  return incoming ? readIncomingWithin(incoming, limit) : readBodyWithin(c.req.raw, limit);
};

/** BodyRelay for @hono/node-server: bodies with a Content-Length are relayed from a pooled buffer. */
export const nodeBodyRelay: BodyRelay = (c, limit, check) => {
  const incoming = incomingOf(c);
  return incoming ? relayIncoming(incoming, limit, check) : undefined;
};

/** Gives a body `nodeBodyReader` or `nodeBodyRelay` lent out back to the pool. */
export function releaseNodeBody(body: Uint8Array | StreamedBody): void {
  if (body instanceof RelayBody) {
    if (body.complete) nodeBodyPool.release(body.buffer);
  } else if (body instanceof Uint8Array) {
    nodeBodyPool.release(body);
  }
}

// A body with a non-zero Content-Length, collected into a pooled buffer of exactly that size (one copy per
// chunk); 413 from the header alone when it is over the limit.
function relayIncoming(incoming: IncomingMessage, limit: number, check?: RelayCheck): RelayBody | undefined {
  const header = incoming.headers['content-length'];
  if (header === undefined) return undefined;
  const declared = Number(header);
  if (!(declared <= limit)) throw tooLarge(limit);
  return declared > 0 ? RelayBody.start(incoming, declared, nodeBodyPool, BODY_IDLE_TIMEOUT_MS, check) : undefined;
}

/** The whole body; with a Content-Length it is collected as a relayed body is, then handed over whole. */
async function readIncomingWithin(incoming: IncomingMessage, limit: number): Promise<Uint8Array> {
  const relay = relayIncoming(incoming, limit);
  if (relay) return relay.whole();
  const chunks: Buffer[] = [];
  const total = await readIncoming(incoming, { length: -1, limit, idleTimeoutMs: BODY_IDLE_TIMEOUT_MS, closed: clientLeft }, (chunk) => {
    chunks.push(chunk);
  }).catch((err: unknown) => Promise.reject(err instanceof InferenceError && err.code === 'PAYLOAD_TOO_LARGE' ? tooLarge(limit) : err));
  return Buffer.concat(chunks, total);
}
