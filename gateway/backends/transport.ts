/** How the pool talks HTTP to one backend; Node uses undici pools, Workers and tests use fetch. */

/** A backend as configured: a display name (shown in /status) and its base URL (never shown). */
export interface BackendTarget {
  name: string;
  url: string;
}

/** One request to a backend; `path` is already canonical (built by the gateway, never the client's). */
export interface BackendRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/** Sends one request; resolves with the backend's response, rejects on transport failure or abort. */
export type BackendTransport = (target: BackendTarget, req: BackendRequest, signal: AbortSignal) => Promise<Response>;

/**
 * The request never reached the backend's application (refused, unreachable, or the connection
 * closed before any response), so sending it to another backend cannot duplicate a result.
 */
export class BackendConnectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackendConnectError';
  }
}
