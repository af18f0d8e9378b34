/**
 * A request read by JsonRequestScanner, checked by the same structure rules as a decoded one
 * (buildDecodedRequest): every field, and each `data` array's element count and element kinds against the
 * datatype. The values themselves are not read (ranges, integer-ness, doubles too large): that is the decoder's.
 */
import { InferenceError } from '../errors';
import type { Datatype } from '../protocol';
import { LeafKind, ScannedData } from './jsonRequestScanner';
import { buildDecodedRequest, type DecodedJsonRequest } from './jsonRequestStructure';
import type { TensorData } from './jsonTensorData';

const L = LeafKind;

/**
 * The element kinds (LeafKind bits) each datatype's decoder takes, and what it says of any other: NaN and
 * Infinity only become floats; integers must be number tokens (their range and integer-ness are the decoder's).
 */
export function acceptedKinds(datatype: Datatype): [number, string] {
  switch (datatype) {
    case 'FP32':
    case 'FP64':
    case 'FP16':
      return [L.Number | L.NonFinite, 'is not a number'];
    case 'BOOL':
      return [L.Boolean, 'is not a boolean'];
    case 'BYTES':
      return [L.String, 'is not a string'];
    default:
      return [L.Number, 'is not a number'];
  }
}

// What a scanned tensor's `data` is once checked: nothing was decoded, so no values (only their count).
const NO_VALUES: TensorData = new Float32Array(0);

/** The decoded form of a scanned request, with `data` empty and `count` its element count; throws the 400 buildDecodedRequest would. */
export function scannedInferRequest(root: Record<string, unknown>): DecodedJsonRequest {
  return buildDecodedRequest(root, (raw, input) => {
    if (!(raw instanceof ScannedData)) throw new InferenceError('INVALID_ARGUMENT', `input '${input.name}': data must be an array`);
    const [kinds, reason] = acceptedKinds(input.datatype);
    const bad = raw.firstOutside(kinds);
    if (bad >= 0) throw new InferenceError('INVALID_ARGUMENT', `input '${input.name}': data element ${bad} ${reason}`);
    return { data: NO_VALUES, count: raw.count };
  });
}
