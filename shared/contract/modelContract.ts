/**
 * What a served model accepts, derived from what any KServe v2 client can read of it: its metadata
 * (GET /v2/models/{m}) and its Triton model config (GET /v2/models/{m}/config). The backend and the gateway
 * both build it with `modelContract`, so they agree on every request.
 */
import type { Datatype } from '../protocol';

/** An input as the model's metadata declares it: the shape has -1 for the batch and any variable dimension. */
export interface TensorContract {
  name: string;
  datatype: Datatype;
  shape: number[];
  /** Inclusive range every value must be in (token ids: [0, vocabulary size - 1]). */
  range?: [number, number];
}

/** How a request-level parameter must look. */
export type ParameterRule =
  | { kind: 'boolean' }
  | { kind: 'microseconds' }
  /** A string naming one of `choices` (unchecked when the model does not publish them). */
  | { kind: 'choice'; choices?: string[] };

/** The request contract of one model. */
export interface ModelContract {
  name: string;
  /** 0: the model takes no batch dimension. */
  maxBatchSize: number;
  inputs: TensorContract[];
  outputs: string[];
  /** Request parameters the model reads; others pass through unread, as Triton passes them to its backends. */
  parameters: Record<string, ParameterRule>;
}

/** The parts of GET /v2/models/{m} the contract reads. */
export interface MetadataLike {
  name: string;
  inputs: TensorContract[];
  outputs: { name: string }[];
}

/** The parts of GET /v2/models/{m}/config the contract reads (Triton's model-config JSON form). */
export interface ConfigLike {
  max_batch_size?: number;
  /** Triton's form is `{ string_value }`, or a plain string; configParameter checks which. */
  parameters?: Record<string, unknown>;
}

/**
 * Config parameters that announce request parameters, as the Triton deployment we replace used them:
 * `default_base64_encoded` → `base64_encoded` (bool); `default_embed_model` → `embed_model` (a model name,
 * one of `embed_model_choices` when published) and our `normalize` (bool).
 */
const CONTRACT_CONFIG_PARAMETERS = {
  /** JSON `{"INPUT": [min, max]}`: the inclusive range of an integer input's values (token ids and the vocabulary). */
  valueRange: 'value_range',
  defaultBase64: 'default_base64_encoded',
  defaultEmbedModel: 'default_embed_model',
  embedModelChoices: 'embed_model_choices',
} as const;

/** A config parameter's string value, from Triton's `{"string_value": ...}` form or a plain string. */
function configParameter(config: ConfigLike | undefined, key: string): string | undefined {
  const v = config?.parameters?.[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { string_value?: unknown }).string_value === 'string') {
    return (v as { string_value: string }).string_value;
  }
  return undefined;
}

/** Builds a model's request contract from its metadata and config. */
export function modelContract(metadata: MetadataLike, config: ConfigLike | undefined): ModelContract {
  const parameters: Record<string, ParameterRule> = {
    timeout: { kind: 'microseconds' },
    binary_data_output: { kind: 'boolean' },
  };
  const p = CONTRACT_CONFIG_PARAMETERS;
  if (configParameter(config, p.defaultBase64) !== undefined) parameters.base64_encoded = { kind: 'boolean' };
  if (configParameter(config, p.defaultEmbedModel) !== undefined) {
    const published = configParameter(config, p.embedModelChoices);
    parameters.embed_model = { kind: 'choice', choices: published?.split(',').filter(Boolean) };
    parameters.normalize = { kind: 'boolean' };
  }
  const ranges = parseRanges(configParameter(config, p.valueRange));
  return {
    name: metadata.name,
    maxBatchSize: config?.max_batch_size ?? impliedMaxBatch(metadata.inputs),
    inputs: metadata.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape], ...(ranges[t.name] && { range: ranges[t.name] }) })),
    outputs: metadata.outputs.map((t) => t.name),
    parameters,
  };
}

// A malformed value_range reads as none: the config schema checks it where it is written (the backend's).
function parseRanges(text: string | undefined): Record<string, [number, number]> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const out: Record<string, [number, number]> = {};
    for (const [k, r] of Object.entries(v)) {
      if (Array.isArray(r) && r.length === 2 && r.every(Number.isSafeInteger) && r[0] <= r[1]) out[k] = r as [number, number];
    }
    return out;
  } catch {
    return {};
  }
}

// Without a config, a leading -1 in every input means the model batches; its limit is then unknown.
function impliedMaxBatch(inputs: TensorContract[]): number {
  return inputs.length > 0 && inputs.every((t) => t.shape[0] === -1) ? 64 : 0;
}
