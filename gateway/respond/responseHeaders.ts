/** Adds headers to the response a middleware's `next()` produced, without rebuilding that response. */
import type { Context } from 'hono';

/**
 * Sets `headers` on `c.res`. Hono's `c.header` after `next()` wraps the response anew on every call, which
 * also turns a buffered body into a stream; the gateway's responses have mutable headers (the Node transport
 * and `forwardToBackend` build them), so they are set in place. A response with immutable headers falls
 * back to `c.header`.
 */
export function setResponseHeaders(c: Context, headers: Record<string, string>): void {
  try {
    for (const name in headers) c.res.headers.set(name, headers[name]);
  } catch {
    for (const name in headers) c.header(name, headers[name]);
  }
}
