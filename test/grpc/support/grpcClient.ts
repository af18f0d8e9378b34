/**
 * A @grpc/grpc-js client of the backend built from the project's own .proto files (through gpu-backend/grpc/protos.ts,
 * the definitions the server registers): every call promised, with its status, trailers-or-headers metadata and
 * messages as plain objects (snake_case, 64-bit integers as numbers, defaults filled in).
 */
import * as grpc from '@grpc/grpc-js';
import { HEALTH_SERVICE, INFERENCE_SERVICE, OBJECT_OPTIONS, serviceDefinition } from '../../../gpu-backend/grpc/protos';

const READ = { ...OBJECT_OPTIONS, defaults: true };

/** A failed call as the client sees it. */
export interface CallFailure {
  code: grpc.status;
  details: string;
}

/** A unary call's answer: the response, or the failure. */
export type Answer<T = any> = { ok: true; response: T; metadata: grpc.Metadata } | ({ ok: false } & CallFailure);

/** Clients of both services on one channel target. */
export class BackendGrpcClient {
  readonly inference: grpc.Client & Record<string, any>;
  readonly health: grpc.Client & Record<string, any>;

  constructor(target: string, options: grpc.ClientOptions = {}) {
    const Inference = grpc.makeGenericClientConstructor(serviceDefinition(INFERENCE_SERVICE, {}, READ), 'GRPCInferenceService');
    const Health = grpc.makeGenericClientConstructor(serviceDefinition(HEALTH_SERVICE, {}, READ), 'Health');
    const opts = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1, ...options };
    this.inference = new Inference(target, grpc.credentials.createInsecure(), opts) as grpc.Client & Record<string, any>;
    this.health = new Health(target, grpc.credentials.createInsecure(), opts) as grpc.Client & Record<string, any>;
  }

  /** Calls a unary method of GRPCInferenceService (or of Health with `service: 'health'`). */
  call<T = any>(method: string, request: object, o: { metadata?: Record<string, string>; service?: 'health'; deadlineMs?: number; signal?: AbortSignal } = {}): Promise<Answer<T>> {
    const client = o.service === 'health' ? this.health : this.inference;
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(o.metadata ?? {})) md.set(k, v);
    return new Promise((resolve) => {
      let headers = new grpc.Metadata();
      const callOptions = o.deadlineMs ? { deadline: Date.now() + o.deadlineMs } : {};
      const call: grpc.ClientUnaryCall = client[method](request, md, callOptions, (err: grpc.ServiceError | null, response: T) =>
        resolve(err ? { ok: false, code: err.code, details: err.details } : { ok: true, response, metadata: headers }),
      );
      call.on('metadata', (m: grpc.Metadata) => (headers = m));
      o.signal?.addEventListener('abort', () => call.cancel(), { once: true });
    });
  }

  /** The response of a call that must succeed. */
  async ok<T = any>(method: string, request: object, o: Parameters<BackendGrpcClient['call']>[2] = {}): Promise<T> {
    const a = await this.call<T>(method, request, o);
    if (!a.ok) throw new Error(`${method} failed: ${grpc.status[a.code]} ${a.details}`);
    return a.response;
  }

  /** The failure of a call that must fail. */
  async fails(method: string, request: object, o: Parameters<BackendGrpcClient['call']>[2] = {}): Promise<CallFailure> {
    const a = await this.call(method, request, o);
    if (a.ok) throw new Error(`${method} succeeded, expected a failure`);
    return { code: a.code, details: a.details };
  }

  close(): void {
    this.inference.close();
    this.health.close();
  }
}

/** A pixel batch as a raw ModelInferRequest for siglip_vision. */
export function visionRequest(pixels: Float32Array, extra: object = {}): object {
  const n = pixels.length / (3 * 384 * 384);
  return {
    model_name: 'siglip_vision',
    inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [n, 3, 384, 384] }],
    raw_input_contents: [Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength)],
    ...extra,
  };
}

/** The first output of a raw ModelInferResponse as float32 values. */
export function rawFloats(response: { raw_output_contents: Uint8Array[] }, index = 0): Float32Array {
  const b = response.raw_output_contents[index];
  return new Float32Array(new Uint8Array(b).buffer);
}

/** BYTES elements with their 4-byte little-endian length prefixes (raw_input_contents of a BYTES input). */
export function bytesElements(elements: Uint8Array[]): Buffer {
  return Buffer.concat(elements.flatMap((e) => [Buffer.from(Uint32Array.of(e.length).buffer), Buffer.from(e)]));
}
