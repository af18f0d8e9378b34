/**
 * Checks an infer body against the model's request contract before any backend sees it: the same rules
 * (shared/contract) the backend applies, fed from the model's metadata and config.
 */
import { decodeJsonInferRequest } from '../../shared/codec/jsonInferRequest';
import { splitBinaryBody } from '../../shared/codec/binaryTensor';
import { checkInferRequest } from '../../shared/contract/checkInferRequest';
import { isRawRequest, rawRequestInput } from '../../shared/contract/rawRequest';
import type { ModelInfo } from '../backends/modelCatalog';

/**
 * Validates `body` for `model` and returns the batch size (what the request costs). The binary part is
 * never parsed: only its length is checked against the declared `binary_data_size`s (and BYTES elements counted).
 */
export function validateInferBody(body: Uint8Array, headerLength: string | undefined, model: ModelInfo): number {
  if (isRawRequest(headerLength)) {
    rawRequestInput(model.contract, body.length);
    return 1;
  }
  const { json, binary } = headerLength === undefined ? { json: body, binary: undefined } : splitBinaryBody(body, headerLength);
  return checkInferRequest(model.contract, decodeJsonInferRequest(json), binary);
}

/**
 * The same checks from the JSON part and the length of the binary part while it is still arriving (BYTES
 * inputs cannot be counted then: callers relay only models without BYTES inputs).
 */
export function validateInferParts(json: Uint8Array, binaryLength: number, model: ModelInfo): number {
  return checkInferRequest(model.contract, decodeJsonInferRequest(json), binaryLength);
}
