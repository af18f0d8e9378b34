import { createServer, request, type ClientRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/**
 * Real requests on loopback for tests of body readers: `open(headers)` starts a node:http server, POSTs to it with
 * `headers` and hands back the server's IncomingMessage with the client request, whose body the test writes by
 * hand. Each server is closed after its test (call this once at the top of the test file).
 */
export function useIncomingRequests(): (headers: Record<string, string>) => Promise<{ client: ClientRequest; req: IncomingMessage }> {
  let server: Server | undefined;
  afterEach(async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  });
  return async (headers) => {
    const incoming = new Promise<IncomingMessage>((resolve) => {
      server = createServer((req) => resolve(req));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const client = request(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/`, { method: 'POST', headers });
    client.on('error', () => {});
    client.flushHeaders();
    return { client, req: await incoming };
  };
}
