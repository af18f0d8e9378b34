/** The KServe v2 / Open Inference Protocol infer request (its JSON part), as a zod schema. */
import { z } from 'zod';
import { DATATYPES, type Datatype } from '../protocol';

const parameterValue = z.union([z.string(), z.number(), z.boolean()]);

/** Request-level and tensor-level `parameters`: a flat map of scalars. */
export const parametersSchema = z.record(z.string(), parameterValue);

/** One input tensor; `data` is checked against the shape separately (zod is too slow for 442,368 floats). */
export const requestInputSchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  datatype: z.enum(DATATYPES as [Datatype, ...Datatype[]]),
  parameters: parametersSchema.optional(),
  data: z.unknown().optional(),
});

/** One requested output. */
export const requestOutputSchema = z.object({
  name: z.string().min(1),
  parameters: parametersSchema.optional(),
});

/** The JSON part of `POST /v2/models/{m}[/versions/{v}]/infer`. */
export const inferRequestSchema = z.object({
  id: z.string().optional(),
  parameters: parametersSchema.optional(),
  inputs: z.array(requestInputSchema).min(1),
  outputs: z.array(requestOutputSchema).optional(),
});

export type InferRequest = z.infer<typeof inferRequestSchema>;
export type InferRequestInput = z.infer<typeof requestInputSchema>;

/** Parses an already JSON-decoded request, turning zod's issues into one readable message. */
export function parseInferRequest(value: unknown): { ok: true; request: InferRequest } | { ok: false; message: string } {
  const r = inferRequestSchema.safeParse(value);
  if (r.success) return { ok: true, request: r.data };
  const issue = r.error.issues[0];
  const where = issue.path.length ? issue.path.join('.') : 'request';
  return { ok: false, message: `invalid infer request: ${where}: ${issue.message}` };
}
