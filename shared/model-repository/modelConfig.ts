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

// Triton writes every parameter as {"key": {"string_value": "..."}}; config.json may also hold plain JSON values.
// `value` reads either form: a string_value is taken as it is (for strings) or parsed (booleans, numbers, JSON).
function tritonValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
const unwrap = (v: unknown, keepString: boolean) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { string_value?: unknown }).string_value === 'string' && Object.keys(v).length === 1
    ? keepString
      ? (v as { string_value: string }).string_value
      : tritonValue((v as { string_value: string }).string_value)
    : v;
const param = <T extends z.ZodType>(schema: T, keepString = false) => z.preprocess((v) => unwrap(v, keepString), schema);
const nameMap = param(z.record(z.string().min(1), z.string().min(1)));
const flag = param(z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]));

/** A model's `parameters`: each known one typed (so a bad value names its field), any other kept as given. */
const modelParametersSchema = z
  .object({
    /** Public tensor name → ONNX graph input/output name. */
    onnx_input_names: nameMap.optional(),
    onnx_output_names: nameMap.optional(),
    /** Execution providers to try, in order (the CLI's --providers overrides). */
    execution_providers: param(z.union([z.array(z.enum(['cuda', 'cpu', 'webgpu'])).min(1), z.string().transform((v) => v.split(',').map((x) => x.trim()))])).optional(),
    strict_execution_provider: flag.optional(),
    intra_op_num_threads: param(z.number().int().min(1).max(1024)).optional(),
    cuda_device_id: param(z.number().int().min(0)).optional(),
    /** Inclusive range of an integer input's values: {"INPUT_IDS": [0, 31999]}. */
    value_range: param(z.record(z.string(), z.tuple([z.number().int(), z.number().int()]).refine(([lo, hi]) => lo <= hi, 'the range must be [min, max] with min ≤ max'))).optional(),
    /** Pipelines: what their elements are (image files or texts). */
    pipeline: param(z.enum(['image', 'text'], { error: 'pipeline must be "image" or "text"' }), true).optional(),
    /** Pipelines: the ONNX model fed unless a request names another (embed_model). */
    default_embed_model: param(z.string().min(1), true).optional(),
    /** The older name of default_embed_model. */
    target_model: param(z.string().min(1), true).optional(),
    /** Image pipelines: whether elements are base64 text unless a request says (base64_encoded). */
    default_base64_encoded: flag.optional(),
    /** How a converted entry was made (siglip model convert). */
    conversion: param(z.record(z.string(), z.unknown())).optional(),
  })
  .catchall(z.union([z.string(), z.number(), z.boolean(), z.object({ string_value: z.string() }).transform((v) => v.string_value)]));

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
    parameters: modelParametersSchema.default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.platform !== 'pipeline') return;
    if (!c.parameters.pipeline) {
      ctx.addIssue({ code: 'custom', path: ['parameters', 'pipeline'], message: 'a pipeline must say what it takes: "image" (image files) or "text"' });
    }
    if (!c.parameters.default_embed_model && !c.parameters.target_model) {
      ctx.addIssue({ code: 'custom', path: ['parameters', 'default_embed_model'], message: 'name the ONNX model this pipeline feeds' });
    }
  });

/** A config.json as written (validated by the schema on the way in). */
export type ModelConfigInput = Omit<z.input<typeof modelConfigSchema>, 'parameters'> & { parameters?: Record<string, unknown> };
export type ModelConfig = z.output<typeof modelConfigSchema>;
export type TensorConfig = z.output<typeof tensorConfig>;
