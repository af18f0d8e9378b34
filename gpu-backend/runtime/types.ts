import type { FixedDatatype } from '../../shared/datatypes';

/** The backend interface: the seam between batching and the runtime. Tests use fakes of it. */

export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array | Float64Array;

/** A tensor handed to or returned by a runner; `data` may be a view into a reused buffer. */
export interface RunnerTensor {
  data: TensorData;
  /** Says what `data` holds (a Uint16Array is FP16 or UINT16). */
  datatype: FixedDatatype;
  dims: number[];
}

/** Runs one batch on one model instance. */
export interface ModelRunner {
  /** Execution provider actually in use, e.g. "cuda" or "cpu". */
  readonly provider: string;
  /**
   * Runs one batch; inputs and outputs are keyed by the model's public tensor names. Inputs may live in a
   * SharedArrayBuffer (the batcher's reused batch buffers), which a threaded runner reads without a copy.
   */
  run(inputs: Record<string, RunnerTensor>, outputNames: readonly string[]): Promise<Record<string, RunnerTensor>>;
  /** False while the instance cannot run (its thread crashed and a replacement is loading); absent means always. */
  readonly healthy?: boolean;
  /** Ends the instance abruptly, as a crash would (fault injection for the reliability suite). */
  kill?(): Promise<void>;
  /** Frees native resources. */
  release(): Promise<void>;
}
