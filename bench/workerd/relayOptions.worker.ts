/**
 * The ways a Worker can pass a request body on to a backend, for bench/workersRelayOptions.ts: each `?mode=` posts
 * the body to SINK (the bench's loopback server) and answers with what the sink counted. What each costs in the
 * Worker's workerd bounds what the gateway's relay (gateway/body/webRelayBody.ts) can cost.
 */
// workerd's globals, declared here: the bench's tsconfig has Node's types, not the Workers'.
declare const FixedLengthStream: new (length: number) => TransformStream<Uint8Array, Uint8Array>;
interface ReadAtLeastReader {
  readAtLeast(min: number, view: Uint8Array<ArrayBuffer>): Promise<{ done: boolean; value?: Uint8Array<ArrayBuffer> }>;
}

/** The body in chunks of `size` bytes, read into JavaScript as the gateway's relay reads it. */
async function* chunks(body: ReadableStream<Uint8Array>, length: number, size: number): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  const reader = body.getReader({ mode: 'byob' }) as unknown as ReadAtLeastReader;
  for (let got = 0; got < length; ) {
    const want = Math.min(size, length - got);
    const r = await reader.readAtLeast(want, new Uint8Array(want));
    if (!r.value || r.value.length === 0) break;
    got += r.value.length;
    yield r.value;
  }
}

/** Posts a body of `length` bytes, written by `fill`, while it is written (as the gateway does). */
async function relay(sink: string, length: number, fill: (w: WritableStreamDefaultWriter<Uint8Array>) => Promise<void>): Promise<Response> {
  const { readable, writable } = new FixedLengthStream(length);
  const writer = writable.getWriter();
  const writing = fill(writer).then(() => writer.close());
  const answer = await fetch(sink, { method: 'POST', body: readable });
  await writing;
  return new Response(await answer.text());
}

export default {
  async fetch(req: Request, env: { SINK: string }): Promise<Response> {
    const mode = new URL(req.url).searchParams.get('mode');
    const length = Number(req.headers.get('content-length'));
    const body = req.body!;
    switch (mode) {
      case 'native':
        return new Response(await (await fetch(env.SINK, { method: 'POST', body, headers: { 'content-length': String(length) } })).text());
      case 'read': {
        let n = 0;
        for await (const c of chunks(body, length, 256 * 1024)) n += c.length;
        return new Response(String(n));
      }
      case 'relay256k':
      case 'relay1m': {
        const size = mode === 'relay1m' ? 1 << 20 : 256 * 1024;
        return relay(env.SINK, length, async (w) => {
          for await (const c of chunks(body, length, size)) await w.write(c);
        });
      }
      case 'blob': {
        const parts: Uint8Array<ArrayBuffer>[] = [];
        for await (const c of chunks(body, length, 256 * 1024)) parts.push(c);
        return new Response(await (await fetch(env.SINK, { method: 'POST', body: new Blob(parts) })).text());
      }
      case 'whole':
        return new Response(await (await fetch(env.SINK, { method: 'POST', body: await req.arrayBuffer() })).text());
      case 'tee': {
        const [toSink, toScan] = body.tee();
        const scanning = (async () => {
          const r = toScan.getReader();
          while (!(await r.read()).done);
        })();
        const { readable, writable } = new FixedLengthStream(length);
        const piping = toSink.pipeTo(writable);
        const answer = await fetch(env.SINK, { method: 'POST', body: readable });
        await Promise.all([piping, scanning]);
        return new Response(await answer.text());
      }
      default:
        return new Response(`unknown mode ${mode}`, { status: 400 });
    }
  },
};
