/**
 * The one set of rules for an infer request, run by the gateway before it forwards and by the backend before
 * it queues: names, datatypes, shapes, batch size, the binary extension's sizes, outputs and parameters.
 */
import type { DecodedJsonRequest } from '../codec/jsonRequestStructure';
import { invalidArgument } from '../errors';
import { DATATYPE_SIZE, elementCount, type Parameters } from '../protocol';
import type { ModelContract, TensorContract } from './modelContract';
import { sharedMemoryRef } from './sharedMemoryRef';

/** What the checking side accepts besides the request body. */
export interface CheckOptions {
  /** Tensors in Triton's system shared memory (the backend, for same-host clients); the gateway refuses them. */
  sharedMemory?: boolean;
}

const NO_SHARED_MEMORY = 'shared memory tensors go to the backend directly, from the same host; through the gateway send the tensor in the request';

const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

/** Input names the deployment before this one used; a request with one gets told what changed. */
const RENAMED_INPUTS: Record<string, string> = { IMAGE: 'INPUT_IMAGE', TEXT: 'INPUT_TEXT' };

/** Whether `shape` fits the contract's `spec` shape; a BYTES input of dims [1] also takes [n] (one element per item). */
export function shapeFits(spec: TensorContract, shape: readonly number[], maxBatchSize: number): boolean {
  const s = spec.shape;
  if (spec.datatype === 'BYTES' && maxBatchSize > 0 && s.length === 2 && s[1] === 1 && shape.length === 1) return true;
  return shape.length === s.length && s.every((d, i) => d < 0 || d === shape[i]);
}

/** Checks request-level parameters against the model's rules; unknown parameters pass, as Triton passes them on. */
function checkParameters(contract: ModelContract, parameters: Parameters | undefined): void {
  if (!parameters) return;
  for (const [key, rule] of Object.entries(contract.parameters)) {
    const v = parameters[key];
    if (v === undefined) continue;
    if (rule.kind === 'boolean' && typeof v !== 'boolean') throw invalidArgument(`parameter ${key} must be a boolean (true or false), got ${JSON.stringify(v)}`);
    if (rule.kind === 'microseconds' && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
      throw invalidArgument(`parameter ${key} must be a non-negative number of microseconds`);
    }
    if (rule.kind === 'choice') {
      const listed = rule.choices ? `: one of ${rule.choices.map((c) => `'${c}'`).join(', ')}` : '';
      if (typeof v !== 'string' || (rule.choices && !rule.choices.includes(v))) {
        throw invalidArgument(`parameter ${key} ${JSON.stringify(v)} does not name a model '${contract.name}' can use${listed}`);
      }
    }
  }
}

function unexpectedInput(contract: ModelContract, name: string): Error {
  const expected = contract.inputs.map((s) => `'${s.name}'`).join(', ');
  const renamed = RENAMED_INPUTS[name];
  const hint = renamed && contract.inputs.some((s) => s.name === renamed) ? ` ('${name}' was renamed '${renamed}', the Triton deployment's name)` : '';
  return invalidArgument(`unexpected inference input '${name}' for model '${contract.name}', expected ${expected}${hint}`);
}

/**
 * Validates a decoded request (the JSON header, plus `binary`: the bytes after it, their count while they are
 * still arriving, or undefined without the binary extension). Returns the batch size: what the request costs.
 */
