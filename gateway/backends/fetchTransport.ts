/** BackendTransport over the platform fetch (Workers; also what msw intercepts in unit tests). */
import { BackendConnectError, isStreamed, type BackendTransport, type StreamedBody } from './transport';

/** Options of the fetch transport. */
export interface FetchTransportOptions {
  /**
   * Send a body that is still arriving as a stream, while it arrives (Workers). Otherwise it is read whole
   * first (Node's fetch under msw, in unit tests).
   */
  streamBodies?: boolean;
}

// workerd's FixedLengthStream: a stream of known length, so the backend gets a Content-Length (not chunked).
type FixedLengthStreamCtor = new (length: number) => TransformStream<Uint8Array, Uint8Array>;

/** A body still arriving, as a request body stream; a refusal or a client gone errors the stream. */
function requestStream(body: StreamedBody): ReadableStream<Uint8Array> {
  const Fixed = (globalThis as { FixedLengthStream?: FixedLengthStreamCtor }).FixedLengthStream;
  if (Fixed) {
    const { readable, writable } = new Fixed(body.length);
    void (async () => {
      const writer = writable.getWriter();
      try {
        for await (const chunk of body.chunks()) await writer.write(chunk);
        await writer.close();
      } catch (err) {
        await writer.abort(err).catch(() => {});
      }
    })();
    return readable;
  }
  const pass = body.chunks()[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await pass.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await pass.return?.(undefined);
    },
  });
}

/**
 * fetch reports every network failure as a TypeError, with no way to tell "refused" from "reset after
 * sending"; both are treated as connect failures. KServe inference has no side effects, so the one
 * retry this allows can at worst repeat GPU work, never a result.
 */
export function fetchTransport(fetchImpl: typeof fetch = (input, init) => fetch(input, init), options: FetchTransportOptions = {}): BackendTransport {
  return async function send(target, req, signal) {
    const streamed = isStreamed(req.body) ? req.body : undefined;
    const stream = streamed !== undefined && options.streamBodies === true;
    const body = streamed ? (stream ? requestStream(streamed) : await streamed.whole()) : req.body;
    try {
      const init: RequestInit & { duplex?: 'half' } = {
        method: req.method,
        headers: req.headers,
        body: body as BodyInit | undefined,
        signal,
        redirect: 'manual',
        // A stream body is sent while it is read (the Fetch standard's half duplex).
        ...(stream && { duplex: 'half' as const }),
      };
      return await fetchImpl(target.url + req.path, init);
    } catch (err) {
      // The client stopped sending mid-body, or its body was refused: answered once it has all arrived.
      if (streamed?.failure) {
        await streamed.done();
        throw streamed.failure;
      }
      if (signal.aborted) throw err;
      if (err instanceof TypeError) throw new BackendConnectError(`${target.name}: ${err.message}`, { cause: err });
      throw err;
    }
  };
}
