/**
 * The log line of a request that failed on the gateway's side (5xx): the detail goes here, with the request id;
 * the client's body says only what it can act on. Covers every 5xx `errorResponse` built, thrown or deferred.
 */
import type { MiddlewareHandler } from 'hono';
import { InferenceError } from '../../../shared/errors';
import type { Logger } from '../../../shared/log/logger';
import type { GatewayEnv } from '../../env';

/** Options of `failureLog`. */
export interface FailureLogOptions {
  log: Logger;
}

/**
 * Middleware factory: after the answer, logs 'request failed': a 503 or 504 (no backend, a backend failing or
 * slow, the limiter down) at warn with its reason and cause, any other 5xx at error with the error itself. A 4xx
 * is the client's to fix, and its access line says enough.
 */
export function failureLog(options: FailureLogOptions): MiddlewareHandler<GatewayEnv> {
  const { log } = options;
  return async function failureLog(c, next) {
    await next();
    const err = c.get('failure');
    const status = c.res.status;
    if (err === undefined || status < 500) return;
    const fields = { requestId: c.get('requestId'), status, model: c.get('modelName'), tenant: c.get('tenant')?.name };
    if (err instanceof InferenceError && (status === 503 || status === 504)) {
      const cause = err.cause instanceof Error ? err.cause.message : undefined;
      log.warn({ ...fields, reason: err.reason, error: err.message, cause }, 'request failed');
    } else {
      log.error({ ...fields, err }, 'request failed');
    }
  };
}
