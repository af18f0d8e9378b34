import { InferenceError } from '../../shared/errors';
import type { ServedModel } from './types';

/** Counts a finished request in the model's statistics and metrics: its duration in ns, and why it failed. */
export function recordOutcome(m: ServedModel, durationNs: number, err: unknown): void {
  if (err === null) m.telemetry.requestSucceeded(durationNs);
  else m.telemetry.requestFailed(durationNs, err instanceof InferenceError ? err.reason.toLowerCase() : 'internal');
}
