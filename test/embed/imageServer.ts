import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback HTTP server that serves fixed files and counts every request it gets. */
export interface ImageServer {
  url: string;
  /** Paths requested so far, in order. */
  hits: string[];
  close(): Promise<void>;
}

/**
 * Serves `files` (path → bytes) as image/png on 127.0.0.1, 404 for anything else. Paths in `chunked` go
 * out without Content-Length, in 64 KiB chunks, as a streaming server would send them.
 */
export async function startImageServer(files: Record<string, Uint8Array>, chunked: string[] = []): Promise<ImageServer> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const file = files[req.url ?? ''];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    if (!chunked.includes(req.url ?? '')) {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': file.byteLength }).end(file);
      return;
    }
    res.writeHead(200, { 'content-type': 'image/png' });
    for (let off = 0; off < file.byteLength; off += 65536) res.write(file.subarray(off, off + 65536));
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
