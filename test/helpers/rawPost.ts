import { request, type IncomingHttpHeaders } from 'node:http';

/** One POST on its own connection, with the moment its body has been handed to the socket. */
export interface RawExchange {
  /** Resolves once the whole body has been written. */
  uploaded: Promise<void>;
  response: Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>;
}

/** POSTs `body` over a fresh connection (no keep-alive pool), exposing upload completion as well as the reply. */
export function rawPost(url: string, body: Uint8Array | string, headers: Record<string, string>): RawExchange {
  let uploaded!: () => void;
  const uploadedP = new Promise<void>((resolve) => (uploaded = resolve));
  const response = new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('finish', () => uploaded());
    req.end(body);
  });
  return { uploaded: uploadedP, response };
}
