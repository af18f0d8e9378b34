import type { IncomingMessage } from 'node:http';
import type { BodyBufferPool } from '../../../shared/http/bodyBufferPool';
import type { ByteBudget } from './byteBudget';
import { readBody } from './readBody';

/** How request bodies are admitted (resolved from the backend options at start-up). */
export interface BodyAdmission {
  budget: ByteBudget;
  maxBodyBytes: number;
  /** Longest pause between two chunks of a body (408 past it). */
  bodyIdleTimeoutMs: number;
}

/**
 * Keeps a request's share of the admission budget past `use`, at `bytes` (its decoded tensors, or the body its
 * tensors are views of): what a queued request holds in memory stays counted until the request is done. Returns
 * the function that gives it back (idempotent).
 */
export type KeepAdmitted = (bytes: number) => () => void;

/**
 * Reads a request body under the admission budget (see readBody) and hands it to `use`; its bytes count against
 * the budget until `use` (decoding, validation) is done, or, if `use` calls `keep`, until the request gives its
 * share back. `lead` spare bytes go before the body; `pool` is where a binary body lands.
 */
export async function withAdmittedBody<T>(
  admission: BodyAdmission,
  req: IncomingMessage,
  use: (body: Uint8Array, keep: KeepAdmitted) => Promise<T> | T,
  place: { lead?: number; pool?: BodyBufferPool } = {},
): Promise<T> {
  const body = await readBody(req, { limit: admission.maxBodyBytes, budget: admission.budget, idleTimeoutMs: admission.bodyIdleTimeoutMs, ...place });
  let kept = false;
  const keep: KeepAdmitted = (bytes) => {
    kept = true;
    body.shrink(bytes);
    return () => body.release();
  };
  let result: T;
  try {
    result = await use(body.bytes, keep);
  } catch (err) {
    body.release();
    throw err;
  }
  if (!kept) body.release();
  return result;
}
