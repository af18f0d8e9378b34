/** The tasks a worker thread can run, by kind; add a handler here to make it available to every WorkerPool. */
import sharp from 'sharp';
import { decodeJsonInferRequest } from '../../shared/codec/jsonInferRequest';
import type { DecodedJsonRequest } from '../../shared/codec/jsonInferRequest';
import type { ImageLimits } from '../models/preprocess/imageLimits';
import type { ImageProcessorConfig } from '../models/preprocess/imageProcessorConfig';
import { preprocessImage } from '../models/preprocess/preprocessImage';

/** A handler's answer: the result, and the buffers inside it to move back to the caller without copying. */
export interface TaskOutput<R> {
  result: R;
  transfer?: ArrayBuffer[];
}

/**
 * A task handler: runs in a worker thread, or inline through runTaskInline. Its payload is `never` here so that a
 * handler of any payload type fits a table (parameters are contravariant); TaskPayload recovers each one's type.
 */
export type TaskHandler = (payload: never) => TaskOutput<unknown> | Promise<TaskOutput<unknown>>;

/** kind → handler; a tasks module exports such a table as `TASKS`. */
export type TaskTable = Record<string, TaskHandler>;

/** The payload type of a task kind. */
export type TaskPayload<T extends TaskTable, K extends keyof T> = Parameters<T[K]>[0];

/** The result type of a task kind. */
export type TaskResult<T extends TaskTable, K extends keyof T> = Awaited<ReturnType<T[K]>>['result'];

/** The buffers of a decoded request's typed arrays, each listed once, for the transfer list. */
export function tensorBuffers(decoded: DecodedJsonRequest): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of decoded.tensors) {
    if (t.data && !Array.isArray(t.data)) buffers.add(t.data.buffer as ArrayBuffer);
  }
  return [...buffers];
}

// Each worker thread decodes one image at a time; libvips' own thread pool would oversubscribe the cores
// that the other workers and the model already use.
sharp.concurrency(1);

/** The production task table. */
export const TASKS = {
  /**
   * JSON infer request body (a view of shared memory, read in place, or transferred in) → decoded request (typed
   * arrays transferred out).
   */
  decodeJsonInferRequest(body: Uint8Array): TaskOutput<DecodedJsonRequest> {
    const decoded = decodeJsonInferRequest(body);
    return { result: decoded, transfer: tensorBuffers(decoded) };
  },
  /** The decode bench's reference: bare JSON.parse + Float32Array of the first input's data (no checks). */
  bareJsonParse(body: Uint8Array): TaskOutput<number> {
    const root = JSON.parse(new TextDecoder().decode(body)) as { inputs: { data: number[] }[] };
    return { result: Float32Array.from(root.inputs[0].data).length };
  },
  /** Encoded image file (transferred in) → SiglipImageProcessor pixel values, CHW float32 (transferred out). */
  async preprocessImage(p: { bytes: ArrayBuffer; config: ImageProcessorConfig; limits: ImageLimits }): Promise<TaskOutput<Float32Array>> {
    const pixels = await preprocessImage(new Uint8Array(p.bytes), p.config, p.limits);
    return { result: pixels, transfer: [pixels.buffer as ArrayBuffer] };
  },
} satisfies TaskTable;

/** Kinds of the production table. */
export type TaskKind = keyof typeof TASKS;
