// The seam between the profiler and a protocol (perf_analyzer's cb::ClientBackend, src/client_backend/): model
// metadata, configuration, statistics, and the request plan its sender threads follow. `-i http` is the only
// backend so far; a gRPC one plugs in here (and names its sender in senders/senderThread.ts).
import type { Parameters } from '../../../shared/protocol';
import { PerfUsageError } from '../errors';
import type { InputDataset } from '../inputs/inputDataset';
import type { TritonModelStats } from '../measure/serverStats';
import type { ModelConfigJson, ModelInfo, ModelMetadataJson } from '../model/modelInfo';
import type { HttpRequestPlan, InputTensorFormat, OutputTensorFormat } from '../requests/preparedRequest';
import { createHttpClientBackend } from './httpClientBackend';

/** `-i`: the protocol to the server. */
export type Protocol = 'http' | 'grpc';

/** What the profiler needs from a protocol. */
export interface ClientBackend {
  readonly protocol: Protocol;
  modelMetadata(name: string, version: string): Promise<ModelMetadataJson>;
  modelConfig(name: string, version: string): Promise<ModelConfigJson>;
  /** The `model_stats` entries of one model (every version it has). */
  modelStatistics(name: string): Promise<TritonModelStats[]>;
  /** The prebuilt requests the sender threads send. */
  requestPlan(o: RequestPlanInput): HttpRequestPlan;
  close(): Promise<void>;
}

/** What request bodies are built from. */
export interface RequestPlanInput {
  model: ModelInfo;
  dataset: InputDataset;
  batchSize: number;
  inputFormat: InputTensorFormat;
  outputFormat: OutputTensorFormat;
  parameters: Parameters;
}

/** Where and how to reach the server. */
export interface ClientBackendOptions {
  protocol: Protocol;
  url: URL;
  /** Extra headers for every request (-H), lower-case names. */
  headers: Record<string, string>;
}

/** The backend for `-i`. */
export function createClientBackend(o: ClientBackendOptions): ClientBackend {
  if (o.protocol === 'http') return createHttpClientBackend(o.url, o.headers);
  throw new PerfUsageError('-i grpc: siglip perf has no gRPC client backend yet (the server speaks HTTP only); use -i http, the default');
}
