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
 * Reads a request body under the admission budget (see readBody) and hands it to `use`; its bytes count against
 * the budget until `use` (decoding, validation) is done. `lead` spare bytes go before the body; `pool` is where a
 * binary body lands.
 */
export async function withAdmittedBody<T>(
  admission: BodyAdmission,
  req: IncomingMessage,
  use: (body: Uint8Array) => Promise<T> | T,
  place: { lead?: number; pool?: BodyBufferPool } = {},
): Promise<T> {
  const body = await readBody(req, { limit: admission.maxBodyBytes, budget: admission.budget, idleTimeoutMs: admission.bodyIdleTimeoutMs, ...place });
  try {
    return await use(body.bytes);
  } finally {
    body.release();
  }
}
