import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { BodyBufferPool } from '../../shared/http/bodyBufferPool';
import { RelayBody } from '../../gateway/body/relayBody';
import { useIncomingRequests } from '../helpers/incomingRequest';

// A real node:http server hands each request's IncomingMessage to the test; the client writes by hand.
const open = useIncomingRequests();

async function relayOf(total: number, idleMs?: number): Promise<{ relay: RelayBody; write: (b: Uint8Array) => void; end: () => void; abort: () => void }> {
  const { client, req } = await open({ 'content-length': String(total) });
  const relay = RelayBody.start(req, total, new BodyBufferPool(), idleMs);
  return { relay, write: (b) => client.write(b), end: () => client.end(), abort: () => client.destroy() };
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

describe('RelayBody', () => {
  it('gives up with 408 on a client that stops sending mid-body, so it holds its buffer only that long', async () => {
    const { relay, write } = await relayOf(1000, 100);
    write(bytes(10, 1));
    await expect(relay.whole()).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT', message: 'request body stalled: no data for 100 ms; send the body without pauses' });
  });

  it('gives each pass the whole body from its first byte, following the arrivals', async () => {
    const body = bytes(300_000, 7);
    const { relay, write, end } = await relayOf(body.length);
    const early = collect(relay.chunks());
    write(body.subarray(0, 1000));
    expect(Buffer.from(await relay.prefix(1000))).toEqual(body.subarray(0, 1000));
    write(body.subarray(1000, 200_000));
    const late = collect(relay.chunks());
    write(body.subarray(200_000));
    end();
    // (Buffer.equals: a deep compare of 300 kB is slow in expect.)
    expect((await early).equals(body)).toBe(true);
    expect((await late).equals(body)).toBe(true);
    // A pass started after the end replays it all, as a retry does.
    expect((await collect(relay.chunks())).equals(body)).toBe(true);
    expect([relay.complete, relay.failure, Buffer.from(await relay.whole()).equals(body)]).toEqual([true, undefined, true]);
  });

  it('never yields the last byte before the body has ended', async () => {
    // A stream that has delivered every byte but not yet its end, which a socket can do.
    const stream = new PassThrough();
    const relay = RelayBody.start(stream as unknown as IncomingMessage, 5000, new BodyBufferPool());
    let yielded = 0;
    const pass = (async () => {
      for await (const c of relay.chunks()) yielded += c.length;
    })();
    stream.write(bytes(5000, 3));
    await vi.waitFor(() => expect(yielded).toBe(4999));
    expect(relay.complete).toBe(false);
    stream.end();
    await pass;
    expect(yielded).toBe(5000);
  });

  it('fails every pass, the prefix and whole() when the client goes away mid-body; done() still settles', async () => {
    const { relay, write, abort } = await relayOf(10_000);
    const pass = collect(relay.chunks());
    const prefix = relay.prefix(9000);
    write(bytes(4000, 1));
    await vi.waitFor(() => expect(relay.prefix(4000)).resolves.toHaveLength(4000));
    abort();
    await expect(pass).rejects.toThrow(/before the body ended|aborted/);
    await expect(prefix).rejects.toThrow(/before the body ended|aborted/);
    await expect(relay.whole()).rejects.toThrow();
    await expect(relay.done()).resolves.toBeUndefined();
    expect([relay.complete, relay.failure instanceof Error]).toEqual([false, true]);
  });
});
