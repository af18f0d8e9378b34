// The data perf_analyzer sends: one or more "steps", each holding a batch-1 row for every input
// (src/data_loader.h). Requests walk the steps round-robin; a batch-b request takes b consecutive steps.
import { DATATYPE_SIZE, elementCount } from '../../../shared/protocol';
import { PerfUsageError } from '../errors';
import type { ModelInfo, ModelTensor } from '../model/modelInfo';

/** One input's batch-1 data: little-endian bytes, or for BYTES the 4-byte-length-prefixed elements. */
export interface StepTensor {
  bytes: Uint8Array;
  /** Dims of this row (from the data's "shape", else the model's, with --shape applied). */
  shape: number[];
}

/** Every step's tensors, keyed by input name; optional inputs may be absent. */
export interface InputDataset {
  steps: Map<string, StepTensor>[];
  /** Where the data came from, for the report ("random", a file path, ...). */
  source: string;
}

/** A request's tensor: `rows` batch-1 rows concatenated, with the request shape (batch dim included if batching). */
export interface RequestTensor {
  input: ModelTensor;
  bytes: Uint8Array;
  shape: number[];
}

/**
 * The first step of a sender's k-th request. InferContext::UpdateJsonData (src/infer_context.cc) starts each of
 * `senders` contexts at its own index, advances it by the number of contexts, and multiplies by the batch size.
 */
export function requestStep(sender: number, senders: number, k: number, batchSize: number, totalSteps: number): number {
  return (((sender + k * senders) % totalSteps) * batchSize) % totalSteps;
}

/**
 * The tensors of a batch-`batchSize` request starting at `step`: rows come from steps step, step+1, ... (mod the
 * step count), as InferDataManagerBase::GetInputData does, and must share a shape.
 */
export function batchTensors(model: ModelInfo, dataset: InputDataset, step: number, batchSize: number): RequestTensor[] {
  const out: RequestTensor[] = [];
  const total = dataset.steps.length;
  for (const input of model.inputs) {
    const rows: StepTensor[] = [];
    for (let i = 0; i < batchSize; i++) {
      const t = dataset.steps[(step + i) % total].get(input.name);
      if (t) rows.push(t);
    }
    if (rows.length === 0) {
      if (input.optional) continue;
      throw new PerfUsageError(`unable to find data for input '${input.name}'.`);
    }
    if (rows.length !== batchSize) throw new PerfUsageError(`input '${input.name}' is given in some steps of the data and not in others`);
    const shape = rows[0].shape;
    for (const r of rows) {
      if (r.shape.join(',') !== shape.join(',')) {
        throw new PerfUsageError(`can not batch tensors with different shapes together (input '${input.name}' expected shape [${shape}] and received [${r.shape}])`);
      }
    }
    const bytes = rows.length === 1 ? rows[0].bytes : concat(rows.map((r) => r.bytes));
    out.push({ input, bytes, shape: model.maxBatchSize > 0 ? [batchSize, ...shape] : shape });
  }
  return out;
}

/**
 * Checks a row against its input (DataLoader::ValidateTensor): the shape must be fully defined and agree with the
 * model's dims where those are fixed; fixed-size data must be exactly the shape's byte size.
 */
export function validateStepTensor(input: ModelTensor, t: StepTensor, where: string): void {
  if (t.shape.some((d) => d < 0)) {
    throw new PerfUsageError(`The variable-sized tensor "${input.name}" with model shape [${input.shape}] needs to have its shape fully defined. See the --shape option.`);
  }
  const fits = t.shape.length === input.shape.length && t.shape.every((d, i) => d === input.shape[i] || input.shape[i] === -1);
  if (!fits) throw new PerfUsageError(`The supplied shape of [${t.shape}] for input "${input.name}" is incompatible with the model's input shape of [${input.shape}] (${where})`);
  if (input.datatype !== 'BYTES') {
    const want = elementCount(t.shape) * DATATYPE_SIZE[input.datatype];
    if (t.bytes.byteLength !== want) {
      throw new PerfUsageError(`mismatch in the data provided for ${input.name}. Expected: ${want} bytes, Got: ${t.bytes.byteLength} bytes (${where})`);
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}
