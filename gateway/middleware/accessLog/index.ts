/**
 * One access line per request (shared/log/accessLog.ts): method, path, model, status, duration, bytes in and
 * out, request id and tenant. Outermost middleware, so it sees every answer, errors and 404s included.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { accessLogLine, type AccessLogFields } from '../../../shared/log/accessLog';
import type { Logger } from '../../../shared/log/logger';
import type { GatewayEnv } from '../../env';
import { pathnameOf } from '../../routes/modelPath';

/** Options of `accessLog`. */
export interface AccessLogOptions {
  log: Logger;
  /** Milliseconds from an arbitrary origin; defaults to performance.now. */
  now?: () => number;
}

/** Middleware factory: logs at `info` once the answer is ready, or, for a body of unknown length, once it is sent. */
export function accessLog(options: AccessLogOptions): MiddlewareHandler<GatewayEnv> {
  const { log } = options;
  const now = options.now ?? (() => performance.now());
  return async function accessLog(c, next) {
    const start = now();
    await next();
    const res = c.res;
    const fields = (bytesOut: number): AccessLogFields => ({
      method: c.req.method,
      path: pathnameOf(c.req.url),
      model: c.get('modelName'),
      status: res.status,
      durationMs: now() - start,
      bytesIn: bytesIn(c),
      bytesOut,
      requestId: c.get('requestId'),
      tenant: c.get('tenant')?.name,
    });
    const declared = res.headers.get('content-length');
    if (declared !== null || res.body === null) {
      log.info(...accessLogLine(fields(declared === null ? 0 : Number(declared))));
      return;
    }
    // No Content-Length (a relayed stream): count the bytes as they go out and log when the body ends or the
    // client goes away. Every answer the gateway builds itself carries a length, so this is the rare path.
    const done = fields(0);
    let sent = 0;
    let logged = false;
    const finish = () => {
      if (logged) return;
      logged = true;
      log.info(...accessLogLine({ ...done, bytesOut: sent }));
    };
    const reader = res.body.getReader();
    const counted = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done: ended, value } = await reader.read();
          if (ended) {
            controller.close();
            finish();
          } else {
            sent += value.byteLength;
            controller.enqueue(value);
          }
        } catch (err) {
          finish();
          controller.error(err);
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    });
    c.res = new Response(counted, res);
  };
}

// The declared length where there is one; else what validation read (a chunked body); else nothing was read.
function bytesIn(c: Context<GatewayEnv>): number {
  const declared = c.req.header('content-length');
  if (declared !== undefined && /^\d{1,15}$/.test(declared)) return Number(declared);
  const body = c.get('body');
  if (body === undefined) return 0;
  return body instanceof Uint8Array ? body.byteLength : body.length;
}
