/** Reads a Node request body straight from the socket stream into one buffer (no web-stream adapter). */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { InferenceError } from '../../shared/errors';
import { readBodyWithin, type BodyReader } from './readBody';

const tooLarge = (limit: number) => new InferenceError('PAYLOAD_TOO_LARGE', `request body exceeds the limit of ${limit} bytes for this model`);

/** BodyReader for @hono/node-server: uses `c.env.incoming` when present, else the portable reader. */
export const nodeBodyReader: BodyReader = (c: Context, limit: number) => {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming ? readIncomingWithin(incoming, limit) : readBodyWithin(c.req.raw, limit);
};

/** The whole body; with a Content-Length it lands in a buffer of exactly that size (one copy per chunk). */
export async function readIncomingWithin(incoming: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = incoming.headers['content-length'];
  if (declared !== undefined && !(Number(declared) <= limit)) throw tooLarge(limit);
  if (declared !== undefined) {
    const out = Buffer.allocUnsafe(Number(declared));
    let off = 0;
    for await (const chunk of incoming as AsyncIterable<Buffer>) {
      // Node's parser enforces Content-Length, so this only guards against a broken peer.
      if (off + chunk.length > out.length) throw new InferenceError('INVALID_ARGUMENT', 'body longer than its Content-Length');
      chunk.copy(out, off);
      off += chunk.length;
    }
    return off === out.length ? out : out.subarray(0, off);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      incoming.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}
