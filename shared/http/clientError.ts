/** Answers Node's HTTP parser errors (server 'clientError') in the protocol's error shape instead of an empty body. */
import type { Duplex } from 'node:stream';

const ANSWERS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'request headers too large'],
  HPE_INVALID_CONTENT_LENGTH: [400, 'Bad Request', 'malformed Content-Length header'],
  HPE_UNEXPECTED_CONTENT_LENGTH: [400, 'Bad Request', 'a request may not have both Content-Length and Transfer-Encoding'],
  // llhttp reports Content-Length together with Transfer-Encoding under this code too.
  HPE_INVALID_TRANSFER_ENCODING: [400, 'Bad Request', 'malformed Transfer-Encoding header, or Transfer-Encoding together with Content-Length'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large', 'chunk extensions too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'the request did not arrive in time'],
};

/**
 * For `server.on('clientError', answerClientError)`: a JSON `{"error"}` with the status Node's parser error
 * calls for (400, 408, 413, 431), then the connection closes. A socket already gone is just destroyed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] = ANSWERS[err.code ?? ''] ?? [400, 'Bad Request', `malformed HTTP request (${err.code ?? 'parse error'})`];
  const body = JSON.stringify({ error: message });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
