/** The OpenAI-style `POST /v1/embeddings` body, checked with the backend's own schema before it costs GPU time. */
import { invalidArgument } from '../../shared/errors';
import { describeZodError, embeddingsRequestSchema } from '../../shared/schemas/embeddingsRequest';

/** The models an embeddings request runs on: texts go to embed_text, images to embed_image. */
export const EMBEDDING_MODELS = { text: 'embed_text', image: 'embed_image' } as const;

/** Parses the body; returns the models it will use (what the tenant must be allowed) and its item count (its cost). */
export function validateEmbeddingsBody(body: Uint8Array, maxItems: number): { models: string[]; items: number } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch (err) {
    throw invalidArgument(`malformed JSON: ${(err as Error).message}`);
  }
  const r = embeddingsRequestSchema.safeParse(value);
  if (!r.success) throw invalidArgument(`invalid embeddings request: ${describeZodError(r.error)}`);
  const list = typeof r.data.input === 'string' ? [r.data.input] : r.data.input;
  if (list.length > maxItems) throw invalidArgument(`input has ${list.length} items; at most ${maxItems} per request`);
  const models = new Set<string>();
  for (const item of list) models.add(typeof item === 'object' && 'image' in item ? EMBEDDING_MODELS.image : EMBEDDING_MODELS.text);
  return { models: [...models], items: list.length };
}
