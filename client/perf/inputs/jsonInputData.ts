// perf_analyzer's --input-data JSON (docs/input_data.md; parsing rules of DataLoader::ParseData and
// DataLoader::ReadTensorData in src/data_loader.cc):
//   {"data": [ {"INPUT": [values...]}, {"INPUT": {"content": [...], "shape": [...]}}, {"INPUT": {"b64": "..."}}, ... ]}
// Each entry is one step with a batch-1 row per input. "b64" is the tensor's raw little-endian bytes (for BYTES, the
// 4-byte length prefixes included); "content" may itself be {"b64": ...}. Nested arrays are sequence streams; for a
// model without sequence batching their steps are simply played one after another.
import { decodeBytesElements } from '../../../shared/codec/binaryTensor';
import { elementCount } from '../../../shared/protocol';
import { PerfUsageError } from '../errors';
import type { ModelInfo, ModelTensor } from '../model/modelInfo';
import { serializeExplicitTensor } from './explicitTensor';
import { validateStepTensor, type StepTensor } from './inputDataset';

/** Reads the steps of one --input-data JSON document (already parsed) for `model`; `source` names the file. */
export function parseJsonInputData(doc: unknown, model: ModelInfo, source: string): Map<string, StepTensor>[] {
  if (typeof doc !== 'object' || doc === null || !('data' in doc)) throw new PerfUsageError(`${source}: The json file doesn't contain data field`);
  const data = doc.data;
  if (!Array.isArray(data) || data.length === 0) throw new PerfUsageError(`${source}: "data" must be a non-empty array of steps`);
  const streams = Array.isArray(data[0]);
  if (data.some((s) => Array.isArray(s) !== streams)) {
    throw new PerfUsageError(`${source}: Inconsistency in input-data provided. Can not have a combination of objects and arrays inside of the Data array`);
  }
  const entries: { step: unknown; where: string }[] = streams
    ? (data as unknown[][]).flatMap((stream, s) => stream.map((step, k) => ({ step, where: `${source}, stream id: ${s}, step id: ${k}` })))
    : (data as unknown[]).map((step, k) => ({ step, where: `${source}, stream id: 0, step id: ${k}` }));
  return entries.map(({ step, where }) => readStep(step, model, where));
}

function readStep(step: unknown, model: ModelInfo, where: string): Map<string, StepTensor> {
  if (typeof step !== 'object' || step === null || Array.isArray(step)) throw new PerfUsageError(`Input data file is malformed. (${where})`);
  const known = new Set(model.inputs.map((i) => i.name));
  for (const key of Object.keys(step)) {
    // "model" is the one non-tensor key ReadTensorData allows.
    if (!known.has(key) && key !== 'model') throw new PerfUsageError(`The input or output '${key}' is not found in the model configuration (${where}; inputs: ${[...known].join(', ')})`);
  }
  const out = new Map<string, StepTensor>();
  for (const input of model.inputs) {
    const value = (step as Record<string, unknown>)[input.name];
    if (value === undefined) {
      if (input.optional) continue;
      throw new PerfUsageError(`missing tensor ${input.name} ( Location ${where})`);
    }
    const t = readTensor(value, input, where);
    validateStepTensor(input, t, where);
    out.set(input.name, t);
  }
  return out;
}

function readTensor(value: unknown, input: ModelTensor, where: string): StepTensor {
  let content: unknown = value;
  let shape = input.shape;
  if (!Array.isArray(value)) {
    if (typeof value !== 'object' || value === null) throw new PerfUsageError(`Input data file is malformed: ${input.name} is neither an array nor an object (${where})`);
    const obj = value as Record<string, unknown>;
    if (obj.shape !== undefined) {
      if (!Array.isArray(obj.shape) || !obj.shape.every((d) => Number.isInteger(d))) throw new PerfUsageError(`shape values must be integers. (${input.name}, ${where})`);
      shape = obj.shape as number[];
    }
    if ('b64' in obj) content = obj;
    else if ('content' in obj) content = obj.content;
    else throw new PerfUsageError(`missing content field. ( Location ${where}, input ${input.name})`);
  }
  if (Array.isArray(content)) {
    const flat = content.flat(Infinity);
    const bytes = serializeExplicitTensor(flat, input.datatype, `${input.name}, ${where}`);
    if (input.datatype === 'BYTES') checkElementCount(flat.length, shape, input, where);
    return { bytes, shape };
  }
  if (typeof content === 'object' && content !== null && 'b64' in content) {
    const b64 = content.b64;
    if (typeof b64 !== 'string') throw new PerfUsageError(`the value of b64 field should be of type string ( Location ${where}, input ${input.name})`);
    const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
    if (input.datatype === 'BYTES') checkElementCount(decodeBytesElements(bytes, input.name).length, shape, input, where);
    return { bytes, shape };
  }
  throw new PerfUsageError(`The tensor values are not supported. Expected an array or b64 string ( Location ${where}, input ${input.name})`);
}

function checkElementCount(count: number, shape: number[], input: ModelTensor, where: string): void {
  const want = elementCount(shape);
  if (want >= 0 && count !== want) {
    throw new PerfUsageError(`${input.name}: ${count} BYTES elements given for shape [${shape}], which holds ${want} (${where})`);
  }
}
