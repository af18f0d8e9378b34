import { invalidArgument } from '../../shared/errors';
import type { ServedModel } from './types';

/** Resolves a request's queue timeout under the model's queue policy, in ms (0 = none). */
export function queueTimeoutMs(m: Pick<ServedModel, 'config'>, parameters: Record<string, unknown>): number {
  const policy = m.config.dynamic_batching?.default_queue_policy;
  const fallback = (policy?.default_timeout_microseconds ?? 0) / 1000;
  const asked = parameters.timeout;
  if (asked === undefined) return fallback;
  if (typeof asked !== 'number' || !Number.isFinite(asked) || asked < 0) throw invalidArgument('parameter timeout must be a non-negative number of microseconds');
  return policy?.allow_timeout_override ? asked / 1000 : fallback;
}
