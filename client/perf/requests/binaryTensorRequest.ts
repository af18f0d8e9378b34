// The binary tensor extension (Triton docs/protocol/extension_binary_data.md), perf_analyzer's default HTTP form:
// a JSON header naming each input's binary_data_size, then the inputs' bytes in the same order. The length of the
// header goes in Inference-Header-Content-Length.
import type { ModelTensor } from '../model/modelInfo';
import type { RequestTensor } from '../inputs/inputDataset';
import type { Parameters } from '../../../shared/protocol';
import type { OutputTensorFormat, PreparedRequest } from './preparedRequest';

/** Encodes one binary-extension infer request. */
export function encodeBinaryTensorRequest(
  tensors: RequestTensor[],
  outputs: ModelTensor[],
  outputFormat: OutputTensorFormat,
  parameters: Parameters,
): PreparedRequest {
  const header = {
    ...(Object.keys(parameters).length ? { parameters } : {}),
    inputs: tensors.map((t) => ({
      name: t.input.name,
      shape: t.shape,
      datatype: t.input.datatype,
      parameters: { binary_data_size: t.bytes.byteLength },
    })),
    outputs: requestedOutputs(outputs, outputFormat),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  let total = json.byteLength;
  for (const t of tensors) total += t.bytes.byteLength;
  const body = new Uint8Array(total);
  body.set(json);
  let off = json.byteLength;
  for (const t of tensors) {
    body.set(t.bytes, off);
    off += t.bytes.byteLength;
  }
  return { body, headerLength: json.byteLength };
}

/** perf_analyzer asks for every output, binary or not per --output-tensor-format. */
export function requestedOutputs(outputs: ModelTensor[], format: OutputTensorFormat): { name: string; parameters: { binary_data: boolean } }[] {
  return outputs.map((o) => ({ name: o.name, parameters: { binary_data: format === 'binary' } }));
}
