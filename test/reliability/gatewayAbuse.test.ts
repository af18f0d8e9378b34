/**
 * Issue 11, defect 7: the gateway read bodies four times larger than any backend accepts, and read any number of
 * them at once. Now it refuses a body over the backend's limit from its Content-Length alone, and caps the bytes
 * of bodies it holds at once, refusing more with a retryable 503 instead of growing its memory.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/node';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { keysFor } from '../gateway/support/tenants';
import { destroy, postHead, rawClient } from './abuse';

let backend: Backend;
let gateway: RunningGateway;
let key: string;
beforeAll(async () => {
  backend = await startTestBackend();
  const made = await keysFor({ t: { models: ['*'], rate: 1000, burst: 1000 } });
  key = made.keys.t;
  gateway = await startGateway({ port: 0, backends: [`a=${backend.url}`], keys: made.file, logLevel: 'silent', maxBodyWaitMs: 1000 });
});
afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});

/** The status line the gateway answers with, from a raw connection. */
function reply(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
  });
}

describe('gateway body limits', () => {
  it('answers 413 from Content-Length alone to a body over the backend limit (70 MB declared, 1 byte sent)', async () => {
    const s = await rawClient(gateway.url, postHead('/v2/models/embed_image/infer', 70_000_000, { authorization: `Bearer ${key}` }), '{');
    const text = await reply(s);
    expect(text).toMatch(/^HTTP\/1\.1 413/);
    expect(text).toContain('request body exceeds the limit of');
  });

  it('holds at most its in-flight budget of body bytes: past it, requests wait their turn, then get 503, and it serves again after', async () => {
    // Five clients declare 60 MB each and send a little: the budget (256 MiB) takes four.
    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => rawClient(gateway.url, postHead('/v2/models/embed_image/infer', 60_000_000, { authorization: `Bearer ${key}` }), '{"inputs":[')));
    const replies = clients.map(reply);
    const refused = await Promise.race([Promise.any(replies), new Promise<string>((r) => setTimeout(() => r('none'), 10_000))]);
    expect(refused).toMatch(/^HTTP\/1\.1 503/);
    expect(refused).toContain('gateway overloaded: too many request bodies in flight; retry shortly');
    await Promise.all(clients.map(destroy));
    const ok = await fetch(`${gateway.url}/v2/models/embed_text/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: JSON.stringify({ inputs: [{ name: 'INPUT_TEXT', shape: [1], datatype: 'BYTES', data: ['a cat'] }] }),
    });
    expect(ok.status).toBe(200);
  });
});
