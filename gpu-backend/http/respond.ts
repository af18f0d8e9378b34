import type { ServerResponse } from 'node:http';
import { toErrorResponse } from '../../shared/errors';
import { DRAINING_HEADER } from '../../shared/protocol';
import type { EncodedResponse } from './inferCodec';

/** Sends a JSON body with the given status. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes an encoded infer response: JSON, or the binary extension's header length and bytes. */
export function sendInferResponse(res: ServerResponse, encoded: EncodedResponse): void {
  if (encoded.headerLength === undefined) return sendJson(res, 200, encoded.body);
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'inference-header-content-length': encoded.headerLength,
    'content-length': (encoded.body as Uint8Array).byteLength,
  });
  res.end(encoded.body);
}

/** Where a 5xx's detail goes: the log, with the request id the client was given. */
export interface ErrorLog {
  error(obj: object, msg?: string): void;
}

/**
 * The backend's one mapping from an error to `{"error": "..."}` with Triton's status. A 500 shows the client
 * only the request id (set as the response's x-request-id); its detail goes to `log`.
 */
export function sendError(res: ServerResponse, err: unknown, log?: ErrorLog): number {
  const requestId = res.getHeader('x-request-id') as string | undefined;
  const { status, body, error } = toErrorResponse(err, requestId);
  // The client left: there is nobody to answer (a 5xx's detail still goes to the log).
  if (res.destroyed) {
    if (status === 500) log?.error({ err: err instanceof Error ? err : new Error(String(err)), requestId }, 'request failed after the client left');
    return status;
  }
  if (status === 500) log?.error({ err: err instanceof Error ? err : new Error(String(err)), requestId }, 'request failed');
  // Refused while draining: tell the client (the gateway) it may retry elsewhere, and drop the connection.
  const headers: Record<string, string> = error.reason === 'shutdown' ? { [DRAINING_HEADER]: '1', connection: 'close' } : {};
  // The rest of the body will not be read: close the connection once the answer is out.
  if (error.code === 'REQUEST_TIMEOUT' || error.code === 'PAYLOAD_TOO_LARGE') headers.connection = 'close';
  if (!res.headersSent) sendJson(res, status, body, headers);
  else res.destroy();
  return status;
}
