/**
 * ModelInfer and ModelStreamInfer: the gRPC twin of http/routes/inferRoute.ts. A request's message holds its
 * share of the admission budget while it is decoded and checked (as a body does over HTTP), then goes to the
 * same model, batcher and statistics as an HTTP request; a client that cancels before dispatch is dropped.
 */
import type * as grpc from '@grpc/grpc-js';
import { toGrpcStatus, unavailable } from '../../shared/errors';
import { CancelledError } from '../batching/dynamicBatcher';
import type { ByteBudget } from '../http/body/byteBudget';
import type { ParsedInferRequest } from '../http/inferCodec';
import { recordOutcome } from '../models/inferOutcome';
import { queueTimeoutMs } from '../models/queuePolicy';
import type { OutputTensor, ServedModel } from '../models/types';
import type { BodyBufferPool } from '../../shared/http/bodyBufferPool';
import { decodeModelInferRequest, parseGrpcInferRequest, type AlignedCopy, type GrpcRequestChecks } from './grpcInferRequest';
import { answersRaw, inferResponseObject } from './grpcInferResponse';
import type { CallContext, GrpcServer } from './grpcServer';
import { encodeMessage, messageType } from './protos';

const RESPONSE = messageType('inference.ModelInferResponse');
const STREAM_RESPONSE = messageType('inference.ModelStreamInferResponse');

/** Shared-memory hooks of ModelInfer (gpu-backend/shm, when the extension is wired in). */
export interface InferSharedMemory extends Omit<GrpcRequestChecks, 'sharedMemory'> {
  readonly enabled: boolean;
  /** Writes the outputs a request asked for in shared memory into their regions. */
  writeOutputs(outputs: ParsedInferRequest['outputs'], tensors: readonly OutputTensor[]): Promise<void>;
}

/** What inference over gRPC needs, resolved at start-up. */
export interface GrpcInferDeps {
  models: { lookup(name: string, version?: string): ServedModel };
  lifecycle: { readonly shuttingDown: boolean };
  admission: ByteBudget;
  /** Aligned copies of raw tensors come from here (a fresh multi-megabyte buffer per request makes V8 collect often). */
  bodyPool: BodyBufferPool;
  sharedMemory?: InferSharedMemory;
}

const nowNs = () => performance.now() * 1e6;

/** Runs one encoded ModelInferRequest; resolves with the ModelInferResponse object. */
async function inferOnce(deps: GrpcInferDeps, bytes: Uint8Array, ctx: Pick<CallContext, 'signal'> & Partial<Pick<CallContext, 'model'>>): Promise<object> {
  const start = nowNs();
  if (deps.lifecycle.shuttingDown) throw unavailable('Server is shutting down', 'shutdown');
  const copies: Uint8Array[] = [];
  const { m, parsed } = await admitted(deps, bytes, ctx, start, (raw) => {
    const copy = deps.bodyPool.acquire(raw.byteLength);
    copy.set(raw);
    copies.push(copy);
    return copy;
  });
  try {
    const { request } = parsed;
    const outputs = await m.infer(request.inputs, {
      timeoutMs: queueTimeoutMs(m, request.parameters),
      signal: ctx.signal,
      parameters: request.parameters,
      outputs: request.outputs.map((o) => o.name),
    });
    // Every batch holding this request has run: its copies can hold another one's (after a failure they are left
    // to the GC, as in the HTTP path: a queued row might still be read).
    for (const c of copies) deps.bodyPool.release(c);
    if (deps.sharedMemory?.enabled) await deps.sharedMemory.writeOutputs(request.outputs, outputs);
    const response = inferResponseObject(m, request, outputs, answersRaw(request, parsed.raw, outputs));
    recordOutcome(m, nowNs() - start, null);
    return response;
  } catch (err) {
    if (!(err instanceof CancelledError)) recordOutcome(m, nowNs() - start, err);
    throw err;
  }
}

