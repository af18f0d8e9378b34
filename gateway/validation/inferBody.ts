/**
 * Checks an infer body against the model's metadata before any backend sees it: the request schema,
 * input names, datatypes and shapes, data length against shape, and the binary extension's sizes.
 */
import { decodeJsonInferRequest } from '../../shared/codec/jsonInferRequest';
import { splitBinaryBody } from '../../shared/codec/binaryTensor';
import { invalidArgument } from '../../shared/errors';
import { DATATYPE_SIZE, elementCount } from '../../shared/protocol';
import { parseInferRequest, type InferRequest } from '../../shared/schemas/inferRequest';
import type { ModelInfo } from '../backends/modelCatalog';

const shapeText = (s: readonly number[]) => `[${s.join(',')}]`;

/**
 * Validates `body` for `model` and returns the batch size (what the request costs). The binary part is
 * never parsed: only its length is checked against the declared `binary_data_size`s.
 */
export function validateInferBody(body: Uint8Array, headerLength: string | undefined, model: ModelInfo): number {
  const { json, binary } = headerLength === undefined ? { json: body, binary: undefined } : splitBinaryBody(body, headerLength);
  return validateInferParts(json, binary, model);
}

/**
 * The same checks from the JSON part and the binary part, or only the binary part's length while it is
 * still arriving (then BYTES inputs cannot be counted: callers relay only models without BYTES inputs).
 */
export function validateInferParts(json: Uint8Array, binary: Uint8Array | number | undefined, model: ModelInfo): number {
  const binaryLength = typeof binary === 'number' ? binary : binary?.length;
  // The fast decoder checks the JSON syntax and counts each input's `data` against its shape.
  const decoded = decodeJsonInferRequest(json);
  const parsed = parseInferRequest(decoded.header);
  if (!parsed.ok) throw invalidArgument(parsed.message);
  const request = parsed.request;

  let binaryBytes = 0;
  const seen = new Set<string>();
  decoded.tensors.forEach((tensor, i) => {
    const input = request.inputs[i];
    checkAgainstMetadata(input, model, seen);
    const count = elementCount(input.shape);
    const size = input.parameters?.binary_data_size;
    if (size !== undefined) {
      if (binary === undefined) throw invalidArgument(`input '${input.name}': binary_data_size needs the Inference-Header-Content-Length header`);
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw invalidArgument(`input '${input.name}': binary_data_size must be a non-negative integer`);
      }
      if (tensor.data !== undefined) throw invalidArgument(`input '${input.name}': has both data and binary_data_size`);
      if (input.datatype !== 'BYTES' && size !== count * DATATYPE_SIZE[input.datatype]) {
        throw invalidArgument(
          `input '${input.name}': binary_data_size is ${size}, but shape ${shapeText(input.shape)} of ${input.datatype} needs ${count * DATATYPE_SIZE[input.datatype]} bytes`,
        );
      }
      if (input.datatype === 'BYTES' && binary instanceof Uint8Array) {
        checkBytesElements(input.name, binary.subarray(binaryBytes, binaryBytes + size), count);
      }
      binaryBytes += size;
    } else if (tensor.data === undefined) {
      throw invalidArgument(`input '${input.name}': no data (give 'data', or binary_data_size with the binary extension)`);
    }
  });

  for (const spec of model.inputs) {
    if (!seen.has(spec.name)) throw invalidArgument(`model '${model.name}' expects input '${spec.name}', which is missing`);
  }
  if (binaryLength !== undefined && binaryBytes !== binaryLength) {
    throw invalidArgument(`binary_data_size values add up to ${binaryBytes} bytes, but ${binaryLength} bytes follow the JSON header`);
  }
  for (const out of request.outputs ?? []) {
    if (!model.outputNames.has(out.name)) {
      throw invalidArgument(`model '${model.name}' has no output '${out.name}' (it has ${[...model.outputNames].join(', ')})`);
    }
  }
  return batchOf(request, model);
}

function checkAgainstMetadata(input: InferRequest['inputs'][number], model: ModelInfo, seen: Set<string>): void {
  const spec = model.inputsByName.get(input.name);
  if (!spec) {
    throw invalidArgument(`model '${model.name}' has no input '${input.name}' (it has ${[...model.inputsByName.keys()].join(', ')})`);
  }
  if (seen.has(input.name)) throw invalidArgument(`input '${input.name}' is given twice`);
  seen.add(input.name);
  if (input.datatype !== spec.datatype) {
    throw invalidArgument(`input '${input.name}': datatype is ${input.datatype}, but the model expects ${spec.datatype}`);
  }
  const fits = input.shape.length === spec.shape.length && spec.shape.every((d, i) => d < 0 || d === input.shape[i]);
  if (!fits) throw invalidArgument(`input '${input.name}': shape ${shapeText(input.shape)} does not match the model's ${shapeText(spec.shape)}`);
  if (model.maxBatchSize > 0) {
    const n = input.shape[0];
    if (n < 1 || n > model.maxBatchSize) {
      throw invalidArgument(`input '${input.name}': batch size ${n} is outside 1..${model.maxBatchSize} for model '${model.name}'`);
    }
  }
}

// A batch of n costs n: the first input's leading dimension (every input shares it).
function batchOf(request: InferRequest, model: ModelInfo): number {
  if (model.maxBatchSize === 0) return 1;
  const n = request.inputs[0].shape[0];
  for (const input of request.inputs) {
    if (input.shape[0] !== n) throw invalidArgument(`inputs disagree on the batch size: '${request.inputs[0].name}' has ${n}, '${input.name}' has ${input.shape[0]}`);
  }
  return n;
}

// BYTES elements are a 4-byte little-endian length then the bytes; count them without copying.
function checkBytesElements(name: string, bytes: Uint8Array, expected: number): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  let n = 0;
  while (off < bytes.length) {
    if (off + 4 > bytes.length) throw invalidArgument(`input '${name}': BYTES element ${n} has a truncated length prefix`);
    off += 4 + dv.getUint32(off, true);
    n++;
  }
  if (off !== bytes.length) throw invalidArgument(`input '${name}': BYTES element ${n - 1} runs past its binary_data_size`);
  if (n !== expected) throw invalidArgument(`input '${name}': expected ${expected} BYTES elements for its shape, got ${n}`);
}