export function checkInferRequest(contract: ModelContract, decoded: DecodedJsonRequest, binary: Uint8Array | number | undefined, options: CheckOptions = {}): number {
  const { header, tensors } = decoded;
  checkParameters(contract, header.parameters);
  const byName = new Map(contract.inputs.map((s) => [s.name, s]));
  const seen = new Set<string>();
  let batch = -1;
  let binaryBytes = 0;
  for (const tensor of tensors) {
    const spec = byName.get(tensor.name);
    if (!spec) throw unexpectedInput(contract, tensor.name);
    if (seen.has(tensor.name)) throw invalidArgument(`input '${tensor.name}' appears more than once`);
    seen.add(tensor.name);
    if (tensor.datatype !== spec.datatype) throw invalidArgument(`${tensor.name}: expected datatype ${spec.datatype}, got ${tensor.datatype}`);
    if (!shapeFits(spec, tensor.shape, contract.maxBatchSize)) {
      throw invalidArgument(`${tensor.name}: expected shape ${fmt(spec.shape)} for model '${contract.name}', got ${fmt(tensor.shape)}`);
    }
    if (contract.maxBatchSize > 0) {
      const n = tensor.shape[0];
      if (n < 1) throw invalidArgument(`${tensor.name}: batch size must be at least 1, got ${n}`);
      // Triton: "inference request batch-size must be <= N": a request is never split across batches.
      if (n > contract.maxBatchSize) {
        throw invalidArgument(`${tensor.name}: batch size ${n} exceeds the maximum of ${contract.maxBatchSize} for model '${contract.name}'; send at most ${contract.maxBatchSize} items per request`);
      }
      if (batch !== -1 && n !== batch) throw invalidArgument(`${tensor.name}: batch size ${n} differs from the other inputs' ${batch}`);
      batch = n;
    }
    const count = elementCount(tensor.shape);
    const size = tensor.parameters?.binary_data_size;
    const shm = sharedMemoryRef(tensor.parameters, tensor.name);
    if (shm) {
      if (!options.sharedMemory) throw invalidArgument(`${tensor.name}: ${NO_SHARED_MEMORY}`);
      if (tensor.data !== undefined || size !== undefined) throw invalidArgument(`${tensor.name}: has shared_memory_region and also data or binary_data_size; give one source`);
      if (tensor.datatype !== 'BYTES' && shm.byteSize !== count * DATATYPE_SIZE[tensor.datatype]) {
        throw invalidArgument(`${tensor.name}: expected ${count * DATATYPE_SIZE[tensor.datatype]} bytes of ${tensor.datatype} for shape ${fmt(tensor.shape)}, got shared_memory_byte_size ${shm.byteSize}`);
      }
    } else if (size !== undefined) {
      if (binary === undefined) throw invalidArgument(`${tensor.name}: binary_data_size is set, but the request has no Inference-Header-Content-Length header`);
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalidArgument(`${tensor.name}: binary_data_size must be a non-negative integer`);
      if (tensor.data !== undefined) throw invalidArgument(`${tensor.name}: has both data and binary_data_size`);
      if (tensor.datatype !== 'BYTES' && size !== count * DATATYPE_SIZE[tensor.datatype]) {
        throw invalidArgument(`${tensor.name}: expected ${count * DATATYPE_SIZE[tensor.datatype]} bytes of ${tensor.datatype} for shape ${fmt(tensor.shape)}, got binary_data_size ${size}`);
      }
      if (tensor.datatype === 'BYTES' && binary instanceof Uint8Array) {
        if (binaryBytes + size > binary.length) throw invalidArgument(`${tensor.name}: binary_data_size ${size} runs past the end of the body (${binary.length - binaryBytes} bytes left)`);
        checkBytesElements(tensor.name, binary.subarray(binaryBytes, binaryBytes + size), count);
      }
      binaryBytes += size;
    } else if (tensor.data === undefined) {
      throw invalidArgument(`${tensor.name}: input has no data (give 'data', or binary_data_size with the binary extension)`);
    }
  }
  for (const s of contract.inputs) if (!seen.has(s.name)) throw invalidArgument(`model '${contract.name}' expects input '${s.name}', which the request lacks`);
  const binaryLength = typeof binary === 'number' ? binary : binary?.length;
  if (binaryLength !== undefined && binaryBytes !== binaryLength) {
    throw invalidArgument(`the binary section has ${binaryLength} bytes, but binary_data_size parameters account for ${binaryBytes}`);
  }
  checkOutputs(contract, header.outputs ?? [], options);
  return contract.maxBatchSize > 0 ? batch : 1;
}

function checkOutputs(contract: ModelContract, outputs: readonly { name: string; parameters?: Parameters }[], options: CheckOptions): void {
  const seen = new Set<string>();
  for (const o of outputs) {
    if (!contract.outputs.includes(o.name)) throw invalidArgument(`unexpected inference output '${o.name}' for model '${contract.name}' (it has ${contract.outputs.map((n) => `'${n}'`).join(', ')})`);
    // Each name once: a repeated output would repeat the whole tensor in the answer.
    if (seen.has(o.name)) throw invalidArgument(`output '${o.name}' is requested more than once`);
    seen.add(o.name);
    const b = o.parameters?.binary_data;
    if (b !== undefined && typeof b !== 'boolean') throw invalidArgument(`output '${o.name}': binary_data must be a boolean`);
    if (sharedMemoryRef(o.parameters, `output '${o.name}'`) && !options.sharedMemory) throw invalidArgument(`output '${o.name}': ${NO_SHARED_MEMORY}`);
  }
}

// BYTES elements are a 4-byte little-endian length, then the bytes; counted without copying.
function checkBytesElements(name: string, bytes: Uint8Array, expected: number): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  let n = 0;
  while (off < bytes.length) {
    if (off + 4 > bytes.length) throw invalidArgument(`${name}: BYTES element ${n} has a truncated length prefix`);
    const len = dv.getUint32(off, true);
    off += 4;
    if (off + len > bytes.length) throw invalidArgument(`${name}: BYTES element ${n} declares ${len} bytes, but only ${bytes.length - off} remain`);
    off += len;
    n++;
  }
  if (n !== expected) throw invalidArgument(`${name}: expected ${expected} BYTES elements for its shape, got ${n}`);
}

/**
 * Checks the values of integer inputs that have a range (token ids against the vocabulary): an id outside it
 * would make ONNX Runtime's Gather fail for the whole batch, and a negative one would wrap to another token.
 */
export function checkValueRanges(contract: ModelContract, inputs: readonly { name: string; data: unknown }[]): void {
  for (const spec of contract.inputs) {
    if (!spec.range) continue;
    const input = inputs.find((t) => t.name === spec.name);
    const data = input?.data as ArrayLike<number | bigint> | undefined;
    if (!data || typeof data === 'string') continue;
    const [lo, hi] = spec.range;
    const [blo, bhi] = [BigInt(lo), BigInt(hi)];
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      const out = typeof v === 'bigint' ? v < blo || v > bhi : v < lo || v > hi;
      if (out) throw invalidArgument(`${spec.name}: value ${v} at element ${i} is outside [${lo}, ${hi}], the model's range (for token ids: its vocabulary)`);
    }
  }
}
