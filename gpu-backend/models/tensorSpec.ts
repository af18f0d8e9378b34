import { TRITON_TYPES, type TensorConfig } from '../../shared/model-repository/modelConfig';
import { invalidArgument } from '../../shared/errors';
import { elementCount, type Datatype } from '../../shared/protocol';
import type { InputTensor } from './types';

/** A config tensor with its KServe datatype and full shape (batch dimension first, -1). */
export interface TensorSpec {
  name: string;
  datatype: Datatype;
  /** Dims without the batch dimension. */
  dims: number[];
  /** Elements per batch row when every dim is fixed, else -1. */
  rowSize: number;
}

/** Resolves a config.json tensor entry. */
export function tensorSpec(t: TensorConfig): TensorSpec {
  const fixed = t.dims.every((d) => d > 0);
  return { name: t.name, datatype: TRITON_TYPES[t.data_type], dims: t.dims, rowSize: fixed ? elementCount(t.dims) : -1 };
}

/** KServe metadata shape: [-1, ...dims]. */
export function metadataShape(spec: TensorSpec): number[] {
  return [-1, ...spec.dims];
}

const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

/**
 * Checks a request's inputs against the model's config: names, datatypes, shapes and data lengths.
 * Returns the batch size (shape[0], the same for every input).
 */
export function validateInputs(model: string, specs: TensorSpec[], inputs: InputTensor[]): number {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const seen = new Set<string>();
  let batch = -1;
  for (const input of inputs) {
    const spec = byName.get(input.name);
    if (!spec) {
      throw invalidArgument(`unexpected inference input '${input.name}' for model '${model}', expected ${specs.map((s) => `'${s.name}'`).join(', ')}`);
    }
    if (seen.has(input.name)) throw invalidArgument(`input '${input.name}' appears more than once`);
    seen.add(input.name);
    if (input.datatype !== spec.datatype) {
      throw invalidArgument(`${input.name}: expected datatype ${spec.datatype}, got ${input.datatype}`);
    }
    const shape = input.shape;
    const expected = [-1, ...spec.dims];
    const bad =
      shape.length !== expected.length ||
      shape.some((d, i) => !Number.isInteger(d) || d < (i === 0 ? 1 : 0) || (expected[i] !== -1 && d !== expected[i]));
    if (bad) throw invalidArgument(`${input.name}: expected shape ${fmt(expected)} for model '${model}', got ${fmt(shape)}`);
    if (shape[0] > 0 && batch !== -1 && shape[0] !== batch) {
      throw invalidArgument(`${input.name}: batch size ${shape[0]} differs from the other inputs' ${batch}`);
    }
    batch = shape[0];
    const want = elementCount(shape);
    if (input.data.length !== want) {
      throw invalidArgument(`${input.name}: expected ${want} values for shape ${fmt(shape)}, got ${input.data.length}`);
    }
  }
  for (const s of specs) if (!seen.has(s.name)) throw invalidArgument(`model '${model}' expects input '${s.name}', which the request lacks`);
  return batch;
}

/** Output names to return, checked against the config; an empty request list means all. */
export function selectOutputs(model: string, specs: TensorSpec[], requested: string[]): TensorSpec[] {
  if (!requested.length) return specs;
  return requested.map((name) => {
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw invalidArgument(`unexpected inference output '${name}' for model '${model}'`);
    return spec;
  });
}
