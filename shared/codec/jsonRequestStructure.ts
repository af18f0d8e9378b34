/** The structure checks of a KServe v2 JSON infer request, shared by the fast decoder and its JSON.parse reference. */
import { InferenceError } from '../errors';
import { DATATYPES, elementCount, type Datatype, type InferRequestHeader, type Parameters, type RequestInput, type RequestOutput } from '../protocol';
import type { TensorData } from './jsonTensorData';

/** One input of a decoded request: its header fields plus its elements as a typed array (or strings for BYTES). */
export interface DecodedInput {
  name: string;
  datatype: Datatype;
  shape: number[];
  parameters?: Parameters;
  /** Undefined when the input has no `data` key (the binary extension sends the tensor after the JSON). */
  data: TensorData | undefined;
  /** Number of elements in `data`; 0 when `data` is undefined. */
  count: number;
}

/** A decoded infer request: the header (inputs without data) and one decoded tensor per input, in order. */
export interface DecodedJsonRequest {
  header: InferRequestHeader;
  tensors: DecodedInput[];
}

/** Turns the raw `data` value of a validated input into its elements, or throws a 400 naming the input. */
export type DataConverter = (raw: unknown, input: RequestInput) => { data: TensorData; count: number };

const KNOWN_DATATYPES = new Set<string>(DATATYPES);

/** Whether `s` names a KServe v2 datatype. */
export const isDatatype = (s: unknown): s is Datatype => typeof s === 'string' && KNOWN_DATATYPES.has(s);

const bad = (msg: string) => new InferenceError('INVALID_ARGUMENT', msg);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkParameters(v: unknown, where: string): Parameters | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw bad(`${where} must be an object`);
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') {
      throw bad(`${where}.${k} must be a string, number or boolean`);
    }
  }
  return v as Parameters;
}

function checkInput(v: unknown, i: number): RequestInput {
  if (!isObject(v)) throw bad(`inputs[${i}] must be an object`);
  const { name, datatype, shape } = v;
  if (typeof name !== 'string') throw bad(`inputs[${i}].name must be a string`);
  if (typeof datatype !== 'string') throw bad(`input '${name}': datatype must be a string`);
  if (!isDatatype(datatype)) throw bad(`input '${name}': unknown datatype '${datatype}' (expected one of ${DATATYPES.join(', ')})`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw bad(`input '${name}': shape must be an array of non-negative integers`);
  }
  const input: RequestInput = { name, shape: shape as number[], datatype };
  const parameters = checkParameters(v.parameters, `input '${name}': parameters`);
  if (parameters) input.parameters = parameters;
  return input;
}

function checkOutput(v: unknown, i: number): RequestOutput {
  if (!isObject(v)) throw bad(`outputs[${i}] must be an object`);
  if (typeof v.name !== 'string') throw bad(`outputs[${i}].name must be a string`);
  const output: RequestOutput = { name: v.name };
  const parameters = checkParameters(v.parameters, `output '${v.name}': parameters`);
  if (parameters) output.parameters = parameters;
  return output;
}

/** Validates a parsed request body and converts each input's data; throws INVALID_ARGUMENT naming the field. */
export function buildDecodedRequest(root: unknown, convert: DataConverter): DecodedJsonRequest {
  if (!isObject(root)) throw bad('request body must be a JSON object');
  if (root.id !== undefined && typeof root.id !== 'string') throw bad("'id' must be a string");
  const parameters = checkParameters(root.parameters, "'parameters'");
  if (!Array.isArray(root.inputs)) throw bad("'inputs' must be an array");
  const rawInputs: unknown[] = root.inputs;
  const inputs = rawInputs.map(checkInput);
  if (root.outputs !== undefined && !Array.isArray(root.outputs)) throw bad("'outputs' must be an array");
  const outputs = (root.outputs as unknown[] | undefined)?.map(checkOutput);
  // Only the keys the client sent, in protocol order.
  const header: InferRequestHeader = {
    ...(root.id !== undefined && { id: root.id }),
    ...(parameters && { parameters }),
    inputs,
    ...(outputs && { outputs }),
  };
  const tensors = header.inputs.map((input, i): DecodedInput => {
    const raw = (rawInputs[i] as Record<string, unknown>).data;
    const base = { name: input.name, datatype: input.datatype, shape: input.shape };
    const withParams = input.parameters ? { ...base, parameters: input.parameters } : base;
    if (raw === undefined) return { ...withParams, data: undefined, count: 0 };
    const { data, count } = convert(raw, input);
    const expected = elementCount(input.shape);
    if (count !== expected) {
      throw bad(`input '${input.name}': expected ${expected} values for shape [${input.shape.join(',')}], got ${count}`);
    }
    return { ...withParams, data, count };
  });
  return { header, tensors };
}
