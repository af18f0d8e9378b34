/** How the pool talks HTTP to one backend; Node uses undici pools, Workers and tests use fetch. */

/** A backend as configured: a display name (shown in /status) and its base URL (never shown). */
export interface BackendTarget {
  name: string;
  url: string;
}

/**
 * A body still arriving from the client (Node). `chunks()` gives a fresh pass from the first byte each time,
 * so a retry replays it; `whole()` waits for all of it. See gateway/body/relayBody.ts.
 */
export interface StreamedBody {
  readonly length: number;
  /**
   * Why the client's body broke off or was refused, if it was: then a failed send is the client's doing, not the
   * backend's. Final once `done()` has settled.
   */
  readonly failure: Error | undefined;
  chunks(): AsyncIterable<Uint8Array>;
  whole(): Promise<Uint8Array>;
  /** Settles when the body has ended or failed; never rejects. */
  done(): Promise<void>;
}

/** True for a body still arriving, false for bytes in hand (or no body). */
export function isStreamed(body: Uint8Array | StreamedBody | undefined): body is StreamedBody {
  return body !== undefined && !(body instanceof Uint8Array);
}

/** One request to a backend; `path` is already canonical (built by the gateway, never the client's). */
export interface BackendRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array | StreamedBody;
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
