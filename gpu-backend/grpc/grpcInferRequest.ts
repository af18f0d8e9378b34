/**
 * A gRPC ModelInferRequest as the request contract sees it: the message is turned into the shape of a decoded
 * KServe JSON request (buildDecodedRequest) and then checked by the same rules as every HTTP request
 * (checkInferRequest, checkValueRanges), so a bad input gets the message HTTP gives it. Only what HTTP has no
 * counterpart for (raw_input_contents entries, typed contents fields) has messages of its own here.
 */
import { decodeBytesElements, viewTensor, type FixedTensorData } from '../../shared/codec/binaryTensor';
import type { DecodedInput, DecodedJsonRequest } from '../../shared/codec/jsonInferRequest';
import { buildDecodedRequest } from '../../shared/codec/jsonRequestStructure';
import { checkInferRequest, checkValueRanges } from '../../shared/contract/checkInferRequest';
import { DATATYPE_INFO, type FixedDatatype } from '../../shared/datatypes';
import { invalidArgument } from '../../shared/errors';
import { elementCount, type Datatype, type Parameters, type RequestInput } from '../../shared/protocol';
import type { ParsedInferRequest } from '../http/inferCodec';
import { toParsedRequest } from '../http/inferCodec';
import type { ServedModel } from '../models/types';
import { messageType } from './protos';

/** An InferParameter as decoded: one member of parameter_choice. */
export interface GrpcParameter {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: string;
  string_param?: string;
  double_param?: number;
  uint64_param?: string;
}

/** InferTensorContents as decoded (64-bit integers as decimal strings, so none loses precision). */
export type GrpcContents = {
  bool_contents: boolean[];
  int_contents: number[];
  int64_contents: string[];
  uint_contents: number[];
  uint64_contents: string[];
  fp32_contents: number[];
  fp64_contents: number[];
  bytes_contents: Uint8Array[];
};

/** A decoded ModelInferRequest. */
export interface GrpcInferRequest {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters: Record<string, GrpcParameter>;
  inputs: { name?: string; datatype?: string; shape: string[]; parameters: Record<string, GrpcParameter>; contents?: GrpcContents }[];
  outputs: { name?: string; parameters: Record<string, GrpcParameter> }[];
  raw_input_contents: Uint8Array[];
}

const REQUEST = messageType('inference.ModelInferRequest');

/** Decodes ModelInferRequest bytes; a message that is not one is INVALID_ARGUMENT. */
export function decodeModelInferRequest(bytes: Uint8Array): GrpcInferRequest {
  try {
    return REQUEST.toObject(REQUEST.decode(bytes), { longs: String, arrays: true, objects: true, oneofs: true }) as GrpcInferRequest;
  } catch (err) {
    throw invalidArgument(`malformed ModelInferRequest: ${(err as Error).message}`);
  }
}

/** A request parameter's value, as the HTTP API has it (string, number or boolean). */
function parameterValue(p: GrpcParameter, where: string): string | number | boolean {
  switch (p.parameter_choice) {
    case 'bool_param':
      return p.bool_param!;
    case 'string_param':
      return p.string_param!;
    case 'double_param':
      return p.double_param!;
    case 'int64_param':
    case 'uint64_param': {
      const n = Number(p[p.parameter_choice]);
      if (!Number.isSafeInteger(n)) throw invalidArgument(`${where}: ${p[p.parameter_choice]} is too large a number`);
      return n;
    }
    default:
      throw invalidArgument(`${where}: the parameter has no value (set bool_param, int64_param, string_param, double_param or uint64_param)`);
  }
}

function parametersOf(map: Record<string, GrpcParameter>, where: string): Parameters | undefined {
  const keys = Object.keys(map);
  if (!keys.length) return undefined;
  const out: Parameters = {};
  for (const k of keys) out[k] = parameterValue(map[k], `${where} ${k}`);
  return out;
}

// The typed contents field of each datatype (FP16 has none: raw only, as the protocol says).
const CONTENTS_FIELD: Record<Datatype, keyof GrpcContents | null> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP16: null,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

