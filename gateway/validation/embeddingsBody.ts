/** The OpenAI-style `POST /v1/embeddings` body, checked with the backend's own rule before it costs GPU time. */
import { invalidArgument } from '../../shared/errors';
import { parseEmbeddingsBody } from '../../shared/schemas/embeddingsRequest';
import { MODEL_NAMES } from '../../shared/model-repository/modelNames';


/** Parses the body; returns the models it will use (what the tenant must be allowed) and its item count (its cost). */
export function validateEmbeddingsBody(body: Uint8Array, maxItems: number): { models: string[]; items: number } {
  const request = parseEmbeddingsBody(body);
  const list = typeof request.input === 'string' ? [request.input] : request.input;
  if (list.length > maxItems) throw invalidArgument(`input has ${list.length} items; at most ${maxItems} per request`);
  const models = new Set<string>();
  for (const item of list) models.add(typeof item === 'object' && 'image' in item ? MODEL_NAMES.embedImage : MODEL_NAMES.embedText);
  return { models: [...models], items: list.length };
}
