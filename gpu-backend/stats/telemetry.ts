import type { Metrics } from './metrics';
import { ModelStats } from './modelStats';

/** Updates a model's Triton statistics and its Prometheus metrics together, so they never disagree. */
export class ModelTelemetry {
  readonly stats = new ModelStats();
  private readonly labels: { model: string; version: string };

  constructor(
    private readonly metrics: Metrics,
    model: string,
    version: string,
  ) {
    this.labels = { model, version };
    // Make the series exist at zero, so dashboards and perf_analyzer see them before the first request.
    metrics.success.inc(this.labels, 0);
    metrics.inferenceCount.inc(this.labels, 0);
    metrics.execCount.inc(this.labels, 0);
    metrics.pending.set(this.labels, 0);
  }

  requestSucceeded(ns: number): void {
    this.stats.recordSuccess(ns);
    this.metrics.success.inc(this.labels);
    this.metrics.requestDuration.inc(this.labels, ns / 1e3);
  }

  requestFailed(ns: number, reason: string): void {
    this.stats.recordFailure(ns);
    this.metrics.failure.inc({ ...this.labels, reason });
    this.metrics.requestDuration.inc(this.labels, ns / 1e3);
  }

  queued(ns: number): void {
    this.stats.recordQueue(ns);
    this.metrics.queueDuration.inc(this.labels, ns / 1e3);
  }

  executed(rows: number, requests: number, inputNs: number, inferNs: number, outputNs: number): void {
    this.stats.recordExecution(rows, requests, inputNs, inferNs, outputNs);
    this.metrics.inferenceCount.inc(this.labels, rows);
    this.metrics.execCount.inc(this.labels);
    this.metrics.batchSize.observe(this.labels, rows);
    this.metrics.computeInput.inc(this.labels, (inputNs * requests) / 1e3);
    this.metrics.computeInfer.inc(this.labels, (inferNs * requests) / 1e3);
    this.metrics.computeOutput.inc(this.labels, (outputNs * requests) / 1e3);
  }

  /** Publishes the model's cumulative busy time (see Metrics.busy). */
  busy(ms: number): void {
    this.metrics.busy.set(this.labels, ms / 1000);
  }

  pending(n: number): void {
    this.metrics.pending.set(this.labels, n);
  }
}
