import { describe, expect, it } from 'vitest';
import { invalidArgument, unavailable } from '../../shared/errors';
import { readIncoming, type ChunkSink, type IncomingBodyOptions } from '../../shared/http/incomingBody';
import { useIncomingRequests } from '../helpers/incomingRequest';

// readIncoming is the one reader of Node bodies (backend and gateway): each path must settle once, with its error.
const open = useIncomingRequests();

const closed = () => new Error('client left');

/** A real request whose client the test drives by hand; `read` runs readIncoming on the server side. */
async function bodyOf(headers: Record<string, string>, o: Partial<IncomingBodyOptions>, sink: ChunkSink = () => {}) {
  const { client, req } = await open(headers);
  const declared = headers['content-length'];
  const result = readIncoming(req, { length: declared === undefined ? -1 : Number(declared), limit: 1000, idleTimeoutMs: 5000, closed, ...o }, sink);
  result.catch(() => {});
  return { result, req, client };
}

describe('readIncoming', () => {
  it('feeds every chunk in order with the running count, and resolves with the length', async () => {
    const seen: number[] = [];
    const parts: Buffer[] = [];
    const { result, client } = await bodyOf({ 'content-length': '300' }, {}, (chunk, received) => {
      parts.push(Buffer.from(chunk));
      seen.push(received);
    });
    client.write(Buffer.alloc(100, 1));
    await new Promise((r) => setTimeout(r, 20));
    client.end(Buffer.alloc(200, 2));
    expect(await result).toBe(300);
    expect(seen.at(-1)).toBe(300);
    expect(Buffer.concat(parts)).toEqual(Buffer.concat([Buffer.alloc(100, 1), Buffer.alloc(200, 2)]));
  });

  it('refuses a declared length over the limit before reading (413)', async () => {
    const { result } = await bodyOf({ 'content-length': '5000' }, {});
    await expect(result).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: 'request body of 5000 bytes exceeds the limit of 1000 bytes' });
  });

  it('counts a chunked body and refuses it once past the limit (413)', async () => {
    const { result, client } = await bodyOf({ 'transfer-encoding': 'chunked' }, {});
    client.write(Buffer.alloc(800));
    client.write(Buffer.alloc(800));
    await expect(result).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('gives up on a client that pauses too long (408), after telling onStall what it has', async () => {
    const stalls: number[] = [];
    const { result, client } = await bodyOf({ 'content-length': '500' }, { idleTimeoutMs: 150, stallMs: 50, onStall: (n) => stalls.push(n) });
    client.write(Buffer.alloc(40));
    await expect(result).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT', message: 'request body stalled: no data for 150 ms; send the body without pauses' });
    expect(stalls).toEqual([40]);
  });

  it('reports a client that leaves mid-body as closed()', async () => {
    const { result, client } = await bodyOf({ 'content-length': '500' }, {});
    client.write(Buffer.alloc(40));
    await new Promise((r) => setTimeout(r, 20));
    client.destroy();
    await expect(result).rejects.toThrow('client left');
  });

  it('settles at once for a request whose client had already gone', async () => {
    const { req, client } = await bodyOf({ 'content-length': '500' }, {});
    client.destroy();
    await new Promise((r) => req.once('close', r));
    await expect(readIncoming(req, { length: 500, limit: 1000, idleTimeoutMs: 60_000, closed }, () => {})).rejects.toThrow('client left');
  });

  it('pauses the stream while the sink waits (no timeout meanwhile), and fails with the sink\'s rejection', async () => {
    let admit!: () => void;
    const { result, client } = await bodyOf({ 'content-length': '200' }, { idleTimeoutMs: 100 }, (_chunk, received) =>
      received <= 100 ? new Promise<void>((r) => (admit = r)) : Promise.reject(unavailable('no room', 'overloaded')),
    );
    client.write(Buffer.alloc(100));
    // Longer than the idle timeout: a wait for the sink is not the client's stall.
    await new Promise((r) => setTimeout(r, 250));
    admit();
    client.end(Buffer.alloc(100));
    await expect(result).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'no room' });
  });

  it('fails with what the sink throws', async () => {
    const { result, client } = await bodyOf({ 'content-length': '10' }, {}, () => {
      throw invalidArgument('bad header');
    });
    client.end(Buffer.alloc(10));
    await expect(result).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'bad header' });
  });
});
