/** The backend interface: the seam between batching and the runtime. Tests use fakes of it. */

export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array | Float64Array;

/** A tensor handed to or returned by a runner; `data` may be a view into a reused buffer. */
export interface RunnerTensor {
  data: TensorData;
  dims: number[];
}

/** Runs one batch on one model instance. */
export interface ModelRunner {
  /** Execution provider actually in use, e.g. "cuda" or "cpu". */
  readonly provider: string;
  /**
   * Runs one batch; inputs and outputs are keyed by the model's public tensor names. A runner in another
   * thread may move the input buffers there (no copy) and hands each back through `reclaim` once done.
   */
  run(
    inputs: Record<string, RunnerTensor>,
    outputNames: readonly string[],
    reclaim?: (name: string, data: TensorData) => void,
  ): Promise<Record<string, RunnerTensor>>;
  /** Frees native resources. */
  release(): Promise<void>;
}
