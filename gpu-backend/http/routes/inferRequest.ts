import type { IncomingMessage } from 'node:http';
import { splitBinaryBody, viewTensor } from '../../../shared/codec/binaryTensor';
import type { DecodedJsonRequest } from '../../../shared/codec/jsonInferRequest';
import { checkInferRequest, checkValueRanges } from '../../../shared/contract/checkInferRequest';
import { checkBodyContentType } from '../../../shared/contract/contentType';
import { isRawRequest, rawRequestInput } from '../../../shared/contract/rawRequest';
import type { BodyBufferPool } from '../../../shared/http/bodyBufferPool';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../../../shared/protocol';
import type { ServedModel } from '../../models/types';
import { withAdmittedBody, type BodyAdmission } from '../body/admittedBody';
import { checkSharedMemoryOutputs, readSharedMemoryInputs } from '../../shm/sharedMemoryTensors';
import { usesSharedMemory } from '../../../shared/contract/sharedMemoryRef';
import type { SystemSharedMemory } from '../../shm/systemSharedMemory';
import { toParsedRequest, type ParsedInferRequest } from '../inferCodec';

/** What reading an infer request needs. */
export interface InferRequestReading {
  admission: BodyAdmission;
  /** Where binary bodies land (their tensors are views into them). */
  bodyPool: BodyBufferPool;
  /** Decodes a JSON request body (big ones off the event loop). */
  decodeJson(body: Uint8Array): Promise<DecodedJsonRequest>;
  /** Decodes a small JSON header inline. */
  decodeJsonInline(body: Uint8Array): DecodedJsonRequest;
  /** Registered system shared-memory regions (tensors passed by region instead of in the body). */
  shm: SystemSharedMemory;
  /**
   * Set in an HTTP thread, which has no regions: a request that names one is handed, body and all, to the main
   * thread's server (the error thrown carries a copy of the body).
   */
  sharedMemoryElsewhere?: boolean;
}

/** Thrown by readInferRequest in an HTTP thread for a request the main thread must serve (see sharedMemoryElsewhere). */
export class ServeOnMainThread extends Error {
  constructor(readonly body: Uint8Array) {
    super('served by the main thread');
  }
}

/**
 * A decoded infer request. It holds its share of the admission budget (its tensors' bytes) until `release`: once
 * it is answered, or failed. `release()` also hands a pooled body back for reuse, once nothing reads its tensors any
 * more; `release(false)` after a failure leaves the body to the GC (a queued copy might still be referenced).
 */
export interface ReadInferRequest {
  request: ParsedInferRequest;
  release: (reuse?: boolean) => void;
}

/**
 * Reads, decodes and checks an infer request for model `m` under the admission budget: JSON, the binary
 * extension, or Triton's raw binary request (Inference-Header-Content-Length: 0). Every form is checked
 * against the model's request contract, the same rules the gateway applies.
 */
export async function readInferRequest(deps: InferRequestReading, req: IncomingMessage, m: Pick<ServedModel, 'contract'>): Promise<ReadInferRequest> {
  const headerLength = req.headers[INFERENCE_HEADER_CONTENT_LENGTH] as string | undefined;
  if (headerLength === undefined) checkBodyContentType(req.headers['content-type']);
  // Start the body so that the binary section after the JSON header is 8-byte aligned: tensors are then
  // viewed in place instead of copied.
  const lead = headerLength && /^\d+$/.test(headerLength) ? (8 - (Number(headerLength) % 8)) % 8 : 0;
  // Every body lands in the (shared-memory) pool. Binary tensors are views into their body, which goes back
  // once the batch holding them has run; a JSON body goes back as soon as it is decoded (its tensors are new
  // arrays), so a pooled buffer is reused at once.
  const pool = deps.bodyPool;
  const binary = headerLength !== undefined;
  return withAdmittedBody(
    deps.admission,
    req,
    async (body, keep) => {
      let request: ParsedInferRequest;
      if (isRawRequest(headerLength)) {
        request = rawRequest(m, body);
      } else {
        const split = binary ? splitBinaryBody(body, headerLength) : null;
        let decoded: DecodedJsonRequest;
        try {
          decoded = split ? deps.decodeJsonInline(split.json) : await deps.decodeJson(body);
          // An HTTP thread has no regions: the main thread serves a request that names one, from a copy of its body.
          if (deps.sharedMemoryElsewhere && usesSharedMemory(decoded)) throw new ServeOnMainThread(body.slice());
        } finally {
          if (!split) pool.release(body);
        }
        checkInferRequest(m.contract, decoded, split?.binary, { sharedMemory: deps.shm.enabled });
        const fromSharedMemory = deps.shm.enabled ? await readSharedMemoryInputs(deps.shm, decoded.tensors) : null;
        request = toParsedRequest(decoded, split?.binary ?? null, fromSharedMemory);
        if (deps.shm.enabled) checkSharedMemoryOutputs(deps.shm, request.outputs);
      }
      checkValueRanges(m.contract, request.inputs);
      // While it waits for a batch and runs, the request keeps in memory its body (binary and raw: tensors are
      // views of it) or its decoded tensors (JSON): that stays counted, so that a queue of decoded requests cannot
      // grow past the budget that bounds the bodies being read.
      const held = binary ? body.byteLength : tensorBytes(request);
      const giveBack = keep(held);
      const release = (reuse = true) => {
        giveBack();
        if (reuse && binary) pool.release(body);
      };
      return { request, release };
    },
    { lead, pool },
  );
}

function tensorBytes(request: ParsedInferRequest): number {
  let n = 0;
  for (const t of request.inputs) if (ArrayBuffer.isView(t.data)) n += t.data.byteLength;
  return n;
}

// The whole body is the one input's data, batch 1; Triton then returns every output as binary.
function rawRequest(m: Pick<ServedModel, 'contract'>, body: Uint8Array): ParsedInferRequest {
  const input = rawRequestInput(m.contract, body.byteLength);
  const count = input.shape.reduce((a, b) => a * b, 1);
  const data = input.datatype === 'BYTES' ? [body] : viewTensor(input.datatype, body, count);
  return {
    parameters: { binary_data_output: true },
    inputs: [{ name: input.name, datatype: input.datatype, shape: input.shape, data: data as ParsedInferRequest['inputs'][number]['data'] }],
    outputs: [],
  };
}
