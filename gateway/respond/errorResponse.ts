/** The gateway's one mapping from errors to `{"error": ...}` responses (status from shared/errors). */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { toErrorResponse } from '../../shared/errors';
import type { GatewayEnv } from '../env';
import { jsonHeaders } from './jsonHeaders';

/**
 * JSON error response for any thrown value; unknown errors never carry their stack. The error itself is kept in
 * `c.var.failure` for the failure log (middleware/failureLog).
 */
export function errorResponse(c: Context<GatewayEnv>, err: unknown, headers?: Record<string, string>): Response {
  const { status, body } = toErrorResponse(err);
  c.set('failure', err);
  const text = JSON.stringify(body);
  return c.body(text, status as ContentfulStatusCode, { ...jsonHeaders(text), ...headers });
}
