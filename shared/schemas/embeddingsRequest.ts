import { z } from 'zod';

/** One item of `input`: a text, or an image as a data: URL (or an allow-listed https URL). */
export const embeddingItemSchema = z.union([
  z.string(),
  z.object({ image: z.string().min(1, 'image must be a data: URL or an allowed URL') }).strict(),
  z.object({ text: z.string() }).strict(),
]);

/** OpenAI-style POST /v1/embeddings, extended with image items. */
export const embeddingsRequestSchema = z
  .object({
    input: z.union([z.string(), z.array(embeddingItemSchema).min(1, 'input must not be empty').max(2048)]),
    model: z.string().optional(),
    encoding_format: z.enum(['float', 'base64']).default('float'),
    dimensions: z.number().int().positive().optional(),
    user: z.string().optional(),
  })
  .strict();

export type EmbeddingItem = z.infer<typeof embeddingItemSchema>;
export type EmbeddingsRequest = z.output<typeof embeddingsRequestSchema>;

/** Number of items a request embeds (what rate limits charge). */
export function embeddingItemCount(req: Pick<EmbeddingsRequest, 'input'>): number {
  return typeof req.input === 'string' ? 1 : req.input.length;
}

/** A zod error as one line naming the field, e.g. "input.2.image: Required". */
export function describeZodError(err: z.ZodError): string {
  const issue = err.issues[0];
  const path = issue.path.length ? issue.path.join('.') : 'body';
  return `${path}: ${issue.message}`;
}
