/**
 * A model's config.json as Triton serves it at GET /v2/models/{m}/config: the JSON form of its ModelConfig
 * protobuf (model_config.proto), so that tritonclient's `json_format.Parse(..., ModelConfig())` accepts it.
 * Only fields of that message appear (proto/inference/model_config.proto declares them), enums as their names,
 * and `parameters` as {"key": {"string_value": ...}}.
 */
import type { ModelConfig } from '../../shared/model-repository/modelConfig';

/** A ModelParameter of model_config.proto. */
export interface TritonParameter {
  string_value: string;
}

/** The served config (a subset of ModelConfig's fields, each with its proto name and type). */
export interface TritonModelConfig {
  name: string;
  platform: string;
  backend: string;
  version_policy: Record<string, unknown>;
  max_batch_size: number;
  input: Record<string, unknown>[];
  output: Record<string, unknown>[];
  dynamic_batching?: Record<string, unknown>;
  instance_group: Record<string, unknown>[];
  default_model_filename: string;
  cc_model_filenames: Record<string, string>;
  metric_tags: Record<string, string>;
  parameters: Record<string, TritonParameter>;
}

/** One config.json parameter as a string_value: strings as they are, anything else as its JSON text. */
function parameterString(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Builds the served form of `config`; `extra` adds parameters the server computed (e.g. embed_model_choices). */
export function tritonModelConfig(config: ModelConfig, extra: Record<string, string> = {}): TritonModelConfig {
  const onnx = config.platform === 'onnxruntime_onnx';
  const db = config.dynamic_batching;
  const parameters: Record<string, TritonParameter> = {};
  for (const [k, v] of Object.entries({ ...config.parameters, ...extra })) parameters[k] = { string_value: parameterString(v) };
  return {
    name: config.name,
    platform: config.platform,
    backend: onnx ? 'onnxruntime' : '',
    version_policy: config.version_policy ?? { latest: { num_versions: 1 } },
    max_batch_size: config.max_batch_size,
    input: config.input.map((t) => ({
      name: t.name,
      data_type: t.data_type,
      format: 'FORMAT_NONE',
      dims: t.dims,
      is_shape_tensor: false,
      allow_ragged_batch: false,
      optional: false,
    })),
    output: config.output.map((t) => ({ name: t.name, data_type: t.data_type, dims: t.dims, label_filename: '', is_shape_tensor: false })),
    ...(db && {
      dynamic_batching: {
        preferred_batch_size: db.preferred_batch_size,
        max_queue_delay_microseconds: db.max_queue_delay_microseconds,
        preserve_ordering: false,
        priority_levels: 0,
        default_priority_level: 0,
        default_queue_policy: {
          timeout_action: 'REJECT',
          default_timeout_microseconds: db.default_queue_policy.default_timeout_microseconds,
          allow_timeout_override: db.default_queue_policy.allow_timeout_override,
          max_queue_size: db.default_queue_policy.max_queue_size,
        },
        priority_queue_policy: {},
      },
    }),
    instance_group: config.instance_group.map((g, i) => ({
      name: `${config.name}_${i}`,
      kind: g.kind,
      count: g.count,
      gpus: [],
      secondary_devices: [],
      profile: [],
      passive: false,
      host_policy: '',
    })),
    default_model_filename: onnx ? 'model.onnx' : '',
    cc_model_filenames: {},
    metric_tags: {},
    parameters,
  };
}
