import type { BytesElement } from './types';

/** How one element is to be read: `base64` is the request's base64_encoded (image pipelines). */
export interface ElementOptions {
  base64: boolean;
}

/** Where the work of one request's elements runs. */
export interface ProcessOptions {
  /** Aborted when the client has gone: work not yet started is dropped. */
  signal?: AbortSignal;
  /** One object per request: the worker pool serves requests in turn (see WorkerPool RunOptions.group). */
  group: object;
}

/** An element after its cheap checks, with what processing it will cost. */
export interface InspectedElement<T> {
  item: T;
  /** In the pipeline's budget unit (pixels for images, bytes for texts). */
  cost: number;
}

/**
 * Turns BYTES elements into a target model's input rows in two steps, so that a request's whole cost is known
 * and checked against its budget before any element is decoded or tokenized.
 */
export interface ElementPipeline<T = unknown> {
  /** Reads and checks one element without the expensive work (an image's header, not its pixels). */
  inspect(element: BytesElement, index: number, options: ElementOptions): Promise<InspectedElement<T>>;
  /** The target's input row of one inspected element. */
  process(item: T, index: number, options: ProcessOptions): Promise<Float32Array | BigInt64Array>;
  /** Most cost units one request may spend, and their name for the message. */
  readonly budget: { max: number; unit: string };
  /** Tokens a processed row holds (text pipelines: what /v1/embeddings reports as usage). */
  tokens?(row: Float32Array | BigInt64Array): number;
}
