/**
 * The project's .proto files (proto/inference/grpc_service.proto, proto/grpc/health/v1/health.proto) loaded with
 * protobufjs, and grpc-js service definitions built from them: what the server registers, and what clients
 * (siglip perf -i grpc, the tests) call. Field names stay as written (snake_case), as Triton's JSON forms use them.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** Full name of Triton's inference service. */
export const INFERENCE_SERVICE = 'inference.GRPCInferenceService';
/** Full name of gRPC's standard health service. */
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

const protoPath = (p: string) => fileURLToPath(new URL(`../../proto/${p}`, import.meta.url));

let root: protobuf.Root | null = null;

/** Both services' definitions in one protobufjs Root (model_config.proto comes in through its import). */
function grpcProtos(): protobuf.Root {
  root ??= new protobuf.Root().loadSync([protoPath('inference/grpc_service.proto'), protoPath('grpc/health/v1/health.proto')], { keepCase: true });
  return root;
}

/** A message type by full name, e.g. "inference.ModelInferRequest". */
export function messageType(name: string): protobuf.Type {
  return grpcProtos().lookupType(name);
}

/**
 * How decoded messages become plain objects: 64-bit integers as numbers (shapes, counts, sizes), enums by name,
 * empty repeated fields and maps present, and a oneof's member named by its group (e.g. parameter_choice).
 */
export const OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: Number, enums: String, arrays: true, objects: true, oneofs: true };

/** Encodes a plain object as message `type` (fromObject accepts enum names and numbers or strings for 64-bit integers). */
export function encodeMessage(type: protobuf.Type, value: object): Buffer {
  const bytes = type.encode(type.fromObject(value)).finish();
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Which methods carry their messages as bytes, left to the caller to encode or decode. */
export interface RawMessages {
  /** Methods whose requests are Buffers (already encoded by a client; decoded by the server's own handler). */
  requests?: readonly string[];
  /** Methods whose responses are Buffers. */
  responses?: readonly string[];
}

/** A grpc-js ServiceDefinition for one service of the protos, with `options` for the object form of messages. */
export function serviceDefinition(serviceName: string, raw: RawMessages = {}, options: protobuf.IConversionOptions = OBJECT_OPTIONS): ServiceDefinition {
  const service = grpcProtos().lookupService(serviceName);
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = method.resolvedRequestType!;
    const res = method.resolvedResponseType!;
    const rawRequest = raw.requests?.includes(method.name) ?? false;
    const rawResponse = raw.responses?.includes(method.name) ?? false;
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: rawRequest ? (b) => b as Buffer : (o) => encodeMessage(req, o as object),
      requestDeserialize: rawRequest ? (b) => b : (b) => req.toObject(req.decode(b), options),
      responseSerialize: rawResponse ? (b) => b as Buffer : (o) => encodeMessage(res, o as object),
      responseDeserialize: rawResponse ? (b) => b : (b) => res.toObject(res.decode(b), options),
      originalName: method.name,
    };
  }
  return definition;
}
