/** Abusive clients on raw sockets, for the reliability suite: they send exactly the bytes given, then stall or leave. */
import { connect, type Socket } from 'node:net';

/** Opens a connection to `url`'s host and port and writes `head` (request line and headers) and `body` bytes. */
export async function rawClient(url: string, head: string, body: Uint8Array | string = ''): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(head);
  if (body.length) socket.write(body);
  return socket;
}

/** A POST head for `path`; `length` sets Content-Length, undefined sends a chunked body. */
export function postHead(path: string, length?: number, extra: Record<string, string> = {}): string {
  const lines = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json'];
  lines.push(length === undefined ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`);
  for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** One chunk of a chunked body. */
export const chunk = (data: string) => `${data.length.toString(16)}\r\n${data}\r\n`;

/** Closes `socket` and waits until it is closed. */
export function destroy(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
    socket.destroy();
  });
}

/** Resolves when `check()` is true, polling; rejects after `limitMs` with `what` (a bound against hangs, not a timing assertion). */
export async function eventually(check: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
