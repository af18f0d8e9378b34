/**
 * The tenant's token bucket: takes `c.var.cost` tokens, answers 429 with `Retry-After` when they are
 * not there, and puts `RateLimit-Limit/Remaining/Reset` on every answer it lets through.
 */
import type { MiddlewareHandler } from 'hono';
import { InferenceError } from '../../../shared/errors';
import { silentLogger, type Logger } from '../../../shared/log/logger';
import { errorResponse } from '../../respond/errorResponse';
import type { GatewayEnv } from '../../env';
import { setResponseHeaders } from '../../respond/responseHeaders';
import type { RateDecision, RateLimiter } from '../../types';

/** What happens when the limiter cannot be reached: refuse (503, the default) or let traffic through. */
export type LimiterFailureMode = 'closed' | 'open';

/** Options of `rateLimit`. */
export interface RateLimitOptions {
  limiter: RateLimiter;
  onLimiterError?: LimiterFailureMode;
  /** Where 429s (info) and, failing open, an unreachable limiter (warn) are logged. */
  log?: Logger;
}

function rateHeaders(d: RateDecision): Record<string, string> {
  return {
    'RateLimit-Limit': String(d.limit),
    'RateLimit-Remaining': String(d.remaining),
    'RateLimit-Reset': String(d.resetSeconds),
  };
}

/** Middleware factory; fails closed unless told otherwise. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<GatewayEnv> {
  const { limiter } = options;
  const failOpen = options.onLimiterError === 'open';
  const log = options.log ?? silentLogger;
  return async function rateLimit(c, next) {
    const tenant = c.get('tenant');
    let rejection = c.get('rejection');
    let cost = rejection ? 1 : c.get('cost') ?? 1;
    if (cost > tenant.burst) {
      rejection = new InferenceError(
        'PAYLOAD_TOO_LARGE',
        `a batch of ${cost} exceeds tenant '${tenant.name}' burst of ${tenant.burst}; send at most ${tenant.burst} per request`,
      );
      cost = 1;
    }
    let decision: RateDecision;
    try {
      decision = await limiter.take(tenant, cost);
    } catch (err) {
      if (!failOpen) {
        // The cause stays out of the answer; the failure log (middleware/failureLog) writes it.
        const unavailable = Object.assign(new InferenceError('UNAVAILABLE', 'rate limiter unavailable; try again shortly', 'rate_limiter'), { cause: err });
        return errorResponse(c, unavailable, { 'Retry-After': '1' });
      }
      log.warn({ requestId: c.get('requestId'), tenant: tenant.name, error: (err as Error)?.message }, 'rate limiter unavailable; serving without a quota');
      // Fail-open: serve without a quota answer (and so without RateLimit headers).
      if (rejection) return errorResponse(c, rejection);
      return next();
    }
    const headers = rateHeaders(decision);
    if (!decision.allowed) {
      log.info({ requestId: c.get('requestId'), status: 429, tenant: tenant.name, cost, retryAfterSeconds: decision.retryAfterSeconds }, 'rate limited');
      return errorResponse(
        c,
        new InferenceError('RATE_LIMITED', `rate limit exceeded: this request needs ${cost} token(s); retry in ${decision.retryAfterSeconds} s`),
        { ...headers, 'Retry-After': String(decision.retryAfterSeconds) },
      );
    }
    if (rejection) return errorResponse(c, rejection, headers);
    await next();
    setResponseHeaders(c, headers);
  };
}
