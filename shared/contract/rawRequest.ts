/**
 * Triton's raw binary request (binary tensor data extension, "Raw Binary Request"): with
 * `Inference-Header-Content-Length: 0` the whole body is the data of the model's one input, as a batch of 1,
 * and every output comes back as binary.
 */
import { invalidArgument } from '../errors';
import { DATATYPE_SIZE, type Datatype } from '../protocol';
import type { ModelContract } from './modelContract';

/** The input a raw body stands for. For BYTES the body is the one element (no length prefix). */
export interface RawInput {
  name: string;
  datatype: Datatype;
  shape: number[];
}

/** Whether an Inference-Header-Content-Length value announces a raw binary request. */
export function isRawRequest(headerLength: string | undefined): boolean {
  return headerLength !== undefined && /^\s*0+\s*$/.test(headerLength);
}

/**
 * The input of a raw request of `bodyLength` bytes, checked as Triton checks it: one input; BYTES only with
 * shape [1]; otherwise at most one variable dimension, deduced from the byte count.
 */
export function rawRequestInput(contract: ModelContract, bodyLength: number): RawInput {
  const what = `a raw binary request (Inference-Header-Content-Length: 0)`;
  if (contract.inputs.length !== 1) {
    throw invalidArgument(`${what} needs a model with exactly one input; '${contract.name}' has ${contract.inputs.length}: send the JSON inference header`);
  }
  const spec = contract.inputs[0];
  const dims = contract.maxBatchSize > 0 ? spec.shape.slice(1) : spec.shape;
  const lead = contract.maxBatchSize > 0 ? [1] : [];
  if (bodyLength === 0) throw invalidArgument(`${what} for '${contract.name}' has an empty body: send the ${spec.name} data as the body`);
  if (spec.datatype === 'BYTES') {
    if (dims.length !== 1 || dims[0] !== 1) {
      throw invalidArgument(`${what} with BYTES needs input shape [1]; '${spec.name}' of '${contract.name}' has [${dims.join(',')}]`);
    }
    return { name: spec.name, datatype: spec.datatype, shape: [...lead, 1] };
  }
  const variable = dims.filter((d) => d < 0).length;
  if (variable > 1) {
    throw invalidArgument(`${what} cannot deduce the shape of '${spec.name}' [${dims.join(',')}] (more than one variable dimension): send the JSON inference header`);
  }
  const fixed = dims.reduce((n, d) => (d < 0 ? n : n * d), 1) * DATATYPE_SIZE[spec.datatype];
  const fits = variable === 0 ? bodyLength === fixed : fixed > 0 && bodyLength % fixed === 0;
  if (!fits) {
    const need = variable === 0 ? `${fixed} bytes` : `a multiple of ${fixed} bytes`;
    throw invalidArgument(`${what}: '${spec.name}' of shape [${[...lead, ...dims].join(',')}] ${spec.datatype} needs ${need}, but the body has ${bodyLength}`);
  }
  const shape = dims.map((d) => (d < 0 ? bodyLength / fixed : d));
  return { name: spec.name, datatype: spec.datatype, shape: [...lead, ...shape] };
}
