// The KServe v2 gRPC client backend (`-i grpc`, perf_analyzer's triton gRPC client): ModelMetadata, ModelConfig and
// ModelStatistics over GRPCInferenceService, built from the project's .proto files, with the -H headers as call
// metadata; requests are ModelInferRequest messages with raw_input_contents, encoded once, as perf_analyzer sends
// them. Its senders (senders/grpcSender.ts) keep `concurrency` unary calls in flight, as perf_analyzer's gRPC
// sync mode does with one call per context.
import * as grpc from '@grpc/grpc-js';
import { encodeMessage, INFERENCE_SERVICE, messageType, serviceDefinition } from '../../../gpu-backend/grpc/protos';
import type { Parameters } from '../../../shared/protocol';
import { PerfUsageError } from '../errors';
import { batchTensors, requestStep, type RequestTensor } from '../inputs/inputDataset';
import type { TritonModelStats } from '../measure/serverStats';
import type { ModelConfigJson, ModelMetadataJson } from '../model/modelInfo';
import type { GrpcRequestPlan, PreparedRequest } from '../requests/preparedRequest';
import type { ClientBackend, RequestPlanInput } from './clientBackend';

const REQUEST = messageType('inference.ModelInferRequest');
const CALL_TIMEOUT_MS = 30_000;

/** An InferParameter for each request parameter (--request-parameter name:value:type). */
function grpcParameters(parameters: Parameters): Record<string, object> {
  return Object.fromEntries(
    Object.entries(parameters).map(([k, v]) => [k, typeof v === 'boolean' ? { bool_param: v } : typeof v === 'number' ? { int64_param: String(v) } : { string_param: v }]),
  );
}

/** One encoded ModelInferRequest: every input's bytes in raw_input_contents (BYTES with their length prefixes). */
function encodeGrpcInferRequest(model: { name: string; version: string }, tensors: RequestTensor[], outputs: { name: string }[], parameters: Parameters): PreparedRequest {
  const body = encodeMessage(REQUEST, {
    model_name: model.name,
    model_version: model.version,
    parameters: grpcParameters(parameters),
    inputs: tensors.map((t) => ({ name: t.input.name, datatype: t.input.datatype, shape: t.shape })),
    outputs: outputs.map((o) => ({ name: o.name })),
    raw_input_contents: tensors.map((t) => t.bytes),
  });
  return { body };
}

/** Encodes, once, the request for every data step a request can start at (as buildHttpRequestPlan does). */
function buildGrpcRequestPlan(o: RequestPlanInput & { target: string; metadata: Record<string, string> }): GrpcRequestPlan {
  if (o.inputFormat !== 'binary') {
    throw new PerfUsageError(`-i grpc sends raw_input_contents (as perf_analyzer does); --input-tensor-format ${o.inputFormat} is for -i http: drop it`);
  }
  if (o.outputFormat !== 'binary') throw new PerfUsageError('-i grpc reads raw_output_contents; --output-tensor-format json is for -i http: drop it');
  const total = o.dataset.steps.length;
  const bodies = new Array<PreparedRequest | null>(total).fill(null);
  for (let k = 0; k < total; k++) {
    const step = requestStep(0, 1, k, o.batchSize, total);
    if (bodies[step]) continue;
    bodies[step] = encodeGrpcInferRequest(o.model, batchTensors(o.model, o.dataset, step, o.batchSize), o.model.outputs, o.parameters);
  }
  return { transport: 'grpc', target: o.target, metadata: o.metadata, bodies };
}

/** A gRPC client backend for the server at `target` (host:port). */
export function createGrpcClientBackend(target: string, headers: Record<string, string>): ClientBackend {
  const Client = grpc.makeGenericClientConstructor(serviceDefinition(INFERENCE_SERVICE), 'GRPCInferenceService');
  const client = new Client(target, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 }) as unknown as Record<
    string,
    (req: object, md: grpc.Metadata, o: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void
  > & { close(): void };
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  const call = <T>(method: string, request: object, what: string): Promise<T> =>
    new Promise((resolve, reject) =>
      client[method](request, metadata, { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, res) => {
        if (!err) return resolve(res as T);
        const hint = err.code === grpc.status.UNAVAILABLE && /connect|No connection/i.test(err.details) ? '; is the server running, with its gRPC port at -u?' : '';
        reject(new PerfUsageError(`failed to get ${what} from ${target}: gRPC ${grpc.status[err.code]}: ${err.details}${hint}`));
      }),
    );
  return {
    protocol: 'grpc',
    modelMetadata: (name, version) => call<ModelMetadataJson>('ModelMetadata', { name, version }, 'model metadata'),
    modelConfig: async (name, version) => (await call<{ config: ModelConfigJson }>('ModelConfig', { name, version }, 'model config')).config,
    modelStatistics: async (name) => (await call<{ model_stats?: TritonModelStats[] }>('ModelStatistics', { name }, 'model statistics')).model_stats ?? [],
    requestPlan: (o) => buildGrpcRequestPlan({ ...o, target, metadata: headers }),
    close: async () => client.close(),
  };
}
