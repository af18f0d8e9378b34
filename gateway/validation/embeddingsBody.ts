/** The OpenAI-style `POST /v1/embeddings` body, as far as the gateway needs it: the model and the item count. */
import { z } from 'zod';
import { invalidArgument } from '../../shared/errors';

/** `input` is one item or a list of items (texts, token lists, or whatever the backend accepts as a string). */
export const embeddingsRequestSchema = z
  .object({
    model: z.string().min(1).max(128),
    input: z.union([
      z.string(),
      z.array(z.string()).min(1),
      z.array(z.number().int()).min(1),
      z.array(z.array(z.number().int()).min(1)).min(1),
    ]),
    encoding_format: z.enum(['float', 'base64']).optional(),
    dimensions: z.number().int().positive().optional(),
    user: z.string().optional(),
  })
  .passthrough();

/** Parses the body; returns the model and how many embeddings it asks for (what it costs). */
export function validateEmbeddingsBody(body: Uint8Array, maxItems: number): { model: string; items: number } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch (err) {
    throw invalidArgument(`malformed JSON: ${(err as Error).message}`);
  }
  const r = embeddingsRequestSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw invalidArgument(`invalid embeddings request: ${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const { input } = r.data;
  // A list of token ids is one input; a list of strings or of token lists is one input per entry.
  const items = typeof input === 'string' || typeof input[0] === 'number' ? 1 : input.length;
  if (items > maxItems) throw invalidArgument(`input has ${items} items; at most ${maxItems} per request`);
  return { model: r.data.model, items };
}