const INT_RANGE: Partial<Record<Datatype, [number, number]>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  UINT8: [0, 255],
  UINT16: [0, 65535],
};

const CONTENTS_FIELDS = [...new Set(Object.values(CONTENTS_FIELD).filter((f): f is keyof GrpcContents => f !== null))];
const fmt = (shape: readonly number[]) => `[${shape.join(',')}]`;

// Typed contents are KServe JSON's `data`: converted (and counted against the shape) by buildDecodedRequest.
function fromContents(contents: GrpcContents, input: RequestInput): { data: unknown; count: number } {
  const field = CONTENTS_FIELD[input.datatype];
  if (field === null) throw invalidArgument(`input '${input.name}': ${input.datatype} has no typed contents field; send its bytes in raw_input_contents`);
  const other = CONTENTS_FIELDS.find((f) => f !== field && contents[f].length > 0);
  if (other) throw invalidArgument(`input '${input.name}': datatype ${input.datatype} takes its values in ${field}, but ${other} is set`);
  const values = contents[field];
  const dt = input.datatype;
  if (dt === 'BYTES') return { data: values, count: values.length };
  if (dt === 'INT64' || dt === 'UINT64') {
    const strings = values as string[];
    const data = dt === 'INT64' ? BigInt64Array.from(strings, BigInt) : BigUint64Array.from(strings, BigInt);
    return { data, count: data.length };
  }
  if (dt === 'BOOL') return { data: Uint8Array.from(values as boolean[], (b) => (b ? 1 : 0)), count: values.length };
  const range = INT_RANGE[dt];
  const numbers = values as number[];
  if (range) {
    const i = numbers.findIndex((v) => v < range[0] || v > range[1]);
    if (i >= 0) throw invalidArgument(`input '${input.name}': data element ${i} (${numbers[i]}) is out of range for ${dt}`);
  }
  const data = new DATATYPE_INFO[dt as FixedDatatype].array(numbers.length) as Float32Array;
  data.set(numbers);
  return { data, count: data.length };
}

// raw_input_contents are the binary extension's tensors: checked against the shape as binary_data_size is.
function fromRaw(t: DecodedInput, bytes: Uint8Array, place?: AlignedCopy): DecodedInput['data'] {
  const count = elementCount(t.shape);
  if (t.datatype === 'BYTES') {
    const elements = decodeBytesElements(bytes, t.name);
    if (elements.length !== count) throw invalidArgument(`${t.name}: expected ${count} BYTES elements for its shape, got ${elements.length}`);
    return elements as unknown as DecodedInput['data'];
  }
  const want = count * DATATYPE_INFO[t.datatype].size;
  if (bytes.byteLength !== want) {
    throw invalidArgument(`${t.name}: expected ${want} bytes of ${t.datatype} for shape ${fmt(t.shape)}, got ${bytes.byteLength} bytes in raw_input_contents`);
  }
  // A field inside a protobuf message sits at any offset: a typed array needs its element size's alignment.
  const aligned = bytes.byteOffset % DATATYPE_INFO[t.datatype].size === 0 || !place ? bytes : place(bytes);
  return viewTensor(t.datatype, aligned, count);
}

/** Copies bytes to aligned memory (pooled by the caller, who gives it back once the request has run). */
export type AlignedCopy = (bytes: Uint8Array) => Uint8Array;

const isSharedMemoryInput = (parameters: Record<string, GrpcParameter>) => parameters.shared_memory_region !== undefined;

/** A ModelInferRequest in the decoded form of a KServe JSON request; `rawInputs` still hold their raw bytes as data. */
export interface DecodedGrpcRequest {
  decoded: DecodedJsonRequest;
  /** Whether the inputs came as raw_input_contents (one entry per input not in shared memory, in order). */
  raw: boolean;
  rawInputs: DecodedInput[];
}

