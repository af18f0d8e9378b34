// Triton's raw binary request (extension_binary_data.md, "Raw Binary Request"): Inference-Header-Content-Length: 0
// and the whole body is the model's one input; for a BYTES input the body is the one element itself, without its
// length prefix. No JSON header, so no request parameters and no batch dimension can travel; the response is
// all-binary. `--input-tensor-format raw` selects it (not a perf_analyzer value).
import { decodeBytesElements } from '../../../shared/codec/binaryTensor';
import { PerfUsageError } from '../errors';
import type { RequestTensor } from '../inputs/inputDataset';
import type { PreparedRequest } from './preparedRequest';

/** Encodes one raw binary request from a batch-1 request's single tensor. */
export function encodeRawBinaryRequest(tensors: RequestTensor[]): PreparedRequest {
  if (tensors.length !== 1) {
    throw new PerfUsageError(`--input-tensor-format raw sends exactly one input, but the request has ${tensors.length} (${tensors.map((t) => t.input.name).join(', ')})`);
  }
  const [t] = tensors;
  if (t.input.datatype !== 'BYTES') return { body: t.bytes, headerLength: 0 };
  const elements = decodeBytesElements(t.bytes, t.input.name);
  if (elements.length !== 1) throw new PerfUsageError(`--input-tensor-format raw sends one BYTES element, but ${t.input.name}'s data has ${elements.length}`);
  return { body: elements[0], headerLength: 0 };
}
