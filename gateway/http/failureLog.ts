/** The log line of a request that failed on the gateway's side: the detail goes here, with the request id. */
import type { Context } from 'hono';
import { InferenceError } from '../../shared/errors';
import type { Logger } from '../../shared/log/logger';
import type { GatewayEnv } from './env';

/**
 * Logs a 5xx: 503 and 504 (no backend, a backend failing or slow) at warn with the reason, anything else at
 * error with the error itself. A 4xx is the client's to fix and its access line says enough.
 */
export function logFailure(log: Logger, c: Context<GatewayEnv>, err: unknown, status: number): void {
  if (status < 500) return;
  const fields = { requestId: c.get('requestId'), status, model: c.get('modelName'), tenant: c.get('tenant')?.name };
  if (err instanceof InferenceError && (status === 503 || status === 504)) {
    log.warn({ ...fields, reason: err.reason, error: err.message }, status === 504 ? 'backend timed out' : 'backend unavailable');
  } else {
    log.error({ ...fields, err }, 'request failed');
  }
}