/** Turns a ModelInferRequest into the decoded form of a KServe JSON request (typed contents converted, raw ones not yet). */
function decodedFromGrpc(req: GrpcInferRequest): DecodedGrpcRequest {
  const raw = req.raw_input_contents.length > 0;
  const rawBytes = new Map<number, Uint8Array>();
  let next = 0;
  req.inputs.forEach((t, i) => {
    const name = t.name ?? '';
    if (isSharedMemoryInput(t.parameters)) return;
    if (raw) {
      if (t.contents && CONTENTS_FIELDS.some((f) => t.contents![f].length > 0)) {
        throw invalidArgument(`input '${name}': contents must not be set when the request uses raw_input_contents`);
      }
      if (next < req.raw_input_contents.length) rawBytes.set(i, req.raw_input_contents[next]);
      next++;
    } else if (!t.contents) {
      throw invalidArgument(`${name}: input has no data (give its contents, or every input's bytes in raw_input_contents)`);
    }
  });
  if (raw && next !== req.raw_input_contents.length) {
    throw invalidArgument(`raw_input_contents has ${req.raw_input_contents.length} entries for ${next} inputs: give one per input, in the order of 'inputs'`);
  }
  const root = {
    ...(req.id && { id: req.id }),
    ...(Object.keys(req.parameters).length && { parameters: parametersOf(req.parameters, 'parameter') }),
    inputs: req.inputs.map((t) => ({
      name: t.name ?? '',
      datatype: t.datatype ?? '',
      shape: t.shape.map(Number),
      ...(Object.keys(t.parameters).length && { parameters: parametersOf(t.parameters, `input '${t.name ?? ''}': parameter`) }),
      ...(!raw && !isSharedMemoryInput(t.parameters) && { data: t.contents }),
    })),
    ...(req.outputs.length && {
      outputs: req.outputs.map((o) => ({
        name: o.name ?? '',
        ...(Object.keys(o.parameters).length && { parameters: parametersOf(o.parameters, `output '${o.name ?? ''}': parameter`) }),
      })),
    }),
  };
  const decoded = buildDecodedRequest(root, (contents, input) => fromContents(contents as GrpcContents, input) as { data: NonNullable<DecodedInput['data']>; count: number });
  // Raw inputs carry their bytes until the header has been checked (names, datatypes, shapes first, as for the binary extension).
  const rawInputs = [...rawBytes].map(([i, bytes]) => {
    const t = decoded.tensors[i];
    t.data = bytes;
    return t;
  });
  return { decoded, raw, rawInputs };
}

/** Reads shared-memory inputs for a checked request (see grpcSharedMemory.ts); none without the extension. */
export type SharedMemoryInputs = (decoded: DecodedJsonRequest) => Promise<Map<string, unknown> | null>;

/** What checking a gRPC request against a model needs besides the request. */
export interface GrpcRequestChecks {
  /** Whether tensors may name system shared-memory regions. */
  sharedMemory: boolean;
  readInputs?: SharedMemoryInputs;
  checkOutputs?: (outputs: ParsedInferRequest['outputs']) => void;
  /** Where misaligned raw tensors are copied (default: a fresh copy, left to the GC). */
  place?: AlignedCopy;
}

/** Checks a decoded gRPC request against model `m` with the HTTP rules, and turns it into model inputs. */
export async function parseGrpcInferRequest(m: ServedModel, req: GrpcInferRequest, checks: GrpcRequestChecks): Promise<{ request: ParsedInferRequest; raw: boolean }> {
  const { decoded, raw, rawInputs } = decodedFromGrpc(req);
  checkInferRequest(m.contract, decoded, undefined, { sharedMemory: checks.sharedMemory });
  for (const t of rawInputs) t.data = fromRaw(t, t.data as unknown as Uint8Array, checks.place);
  const fromSharedMemory = checks.readInputs ? await checks.readInputs(decoded) : null;
  const request = toParsedRequest(decoded, null, fromSharedMemory as Map<string, FixedTensorData | Uint8Array[]> | null);
  checks.checkOutputs?.(request.outputs);
  checkValueRanges(m.contract, request.inputs);
  return { request, raw };
}
