import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { nvidiaSmiSampler, registerGpuMetrics, type GpuSampler } from './gpuMetrics';

/** Prometheus metrics with Triton's names (nv_inference_*), plus a batch-size histogram. */
export class Metrics {
  readonly registry = new Registry();
  private readonly labels = ['model', 'version'] as const;
  readonly success = new Counter({ name: 'nv_inference_request_success', help: 'Number of successful inference requests, all batch sizes', labelNames: this.labels, registers: [this.registry] });
  readonly failure = new Counter({ name: 'nv_inference_request_failure', help: 'Number of failed inference requests, all batch sizes', labelNames: [...this.labels, 'reason'], registers: [this.registry] });
  readonly inferenceCount = new Counter({ name: 'nv_inference_count', help: 'Number of inferences performed (a batch of n counts n)', labelNames: this.labels, registers: [this.registry] });
  readonly execCount = new Counter({ name: 'nv_inference_exec_count', help: 'Number of model executions (batches) performed', labelNames: this.labels, registers: [this.registry] });
  readonly requestDuration = new Counter({ name: 'nv_inference_request_duration_us', help: 'Cumulative inference request duration in microseconds', labelNames: this.labels, registers: [this.registry] });
  readonly queueDuration = new Counter({ name: 'nv_inference_queue_duration_us', help: 'Cumulative inference queuing duration in microseconds', labelNames: this.labels, registers: [this.registry] });
  readonly computeInput = new Counter({ name: 'nv_inference_compute_input_duration_us', help: 'Cumulative compute input duration in microseconds', labelNames: this.labels, registers: [this.registry] });
  readonly computeInfer = new Counter({ name: 'nv_inference_compute_infer_duration_us', help: 'Cumulative compute inference duration in microseconds', labelNames: this.labels, registers: [this.registry] });
  readonly computeOutput = new Counter({ name: 'nv_inference_compute_output_duration_us', help: 'Cumulative inference compute output duration in microseconds', labelNames: this.labels, registers: [this.registry] });
  readonly pending = new Gauge({ name: 'nv_inference_pending_request_count', help: 'Instantaneous number of pending requests awaiting execution per-model', labelNames: this.labels, registers: [this.registry] });
  // Time with at least one batch computing: 1 - Δbusy/Δwall is the share of a run the model sat idle.
  readonly busy = new Gauge({ name: 'siglip_model_busy_seconds', help: 'Cumulative wall time during which at least one batch was computing', labelNames: this.labels, registers: [this.registry] });
  readonly batchSize = new Histogram({
    name: 'siglip_batch_size',
    help: 'Rows per executed batch',
    labelNames: this.labels,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });

  constructor(gpus: GpuSampler = nvidiaSmiSampler()) {
    registerGpuMetrics(this.registry, gpus);
  }
}
