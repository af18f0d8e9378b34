import type { ServerResponse } from 'node:http';
import { toErrorResponse } from '../../shared/errors';

/** Sends a JSON body with the given status. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The backend's one mapping from an error to `{"error": "..."}` with Triton's status. */
export function sendError(res: ServerResponse, err: unknown): number {
  const { status, body } = toErrorResponse(err);
  if (!res.headersSent) sendJson(res, status, body);
  else res.destroy();
  return status;
}
