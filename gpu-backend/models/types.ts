import type { Datatype, Parameters } from '../../shared/protocol';
import type { ModelConfig } from '../../shared/model-repository/modelConfig';
import type { TritonModelConfig } from '../config/tritonConfig';
import type { ModelContract } from '../../shared/contract/modelContract';
import type { ModelStats } from '../stats/modelStats';
import type { ModelTelemetry } from '../stats/telemetry';
import type { TensorData } from '../runtime/types';

/** BYTES elements arrive as strings (JSON) or raw bytes (binary extension). */
export type BytesElement = string | Uint8Array;

/** A decoded input tensor of a request. */
export interface InputTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TensorData | BytesElement[];
}

/** A computed output tensor. */
export interface OutputTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TensorData;
}

/** Per-request context: timeout, cancellation, request parameters. */
export interface InferContext {
  /** Queue timeout in ms (0 for none), already resolved against the queue policy. */
  timeoutMs: number;
  signal?: AbortSignal;
  parameters: Parameters;
  /** Output names asked for; empty means all. */
  outputs: string[];
}

/** KServe v2 model metadata. */
export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: { name: string; datatype: Datatype; shape: number[] }[];
  outputs: { name: string; datatype: Datatype; shape: number[] }[];
}

/** A model the server serves: validates its inputs and computes its outputs. */
export interface ServedModel {
  readonly name: string;
  readonly version: string;
  readonly config: ModelConfig;
  /** The config as GET /v2/models/{m}/config serves it (Triton's model-config JSON). */
  readonly tritonConfig: TritonModelConfig;
  /** What a request must look like (shared with the gateway; built from metadata() and tritonConfig). */
  readonly contract: ModelContract;
  readonly stats: ModelStats;
  readonly telemetry: ModelTelemetry;
  readonly ready: boolean;
  metadata(): ModelMetadata;
  infer(inputs: InputTensor[], ctx: InferContext): Promise<OutputTensor[]>;
  /** Wall-clock ms during which the model had a batch computing (models with a batcher only). */
  readonly busyMs?: number;
  /** Runs one inference so the first client does not pay for lazy initialisation. */
  warmup(): Promise<void>;
  /** Finishes every accepted request, then releases resources. */
  close(): Promise<void>;
}