// Decodes and checks the message while its bytes hold their share of the admission budget (503 past it, as over HTTP).
async function admitted(deps: GrpcInferDeps, bytes: Uint8Array, ctx: Pick<CallContext, 'signal'> & Partial<Pick<CallContext, 'model'>>, start: number, place: AlignedCopy) {
  const reader = deps.admission.reader(ctx.signal);
  // gRPC has read the whole message already; it counts against the budget until it is checked.
  await reader.reserve(bytes.byteLength);
  let m: ServedModel | undefined;
  try {
    const req = decodeModelInferRequest(bytes);
    m = deps.models.lookup(req.model_name ?? '', req.model_version || undefined);
    ctx.model = m.name;
    const shm = deps.sharedMemory?.enabled ? deps.sharedMemory : undefined;
    const parsed = await parseGrpcInferRequest(m, req, { sharedMemory: Boolean(shm), readInputs: shm?.readInputs, checkOutputs: shm?.checkOutputs, place });
    return { m, parsed };
  } catch (err) {
    if (m && !(err instanceof CancelledError)) recordOutcome(m, nowNs() - start, err);
    throw err;
  } finally {
    reader.release();
  }
}

/** The ModelInfer handler (its request and response travel as bytes: see protos.ts). */
export function modelInferHandler(server: GrpcServer, deps: () => GrpcInferDeps): grpc.handleUnaryCall<unknown, unknown> {
  return server.unary({}, async (request, ctx) => {
    const bytes = request as Buffer;
    ctx.bytesIn = bytes.byteLength;
    const encoded = encodeMessage(RESPONSE, await inferOnce(deps(), bytes, ctx));
    ctx.bytesOut = encoded.byteLength;
    return encoded;
  });
}

/**
 * The ModelStreamInfer handler: every request on the stream runs as it arrives, and each is answered on the
 * stream when done, a failure as `error_message` (the stream goes on). The stream ends once the client has
 * half-closed and every answer is out; a drain ends it once its requests in flight are answered.
 */
export function modelStreamInferHandler(server: GrpcServer, deps: () => GrpcInferDeps) {
  return server.stream<grpc.ServerDuplexStream<unknown, unknown>>({}, (call, ctx) =>
    new Promise<void>((resolve) => {
      let pending = 0;
      let ending = false;
      let ended = false;
      const end = () => {
        if (ended || pending > 0 || !ending) return;
        ended = true;
        stopDrain();
        call.end();
        resolve();
      };
      const stopDrain = server.whenDraining(() => {
        ending = true;
        end();
      });
      call.on('cancelled', () => {
        ending = true;
        pending = 0;
        if (!ended) {
          ended = true;
          stopDrain();
          resolve();
        }
      });
      call.on('data', (bytes: Buffer) => {
        pending++;
        ctx.bytesIn = (ctx.bytesIn ?? 0) + bytes.byteLength;
        void inferOnce(deps(), bytes, { signal: ctx.signal })
          .then(
            (response) => ({ infer_response: response }),
            (err: unknown) => {
              if (err instanceof CancelledError || ctx.signal.aborted) return null;
              const { details, error } = toGrpcStatus(err, ctx.requestId);
              if (error.code === 'INTERNAL') server.failure(err, ctx);
              // The request's id, so a client matching answers to requests can tell which one failed.
              return { error_message: details, infer_response: { id: requestIdOf(bytes) } };
            },
          )
          .then((message) => {
            pending--;
            if (message && !ended) {
              const encoded = encodeMessage(STREAM_RESPONSE, message);
              ctx.bytesOut = (ctx.bytesOut ?? 0) + encoded.byteLength;
              call.write(encoded);
            }
            end();
          });
      });
      call.on('end', () => {
        ending = true;
        end();
      });
    }),
  );
}

// The id of a request that failed, if its message could be read at all.
function requestIdOf(bytes: Uint8Array): string {
  try {
    return decodeModelInferRequest(bytes).id ?? '';
  } catch {
    return '';
  }
}
