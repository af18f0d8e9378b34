import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Header a test puts on a request to follow it on the server side. */
export const TEST_REQUEST_HEADER = 'x-test-request';

/**
 * Records which tagged requests the server has received and which it has seen close. The backend's own
 * 'request' listener is registered first, so by the time a tag shows up in `closed`, the backend's close
 * handlers have already run.
 */
export function trackRequests(server: Server): { seen: Set<string>; closed: Set<string>; stop(): void } {
  const seen = new Set<string>();
  const closed = new Set<string>();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const tag = req.headers[TEST_REQUEST_HEADER];
    if (typeof tag !== 'string') return;
    seen.add(tag);
    res.once('close', () => closed.add(tag));
  };
  server.on('request', onRequest);
  return { seen, closed, stop: () => void server.off('request', onRequest) };
}
