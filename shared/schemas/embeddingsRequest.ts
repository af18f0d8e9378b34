import { z } from 'zod';
import { invalidArgument } from '../errors';

/**
 * Items per request. Each item is one queue entry of its tower, so this must fit the towers' queues
 * (max_queue_size 512-1024) with room for other clients: a request past it could never succeed.
 */
export const EMBEDDINGS_MAX_ITEMS = 256;

/** One item of `input`: a text, or an image as a data: URL (or an allow-listed https URL). */
export const embeddingItemSchema = z.union([
  z.string(),
  z.object({ image: z.string().min(1, 'image must be a data: URL or an allowed URL') }).strict(),
  z.object({ text: z.string() }).strict(),
]);

/** OpenAI-style POST /v1/embeddings, extended with image items. */
export const embeddingsRequestSchema = z
  .object({
    input: z.union([z.string(), z.array(embeddingItemSchema).min(1, 'input must not be empty').max(EMBEDDINGS_MAX_ITEMS, `input has more than ${EMBEDDINGS_MAX_ITEMS} items; send at most ${EMBEDDINGS_MAX_ITEMS} per request`)]),
    model: z.string().optional(),
    encoding_format: z.enum(['float', 'base64']).default('float'),
    dimensions: z.number().int().positive().optional(),
    user: z.string().optional(),
  })
  .strict();

export type EmbeddingItem = z.infer<typeof embeddingItemSchema>;
export type EmbeddingsRequest = z.output<typeof embeddingsRequestSchema>;

/** A zod error as one line naming the field, e.g. "input.2.image: Required". */
function describeZodError(err: z.ZodError): string {
  const issue = err.issues[0];
  const path = issue.path.length ? issue.path.join('.') : 'body';
  return `${path}: ${issue.message}`;
}

/** Parses a /v1/embeddings body: the one rule the gateway and the backend both apply. */
export function parseEmbeddingsBody(body: Uint8Array): EmbeddingsRequest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch (err) {
    throw invalidArgument(`malformed JSON: ${(err as Error).message}`);
  }
  // Said before zod's union would say only "Invalid input".
  const input = (value as { input?: unknown } | null)?.input;
  if (Array.isArray(input) && input.length > EMBEDDINGS_MAX_ITEMS) {
    throw invalidArgument(`invalid embeddings request: input has ${input.length} items; send at most ${EMBEDDINGS_MAX_ITEMS} per request`);
  }
  const r = embeddingsRequestSchema.safeParse(value);
  if (!r.success) throw invalidArgument(`invalid embeddings request: ${describeZodError(r.error)}`);
  return r.data;
}
