/** KServe v2 / Open Inference Protocol types, shared by the backend and the gateway. */
import { DATATYPE_INFO, type Datatype, type FixedDatatype } from './datatypes';

export type { Datatype } from './datatypes';

/** Bytes per element of each fixed-size datatype (BYTES is variable), from the one table in datatypes.ts. */
export const DATATYPE_SIZE = Object.fromEntries(Object.entries(DATATYPE_INFO).map(([d, info]) => [d, info.size])) as Record<FixedDatatype, number>;

export const DATATYPES = Object.keys(DATATYPE_INFO).concat('BYTES') as Datatype[];

export type Parameters = Record<string, string | number | boolean>;

export interface RequestInput {
  name: string;
  shape: number[];
  datatype: Datatype;
  parameters?: Parameters;
  data?: unknown;
}

export interface RequestOutput {
  name: string;
  parameters?: Parameters;
}

/** The JSON part of an infer request (with the binary extension, tensor bytes follow it). */
export interface InferRequestHeader {
  id?: string;
  parameters?: Parameters;
  inputs: RequestInput[];
  outputs?: RequestOutput[];
}

export interface ResponseOutput {
  name: string;
  shape: number[];
  datatype: Datatype;
  parameters?: Parameters;
  data?: unknown[];
}

export interface InferResponseHeader {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Parameters;
  outputs: ResponseOutput[];
}

/** Header naming the length of the JSON part of a binary-extension body. */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';

/** Header the gateway authenticates itself to backends with (the shared secret of --require-token). */
export const GATEWAY_TOKEN_HEADER = 'x-siglip-gateway-token';

/**
 * Set on a backend's 503 for a request refused because the backend is shutting down: nothing was computed,
 * so the gateway may send it to another backend.
 */
export const DRAINING_HEADER = 'x-siglip-draining';

/** Number of elements for a shape. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
