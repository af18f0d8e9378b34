// A KServe v2 JSON infer request (`--input-tensor-format json`): every input's values inline as a flat array in
// row-major order; BYTES elements as strings.
import { decodeBytesElements, viewTensor } from '../../../shared/codec/binaryTensor';
import { DATATYPE_SIZE, type Parameters } from '../../../shared/protocol';
import { PerfUsageError } from '../errors';
import type { RequestTensor } from '../inputs/inputDataset';
import type { ModelTensor } from '../model/modelInfo';
import { requestedOutputs } from './binaryTensorRequest';
import type { OutputTensorFormat, PreparedRequest } from './preparedRequest';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Encodes one JSON infer request. */
export function encodeJsonTensorRequest(
  tensors: RequestTensor[],
  outputs: ModelTensor[],
  outputFormat: OutputTensorFormat,
  parameters: Parameters,
): PreparedRequest {
  // The data arrays are spliced in as text: JSON.stringify of a 442,368-element array of numbers is several times
  // slower and would build the same string.
  const inputs = tensors.map((t) => {
    const head = JSON.stringify({ name: t.input.name, shape: t.shape, datatype: t.input.datatype });
    return `${head.slice(0, -1)},"data":[${dataText(t)}]}`;
  });
  const params = Object.keys(parameters).length ? `"parameters":${JSON.stringify(parameters)},` : '';
  const text = `{${params}"inputs":[${inputs.join(',')}],"outputs":${JSON.stringify(requestedOutputs(outputs, outputFormat))}}`;
  return { body: new TextEncoder().encode(text) };
}

function dataText(t: RequestTensor): string {
  const { datatype, name } = t.input;
  if (datatype === 'BYTES') {
    return decodeBytesElements(t.bytes, name)
      .map((e, i) => {
        try {
          return JSON.stringify(strictUtf8.decode(e));
        } catch {
          throw new PerfUsageError(`${name}: BYTES element ${i} is not UTF-8 text, so it cannot travel in a JSON request; use --input-tensor-format binary`);
        }
      })
      .join(',');
  }
  const count = t.bytes.byteLength / DATATYPE_SIZE[datatype];
  const view = viewTensor(datatype, t.bytes, count);
  if (datatype === 'BOOL') return Array.from(view as Uint8Array, (v) => (v ? 'true' : 'false')).join(',');
  if (datatype === 'FP16') return Array.from(view as Uint16Array, halfToNumber).join(',');
  // Typed arrays join their elements' shortest round-trip text (BigInt64Array included).
  return view.join(',');
}

/** IEEE 754 half-precision bits to a number. */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
