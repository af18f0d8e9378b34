/** Triton's {count, ns} pair. */
export interface Duration {
  count: number;
  ns: number;
}

const zero = (): Duration => ({ count: 0, ns: 0 });

/** Per-model statistics with the fields of Triton's statistics extension (what perf_analyzer reads). */
export class ModelStats {
  inferenceCount = 0;
  executionCount = 0;
  lastInference = 0;
  readonly success = zero();
  readonly fail = zero();
  readonly queue = zero();
  readonly computeInput = zero();
  readonly computeInfer = zero();
  readonly computeOutput = zero();
  readonly cacheHit = zero();
  readonly cacheMiss = zero();
  private readonly batches = new Map<number, { input: Duration; infer: Duration; output: Duration }>();

  /** Records one executed batch of `rows` rows serving `requests` requests. */
  recordExecution(rows: number, requests: number, inputNs: number, inferNs: number, outputNs: number): void {
    this.executionCount++;
    this.inferenceCount += rows;
    this.lastInference = Date.now();
    // Triton adds each request's share of compute time to the per-request totals; every request in a batch
    // saw the whole batch's compute time.
    add(this.computeInput, inputNs, requests);
    add(this.computeInfer, inferNs, requests);
    add(this.computeOutput, outputNs, requests);
    let b = this.batches.get(rows);
    if (!b) this.batches.set(rows, (b = { input: zero(), infer: zero(), output: zero() }));
    add(b.input, inputNs, 1);
    add(b.infer, inferNs, 1);
    add(b.output, outputNs, 1);
  }

  recordQueue(ns: number): void {
    add(this.queue, ns, 1);
  }

  recordSuccess(ns: number): void {
    add(this.success, ns, 1);
  }

  recordFailure(ns: number): void {
    add(this.fail, ns, 1);
  }

  /** The `model_stats[]` entry of GET .../stats. */
  toJSON(name: string, version: string) {
    return {
      name,
      version,
      last_inference: this.lastInference,
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: {
        success: { ...this.success },
        fail: { ...this.fail },
        queue: { ...this.queue },
        compute_input: { ...this.computeInput },
        compute_infer: { ...this.computeInfer },
        compute_output: { ...this.computeOutput },
        cache_hit: { ...this.cacheHit },
        cache_miss: { ...this.cacheMiss },
      },
      batch_stats: [...this.batches.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([batch_size, b]) => ({
          batch_size,
          compute_input: { ...b.input },
          compute_infer: { ...b.infer },
          compute_output: { ...b.output },
        })),
      memory_usage: [],
    };
  }
}

function add(d: Duration, ns: number, count: number): void {
  d.count += count;
  d.ns += Math.round(ns) * count;
}
