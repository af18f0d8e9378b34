/** Reads a request body once, refusing (413) anything over the limit before or while it arrives. */
import type { Context } from 'hono';
import { InferenceError } from '../../shared/errors';
import { readStreamWithin } from '../../shared/http/readStreamWithin';
import type { StreamedBody } from '../backends/transport';
import type { RelayCheck } from './relayBody';

/** Reads the body of the request in `c`, refusing more than `limit` bytes (413). Runtimes may supply a faster one. */
export type BodyReader = (c: Context, limit: number) => Promise<Uint8Array>;

/**
 * Starts relaying the body of the request in `c` while it arrives, or returns undefined where the runtime
 * cannot (no Node request, no Content-Length); 413 when the declared length is over `limit`. A `check` sees
 * each chunk before it can go on (see RelayCheck).
 */
export type BodyRelay = (c: Context, limit: number, check?: RelayCheck) => RelayedBody | undefined;

/** A body being relayed: what the transport streams, plus what validation waits on. */
export interface RelayedBody extends StreamedBody {
  /** The first `n` bytes, once they are in (rejects if the body fails or is shorter). */
  prefix(n: number): Promise<Uint8Array>;
  /** Resolves once the body has ended and passed its check; rejects if it failed or was refused. */
  ended(): Promise<void>;
}

/** The portable BodyReader (Workers, tests): the Fetch API body. */
export const webBodyReader: BodyReader = (c, limit) => readBodyWithin(c.req.raw, limit);

const tooLarge = (limit: number) => new InferenceError('PAYLOAD_TOO_LARGE', `request body exceeds the limit of ${limit} bytes for this model`);

/** The whole body as bytes; 413 from Content-Length alone when it is declared too large. */
export async function readBodyWithin(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers.get('content-length');
  if (declared !== null && !(Number(declared) <= limit)) throw tooLarge(limit);
  if (!req.body) return new Uint8Array(0);
  // With a declared length the runtime enforces it: one read into one buffer.
  if (declared !== null) return new Uint8Array(await req.arrayBuffer());
  return readStreamWithin(req.body, limit, () => tooLarge(limit));
}

/**
 * Subscribes to the client leaving before its body is read (for a request waiting for room): the Node request's
 * `close`, or the Fetch request's signal. Returns the unsubscribe.
 */
export function clientDeparture(c: Context): (left: () => void) => () => void {
  return (left) => {
    const incoming = (c.env as { incoming?: NodeJS.EventEmitter } | undefined)?.incoming;
    if (incoming) {
      incoming.once('close', left);
      return () => incoming.off('close', left);
    }
    const signal = c.req.raw.signal;
    signal.addEventListener('abort', left, { once: true });
    return () => signal.removeEventListener('abort', left);
  };
}
