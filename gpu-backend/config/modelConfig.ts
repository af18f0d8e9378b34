import { z } from 'zod';

/** Triton data_type names we accept in config.json, and the KServe datatype each maps to. */
export const TRITON_TYPES = {
  TYPE_FP32: 'FP32',
  TYPE_FP16: 'FP16',
  TYPE_INT64: 'INT64',
  TYPE_INT32: 'INT32',
  TYPE_UINT8: 'UINT8',
  TYPE_STRING: 'BYTES',
} as const;

const tensorConfig = z
  .object({
    name: z.string().min(1),
    data_type: z.enum(Object.keys(TRITON_TYPES) as [keyof typeof TRITON_TYPES]),
    // Triton: dims exclude the batch dimension when max_batch_size > 0; -1 means variable.
    dims: z.array(z.number().int().min(-1)).min(1),
  })
  .strict();

// Triton writes parameters as {"key": {"string_value": "..."}}; plain JSON values are accepted too.
const parameterValue = z.union([
  z.object({ string_value: z.string() }).transform((v) => v.string_value as unknown),
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.string()),
  z.record(z.string(), z.string()),
  // value_range: {"INPUT_IDS": [0, 31999]}
  z.record(z.string(), z.tuple([z.number().int(), z.number().int()])),
]);

export const modelConfigSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'),
    platform: z.enum(['onnxruntime_onnx', 'pipeline']),
    max_batch_size: z.number().int().min(1).max(4096),
    input: z.array(tensorConfig).min(1),
    output: z.array(tensorConfig).min(1),
    version_policy: z
      .object({ latest: z.object({ num_versions: z.number().int().min(1) }).optional(), all: z.object({}).optional() })
      .optional(),
    dynamic_batching: z
      .object({
        preferred_batch_size: z.array(z.number().int().min(1)).default([]),
        max_queue_delay_microseconds: z.number().int().min(0).default(0),
        default_queue_policy: z
          .object({
            max_queue_size: z.number().int().min(0).default(0),
            default_timeout_microseconds: z.number().int().min(0).default(0),
            allow_timeout_override: z.boolean().default(false),
          })
          .strict()
          .default({ max_queue_size: 0, default_timeout_microseconds: 0, allow_timeout_override: false }),
      })
      .strict()
      .optional(),
    instance_group: z
      .array(z.object({ count: z.number().int().min(1).default(1), kind: z.enum(['KIND_GPU', 'KIND_CPU', 'KIND_AUTO']).default('KIND_AUTO') }).strict())
      .default([{ count: 1, kind: 'KIND_AUTO' }]),
    parameters: z.record(z.string(), parameterValue).default({}),
  })
  .strict();

export type ModelConfigInput = z.input<typeof modelConfigSchema>;
export type ModelConfig = z.output<typeof modelConfigSchema>;
export type TensorConfig = z.output<typeof tensorConfig>;
