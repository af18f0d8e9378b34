/** How inputs travel (`--input-tensor-format`): perf_analyzer's binary and json, plus Triton's raw binary request. */
export type InputTensorFormat = 'binary' | 'json' | 'raw';

/** How outputs come back (`--output-tensor-format`). */
export type OutputTensorFormat = 'binary' | 'json';

/** One encoded infer request body, built once before the run and sent as many times as its step comes up. */
export interface PreparedRequest {
  body: Uint8Array;
  /** Inference-Header-Content-Length to send (0 for a raw binary request); absent for a JSON body. */
  headerLength?: number;
}

/** Everything a sender thread needs to send a model's requests over HTTP. */
export interface HttpRequestPlan {
  transport: 'http';
  /** Server origin, e.g. http://127.0.0.1:8000. */
  origin: string;
  /** The infer path, e.g. /v2/models/siglip_vision/infer. */
  path: string;
  /** Headers sent with every request (content type and -H headers), lower-case names. */
  headers: Record<string, string>;
  /** Request bodies by the data step they start at; steps no request starts at are left empty. */
  bodies: (PreparedRequest | null)[];
}

/** Everything a sender thread needs to send a model's requests over gRPC (ModelInfer, one unary call each). */
export interface GrpcRequestPlan {
  transport: 'grpc';
  /** host:port of the server's gRPC port. */
  target: string;
  /** Metadata sent with every call (the -H headers), lower-case names. */
  metadata: Record<string, string>;
  /** Encoded ModelInferRequest messages by the data step they start at; steps no request starts at are left empty. */
  bodies: (PreparedRequest | null)[];
}

/** A sender thread's plan, for either protocol. */
export type RequestPlan = HttpRequestPlan | GrpcRequestPlan;
