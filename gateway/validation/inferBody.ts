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
import { JsonInferCheck } from './jsonInferCheck';

/**
 * Validates `body` for `model` and returns the batch size (what the request costs). A JSON body is checked by
 * JsonInferCheck (fields and element counts; the values are the backend's). The binary part is never parsed:
 * only its length is checked against the declared `binary_data_size`s (and BYTES elements counted).
 */
export function validateInferBody(body: Uint8Array, headerLength: string | undefined, model: ModelInfo): number {
  if (isRawRequest(headerLength)) {
    const input = rawRequestInput(model.contract, body.length);
    if (input.datatype !== 'BYTES') checkValueRanges(model.contract, [{ name: input.name, data: viewTensor(input.datatype, body, elementCount(input.shape)) }]);
    return 1;
  }
  if (headerLength === undefined) {
    const check = jsonInferCheck(model, false);
    try {
      check.push(body);
    } catch {
      // Not JSON: `end` words the refusal.
    }
    check.end(() => body);
    return check.cost;
  }
  const { json, binary } = splitBinaryBody(body, headerLength);
  const decoded = decodeJsonInferRequest(json);
  const batch = checkInferRequest(model.contract, decoded, binary);
  // Values are checked where the gateway holds them (a binary body read whole), as the backend checks them.
  const fromBinary = sliceBinaryInputs(decoded.tensors, binary);
  checkValueRanges(model.contract, decoded.tensors.map((t) => ({ name: t.name, data: fromBinary.get(t.name) ?? t.data })));
  return batch;
}

/** The check of one JSON infer body for `model`, streaming (see JsonInferCheck) or read whole. */
export function jsonInferCheck(model: ModelInfo, stream: boolean): JsonInferCheck {
  return new JsonInferCheck(model.contract, { stream, wordRefusal: (body) => decodedCheck(body, model) });
}

// The rules as the backend applies them to a body it decodes: every value read, then the request and the values'
// ranges checked. Only refusals run it, for their wording.
function decodedCheck(body: Uint8Array, model: ModelInfo): void {
  const decoded = decodeJsonInferRequest(body);
  checkInferRequest(model.contract, decoded, undefined);
  checkValueRanges(model.contract, decoded.tensors.map((t) => ({ name: t.name, data: t.data })));
}

/**
 * The same checks from the JSON part and the length of the binary part while it is still arriving (BYTES
 * inputs cannot be counted then: callers relay only models without BYTES inputs).
 */
export function validateInferParts(json: Uint8Array, binaryLength: number, model: ModelInfo): number {
  return checkInferRequest(model.contract, decodeJsonInferRequest(json), binaryLength);
}
