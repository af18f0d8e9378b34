// The seam between the profiler and a protocol (perf_analyzer's cb::ClientBackend, src/client_backend/): model
// metadata, configuration, statistics, and the request plan its sender threads follow: `-i http`
// (httpClientBackend.ts) or `-i grpc` (grpcClientBackend.ts); each plan names its sender (senders/senderThread.ts).
import type { Parameters } from '../../../shared/protocol';
import type { InputDataset } from '../inputs/inputDataset';
import type { TritonModelStats } from '../measure/serverStats';
import type { ModelConfigJson, ModelInfo, ModelMetadataJson } from '../model/modelInfo';
import type { InputTensorFormat, OutputTensorFormat, RequestPlan } from '../requests/preparedRequest';

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
  requestPlan(o: RequestPlanInput): RequestPlan;
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
  /** http(s)://host:port[/prefix], or grpc://host:port for -i grpc. */
  url: URL;
  /** Extra headers for every request (-H), lower-case names; gRPC sends them as call metadata. */
  headers: Record<string, string>;
}
