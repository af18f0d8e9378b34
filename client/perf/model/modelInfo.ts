// What perf_analyzer learns about a model before it sends anything: src/model_parser.cc (ModelParser::InitTriton).
import { DATATYPES, type Datatype } from '../../../shared/protocol';
import { PerfUsageError } from '../errors';

/** A model input or output as one request row sees it: the batch dimension is not part of `shape`. */
export interface ModelTensor {
  name: string;
  datatype: Datatype;
  /** Dims of one batch-1 row; -1 where the model leaves a dimension open and --shape did not fix it. */
  shape: number[];
  optional: boolean;
}

/** A model named with an optional version ('' = whichever version the server picks). */
export interface ModelId {
  name: string;
  version: string;
}

/** The model under test, as parsed from GET /v2/models/{m} and GET /v2/models/{m}/config. */
export interface ModelInfo {
  name: string;
  version: string;
  maxBatchSize: number;
  inputs: ModelTensor[];
  outputs: ModelTensor[];
  /** Models whose statistics are reported under this one (ensemble steps and --bls-composing-models). */
  composing: ModelId[];
}

/** The parts of the KServe v2 model metadata response read here. */
export interface ModelMetadataJson {
  name: string;
  versions?: string[];
  inputs?: { name: string; datatype: string; shape: number[] }[];
  outputs?: { name: string; datatype: string; shape: number[] }[];
}

/** The parts of a Triton model configuration (JSON form) read here. */
export interface ModelConfigJson {
  name?: string;
  platform?: string;
  max_batch_size?: number;
  input?: { name: string; optional?: boolean }[];
  ensemble_scheduling?: { step?: { model_name: string; model_version?: number | string }[] };
}

/**
 * Builds the model description: with max_batch_size > 0 the first metadata dim is the batch and is dropped; an
 * input's --shape replaces its dims only where the model leaves one open (-1), as InitTriton does.
 */
export function parseModelInfo(
  metadata: ModelMetadataJson,
  config: ModelConfigJson,
  opts: { version?: string; shapes?: Record<string, number[]> } = {},
): ModelInfo {
  const maxBatchSize = Number(config.max_batch_size ?? 0);
  const optional = new Set((config.input ?? []).filter((i) => i.optional).map((i) => i.name));
  const tensor = (t: { name: string; datatype: string; shape: number[] }, isInput: boolean): ModelTensor => {
    if (!(DATATYPES as string[]).includes(t.datatype)) {
      throw new PerfUsageError(`${metadata.name}: ${isInput ? 'input' : 'output'} ${t.name} has datatype ${t.datatype}, which siglip perf cannot generate`);
    }
    let shape = maxBatchSize > 0 ? t.shape.slice(1) : [...t.shape];
    const user = opts.shapes?.[t.name];
    if (isInput && user && shape.includes(-1)) shape = [...user];
    return { name: t.name, datatype: t.datatype as Datatype, shape, optional: optional.has(t.name) };
  };
  const inputs = (metadata.inputs ?? []).map((t) => tensor(t, true));
  for (const name of Object.keys(opts.shapes ?? {})) {
    if (!inputs.some((i) => i.name === name)) {
      throw new PerfUsageError(`--shape ${name}: the model has no such input (inputs: ${inputs.map((i) => i.name).join(', ')})`);
    }
  }
  return {
    name: metadata.name,
    version: opts.version ?? '',
    maxBatchSize,
    inputs,
    outputs: (metadata.outputs ?? []).map((t) => tensor(t, false)),
    composing: ensembleSteps(config),
  };
}

/** The models an ensemble's steps call (ModelParser::AddEnsembleComposingModels); model_version -1 means any. */
export function ensembleSteps(config: ModelConfigJson): ModelId[] {
  if (config.platform !== 'ensemble') return [];
  return (config.ensemble_scheduling?.step ?? []).map((s) => ({
    name: s.model_name,
    version: s.model_version === undefined || Number(s.model_version) === -1 ? '' : String(s.model_version),
  }));
}

/** Parses `--bls-composing-models a:3,b` (docs/cli.md: comma-separated names, each with an optional :version). */
export function parseComposingModels(text: string): ModelId[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [name, version = '', extra] = s.split(':');
      if (!name || extra !== undefined || (version && !/^\d+$/.test(version))) {
        throw new PerfUsageError(`--bls-composing-models takes name[:version],..., e.g. siglip_vision or siglip_vision:1; got '${s}'`);
      }
      return { name, version };
    });
}

/** Checks -b against the model, with perf_analyzer's messages (src/perf_analyzer.cc). */
export function checkBatchSize(model: ModelInfo, batchSize: number): void {
  if (model.maxBatchSize === 0 && batchSize > 1) {
    throw new PerfUsageError(`can not specify batch size > 1 as the model does not support batching (-b ${batchSize} for ${model.name})`);
  }
  if (model.maxBatchSize > 0 && batchSize > model.maxBatchSize) {
    throw new PerfUsageError(`-b ${batchSize} is above ${model.name}'s max_batch_size ${model.maxBatchSize}`);
  }
}
