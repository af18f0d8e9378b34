/**
 * ModelInferResponse from a model's outputs. Raw (raw_output_contents, little-endian bytes, BYTES elements with
 * length prefixes) when the request sent its inputs raw, as Triton's clients do and read back; typed contents when
 * it sent typed contents (readable as they are by generic clients such as grpcurl). `binary_data_output` on the
 * request, or `binary_data` on a requested output, asks for raw explicitly. A response is raw or typed as a
 * whole: raw_output_contents lines up with `outputs` one to one.
 */
import { encodeBytesElements, tensorBytes } from '../../shared/codec/binaryTensor';
import type { SharedMemoryRef } from '../../shared/contract/sharedMemoryRef';
import type { Datatype } from '../../shared/protocol';
import type { ParsedInferRequest } from '../http/inferCodec';
import type { OutputTensor } from '../models/types';
import type { GrpcContents } from './grpcInferRequest';

type Contents = Partial<Record<keyof GrpcContents, unknown[]>>;

/** Whether the answer to `req` goes in raw_output_contents. */
export function answersRaw(req: ParsedInferRequest, rawInputs: boolean, outputs: readonly OutputTensor[]): boolean {
  // FP16 has no typed field: a response with an FP16 output can only be raw.
  if (outputs.some((t) => t.datatype === 'FP16')) return true;
  const all = req.parameters.binary_data_output;
  if (typeof all === 'boolean') return all;
  const asked = req.outputs.map((o) => o.binary).filter((b) => b !== undefined);
  if (asked.length) return asked.includes(true);
  return rawInputs;
}

function typedContents(datatype: Datatype, data: OutputTensor['data']): Contents {
  const values = data as unknown as ArrayLike<number | bigint> & Iterable<number | bigint>;
  switch (datatype) {
    case 'FP32':
      return { fp32_contents: Array.from(values) };
    case 'FP64':
      return { fp64_contents: Array.from(values) };
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return { int_contents: Array.from(values) };
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return { uint_contents: Array.from(values) };
    case 'INT64':
      return { int64_contents: Array.from(values, String) };
    case 'UINT64':
      return { uint64_contents: Array.from(values, String) };
    case 'BOOL':
      return { bool_contents: Array.from(values, Boolean) };
    case 'BYTES':
      return { bytes_contents: data as unknown as Uint8Array[] };
    default:
      throw new Error(`no typed contents for ${datatype}`);
  }
}

function rawBytes(t: OutputTensor): Buffer {
  const bytes = t.datatype === 'BYTES' ? encodeBytesElements(t.data as unknown as Uint8Array[]) : tensorBytes(t.data);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function sharedMemoryParameters(ref: SharedMemoryRef): Record<string, object> {
  return {
    shared_memory_region: { string_param: ref.region },
    shared_memory_byte_size: { uint64_param: ref.byteSize },
    ...(ref.offset && { shared_memory_offset: { uint64_param: ref.offset } }),
  };
}

/** The response as a plain ModelInferResponse object. */
export function inferResponseObject(model: { name: string; version: string }, req: ParsedInferRequest, tensors: readonly OutputTensor[], raw: boolean): object {
  const raw_output_contents: Buffer[] = [];
  const outputs = tensors.map((t) => {
    const base = { name: t.name, datatype: t.datatype, shape: t.shape };
    const shm = req.outputs.find((o) => o.name === t.name)?.shm;
    // Written into its region already: the answer says where, and its raw entry is empty (the indexes stay aligned).
    if (shm) {
      if (raw) raw_output_contents.push(Buffer.alloc(0));
      return { ...base, parameters: sharedMemoryParameters(shm) };
    }
    if (raw) {
      raw_output_contents.push(rawBytes(t));
      return base;
    }
    return { ...base, contents: typedContents(t.datatype, t.data) };
  });
  return { model_name: model.name, model_version: model.version, id: req.id ?? '', outputs, raw_output_contents };
}
