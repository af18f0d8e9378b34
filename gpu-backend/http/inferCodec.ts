import { invalidArgument } from '../../shared/errors';
import { encodeBytesElements, sliceBinaryInputs, tensorBytes } from '../../shared/codec/binaryTensor';
import { stringifyInferResponse, type UnwrittenOutput, type UnwrittenResponse } from '../../shared/codec/jsonResponse';
import type { DecodedJsonRequest } from '../../shared/codec/jsonInferRequest';
import type { Parameters } from '../../shared/protocol';
import { sharedMemoryRef, type SharedMemoryRef } from '../../shared/contract/sharedMemoryRef';
import type { FixedTensorData } from '../../shared/codec/binaryTensor';
import type { InputTensor, OutputTensor } from '../models/types';

/** A request after decoding, in either protocol. */
export interface ParsedInferRequest {
  id?: string;
  parameters: Parameters;
  inputs: InputTensor[];
  /** Requested outputs with their per-output binary choice (or shared-memory region); empty means all, in JSON unless binary_data_output. */
  outputs: { name: string; binary?: boolean; shm?: SharedMemoryRef }[];
}

/** Turns a decoded JSON header (plus the binary section, and inputs read from shared memory, if any) into model inputs. */
export function toParsedRequest(decoded: DecodedJsonRequest, binary: Uint8Array | null, fromSharedMemory?: Map<string, FixedTensorData | Uint8Array[]> | null): ParsedInferRequest {
  const { header, tensors } = decoded;
  const fromBinary = binary ? sliceBinaryInputs(tensors, binary) : null;
  const inputs: InputTensor[] = tensors.map((t) => {
    const bin = fromBinary?.get(t.name) ?? fromSharedMemory?.get(t.name);
    if (t.parameters?.binary_data_size !== undefined && !binary) {
      throw invalidArgument(`${t.name}: binary_data_size is set, but the request has no Inference-Header-Content-Length header`);
    }
    const data = bin ?? t.data;
    if (data === undefined) throw invalidArgument(`${t.name}: input has no data`);
    return { name: t.name, datatype: t.datatype, shape: t.shape, data: data as InputTensor['data'] };
  });
  const outputs = (header.outputs ?? []).map((o) => {
    const b = o.parameters?.binary_data;
    if (b !== undefined && typeof b !== 'boolean') throw invalidArgument(`output '${o.name}': binary_data must be a boolean`);
    const shm = sharedMemoryRef(o.parameters, `output '${o.name}'`) ?? undefined;
    return shm ? { name: o.name, binary: b, shm } : { name: o.name, binary: b };
  });
  return { id: header.id, parameters: header.parameters ?? {}, inputs, outputs };
}

/** An encoded response: body bytes and, for the binary extension, the JSON header's length. */
export interface EncodedResponse {
  body: Uint8Array | string;
  headerLength?: number;
}

const textEncoder = new TextEncoder();

/** Encodes a response, each output in JSON or binary as the request asked (Triton's rules). */
export function encodeInferResponse(
  model: string,
  version: string,
  req: ParsedInferRequest,
  tensors: OutputTensor[],
): EncodedResponse {
  const allBinary = req.parameters.binary_data_output === true;
  const chunks: Uint8Array[] = [];
  const outputs: UnwrittenOutput[] = tensors.map((t) => {
    const asked = req.outputs.find((o) => o.name === t.name);
    // Written into its region already (writeSharedMemoryOutputs): the answer says where, without the data.
    if (asked?.shm) return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: sharedMemoryParameters(asked.shm) };
    const binary = asked?.binary ?? allBinary;
    if (!binary) return { name: t.name, datatype: t.datatype, shape: t.shape, data: t.data as UnwrittenOutput['data'] };
    const bytes = t.datatype === 'BYTES' ? encodeBytesElements(t.data as unknown as Uint8Array[]) : tensorBytes(t.data);
    chunks.push(bytes);
    return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: bytes.byteLength } };
  });
  const header: UnwrittenResponse = { model_name: model, model_version: version, outputs };
  if (req.id !== undefined) header.id = req.id;
  const json = stringifyInferResponse(header);
  if (!chunks.length) return { body: json };
  const head = textEncoder.encode(json);
  let total = head.length;
  for (const c of chunks) total += c.length;
  const body = new Uint8Array(total);
  body.set(head, 0);
  let off = head.length;
  for (const c of chunks) {
    body.set(c, off);
    off += c.length;
  }
  return { body, headerLength: head.length };
}

function sharedMemoryParameters(ref: SharedMemoryRef): Parameters {
  const p: Parameters = { shared_memory_region: ref.region, shared_memory_byte_size: ref.byteSize };
  if (ref.offset) p.shared_memory_offset = ref.offset;
  return p;
}
