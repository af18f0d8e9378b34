// ListenerThreads with real threads (the Node gateway's) on copies of a real listening socket: a thread that dies
// is replaced, and its replacement accepts on a spare descriptor; close leaves no descriptor of the port open.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyKeysFile } from '../../gateway/auth/keysFile';
import { startGatewayOptionsSchema } from '../../gateway/nodeOptions';
import type { GatewayThreadInit } from '../../gateway/threads/messages';
import { ListenerThreads } from '../../gpu-backend/workers/listenerThreads';
import { silentLogger } from '../../shared/log/logger';

const GATEWAY_THREAD = new URL('../../gateway/threads/gatewayThread.ts', import.meta.url);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function listening(): Promise<Server> {
  const server = createServer((_, res) => res.end('main thread'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return server;
}

/** What answers GET /health on the port: the status and who served it (the main thread's stand-in or a thread). */
async function health(port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { headers: { connection: 'close' } });
  return { status: res.status, body: await res.text() };
}

describe('ListenerThreads', () => {
  it('replaces a thread that dies: the new one accepts on a spare descriptor of the same port', async () => {
    const server = await listening();
    const port = (server.address() as AddressInfo).port;
    // A backend that does not exist: the gateway's /health still answers, from the thread, saying so.
    const options = startGatewayOptionsSchema.parse({ port, backends: ['http://127.0.0.1:9'], healthIntervalMs: 60_000, logLevel: 'silent', httpThreads: 1 });
    const threads = await ListenerThreads.start<GatewayThreadInit>({
      count: 1,
      server,
      tasksModule: GATEWAY_THREAD,
      initFor: (index, fd, p) => ({ index, fd, port: p, options, keys: emptyKeysFile() }),
      log: silentLogger,
      what: 'test thread',
    });
    cleanups.push(() => threads.close());
    // From now on only the thread accepts.
    await new Promise((r) => server.close(r));
    const before = await health(port);
    expect(before.body).not.toBe('main thread');
    expect(JSON.parse(before.body)).toMatchObject({ live: true });

    await threads.kill(0);
    await vi.waitFor(async () => expect(JSON.parse((await health(port)).body)).toMatchObject({ live: true }), { timeout: 30_000, interval: 200 });
    expect(threads.size).toBe(1);

    await threads.close();
    await expect(health(port)).rejects.toThrow();
  });
});
