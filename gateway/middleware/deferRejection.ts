/** Deferred rejections: validation failures are answered by the rate limiter, after it charged for them. */
import type { Context } from 'hono';
import { InferenceError } from '../../shared/errors';
import type { GatewayEnv } from '../env';

/**
 * Runs a validation step unless an earlier one already failed; an InferenceError it throws is kept in
 * `c.var.rejection`, so rejected requests cost one token and carry RateLimit headers like the rest.
 */
export async function deferRejection(c: Context<GatewayEnv>, step: () => Promise<void> | void): Promise<void> {
  if (c.get('rejection')) return;
  try {
    await step();
  } catch (err) {
    if (!(err instanceof InferenceError)) throw err;
    c.set('rejection', err);
  }
}
