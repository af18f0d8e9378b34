/** Propagates the caller's `X-Request-Id`, or generates one, and returns it on every response. */
import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from '../../env';
import { setResponseHeaders } from '../../respond/responseHeaders';

/** Options of `requestId`. */
export interface RequestIdOptions {
  /** Makes a new id; defaults to a random UUID. */
  generate?: () => string;
}

// Ids are echoed into logs and headers: keep them short and free of anything a log parser could trip on.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Middleware factory: sets `c.var.requestId` and the response's `X-Request-Id`. */
export function requestId(options: RequestIdOptions = {}): MiddlewareHandler<GatewayEnv> {
  const generate = options.generate ?? (() => crypto.randomUUID());
  return async function requestId(c, next) {
    const given = c.req.header('x-request-id');
    const id = given !== undefined && SAFE_ID.test(given) ? given : generate();
    c.set('requestId', id);
    await next();
    setResponseHeaders(c, { 'x-request-id': id });
  };
}
