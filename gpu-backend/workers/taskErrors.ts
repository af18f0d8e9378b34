/** Errors crossing the worker boundary: a task's InferenceError comes back with its code, message and reason. */
import { InferenceError, type ErrorCode } from '../../shared/errors';

/** The structured-clone-safe form of an error thrown by a task. */
export interface SerializedTaskError {
  code: ErrorCode;
  message: string;
  reason: string;
}

/** An InferenceError keeps its code (also one rebuilt from another thread); anything else is INTERNAL, naming the task. */
export function toTaskError(err: unknown, kind: string): InferenceError {
  if (err instanceof InferenceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InferenceError('INTERNAL', `task '${kind}' failed: ${message}`);
}

/** Flattens a task error for postMessage. */
export function serializeTaskError(err: unknown, kind: string): SerializedTaskError {
  const e = toTaskError(err, kind);
  return { code: e.code, message: e.message, reason: e.reason };
}

/** Rebuilds the InferenceError on the caller's side. */
export function deserializeTaskError(e: SerializedTaskError): InferenceError {
  return new InferenceError(e.code, e.message, e.reason);
}
