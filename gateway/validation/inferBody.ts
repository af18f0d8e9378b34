/**
 * Checks an infer body against the model's request contract before any backend sees it: the same rules
 * (shared/contract) the backend applies, fed from the model's metadata and config.
 */
import { decodeJsonInferRequest } from '../../shared/codec/jsonInferRequest';
import { sliceBinaryInputs, splitBinaryBody, viewTensor } from '../../shared/codec/binaryTensor';
import { checkInferRequest, checkValueRanges } from '../../shared/contract/checkInferRequest';
import { elementCount } from '../../shared/protocol';
import { isRawRequest, rawRequestInput } from '../../shared/contract/rawRequest';
import type { ModelInfo } from '../backends/modelCatalog';

/**
 * Validates `body` for `model` and returns the batch size (what the request costs). The binary part is
 * never parsed: only its length is checked against the declared `binary_data_size`s (and BYTES elements counted).
 */
export function validateInferBody(body: Uint8Array, headerLength: string | undefined, model: ModelInfo): number {
  if (isRawRequest(headerLength)) {
    const input = rawRequestInput(model.contract, body.length);
    if (input.datatype !== 'BYTES') checkValueRanges(model.contract, [{ name: input.name, data: viewTensor(input.datatype, body, elementCount(input.shape)) }]);
    return 1;
  }
  const { json, binary } = headerLength === undefined ? { json: body, binary: undefined } : splitBinaryBody(body, headerLength);
  const decoded = decodeJsonInferRequest(json);
  const batch = checkInferRequest(model.contract, decoded, binary);
  // Values are checked where the gateway holds them (JSON data, a binary body read whole), as the backend checks them.
  const fromBinary = binary ? sliceBinaryInputs(decoded.tensors, binary) : undefined;
  checkValueRanges(model.contract, decoded.tensors.map((t) => ({ name: t.name, data: fromBinary?.get(t.name) ?? t.data })));
  return batch;
}

/**
 * The same checks from the JSON part and the length of the binary part while it is still arriving (BYTES
 * inputs cannot be counted then: callers relay only models without BYTES inputs).
 */
export function validateInferParts(json: Uint8Array, binaryLength: number, model: ModelInfo): number {
  return checkInferRequest(model.contract, decodeJsonInferRequest(json), binaryLength);
}
