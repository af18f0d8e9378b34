import { DynamicBatcher, type QueuedRequest } from '../batching/dynamicBatcher';
import type { Clock } from '../batching/clock';
import type { ModelConfig } from '../../shared/model-repository/modelConfig';
import { tritonModelConfig, type TritonModelConfig } from '../config/tritonConfig';
import { modelContract, type ModelContract } from '../../shared/contract/modelContract';
import { internal } from '../../shared/errors';
import { DATATYPE_INFO, type FixedDatatype } from '../../shared/datatypes';
import type { ModelRunner, RunnerTensor, TensorData } from '../runtime/types';
import type { ModelTelemetry } from '../stats/telemetry';
import { metadataShape, selectOutputs, tensorSpec, validateInputs, type TensorSpec } from './tensorSpec';
import type { InferContext, InputTensor, ModelMetadata, OutputTensor, ServedModel } from './types';

// The datatypes a batched ONNX model takes here: those whose rows are plain typed arrays (TensorData).
const SUPPORTED = new Set(['FP32', 'FP16', 'INT64', 'INT32', 'UINT8', 'FP64']);
const arrayOf = (d: string) => DATATYPE_INFO[d as FixedDatatype].array as unknown as { new (n: number): TensorData; new (buf: ArrayBufferLike): TensorData; BYTES_PER_ELEMENT: number };

/** Rows of each input for one queued request. */
export type RowInputs = Record<string, TensorData>;
/** Rows of each output for one request. */
export type RowOutputs = Record<string, TensorData>;

interface Prepared {
  rows: number;
  inputs: Record<string, RunnerTensor>;
  inputNs: number;
}

const nowNs = () => performance.now() * 1e6;

/**
 * A model backed by ONNX Runtime sessions (one per instance) behind one dynamic batcher.
 * siglip_vision and siglip_text are instances of this class; pipelines feed it rows through `enqueueRows`.
 */
export class OnnxModel implements ServedModel {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  readonly batcher: DynamicBatcher<RowInputs, RowOutputs, Prepared>;
  readonly tritonConfig: TritonModelConfig;
  readonly contract: ModelContract;
  private warmedUp = false;
  // Two input buffers per instance: one is filled while the other's batch runs.
  private readonly buffers: Array<[Record<string, TensorData>, Record<string, TensorData>]>;
  private readonly slot: number[];

  constructor(
    readonly name: string,
    readonly version: string,
    readonly config: ModelConfig,
    private readonly runners: ModelRunner[],
    readonly telemetry: ModelTelemetry,
    clock?: Clock,
  ) {
    this.inputs = config.input.map(tensorSpec);
    this.outputs = config.output.map(tensorSpec);
    this.tritonConfig = tritonModelConfig(config);
    this.contract = modelContract(this.metadata(), this.tritonConfig);
    for (const s of [...this.inputs, ...this.outputs]) {
      if (s.rowSize < 0) throw new Error(`${name}: ${s.name} must have fixed dims for batching`);
      if (!SUPPORTED.has(s.datatype)) throw new Error(`${name}: ${s.name} has unsupported datatype ${s.datatype}`);
    }
    const max = config.max_batch_size;
    const alloc = () => Object.fromEntries(this.inputs.map((s) => [s.name, this.newBuffer(s)]));
    this.buffers = runners.map(() => [alloc(), alloc()]);
    this.slot = runners.map(() => 0);
    const db = config.dynamic_batching;
    this.batcher = new DynamicBatcher(
      {
        maxBatchSize: max,
        preferredBatchSizes: db?.preferred_batch_size ?? [],
        // Without dynamic_batching, Triton runs each request as it comes.
        maxQueueDelayMs: (db?.max_queue_delay_microseconds ?? 0) / 1000,
        maxQueueSize: db?.default_queue_policy.max_queue_size ?? 0,
        instances: runners.length,
        clock,
      },
      { prepare: (reqs, i) => this.prepare(reqs, i), run: (p, reqs, i) => this.runBatch(p, reqs, i) },
    );
  }

  /** A batch buffer in shared memory: a threaded instance reads it in place, and it never changes hands. */
  private newBuffer(s: TensorSpec): TensorData {
    const Ctor = arrayOf(s.datatype);
    return new Ctor(new SharedArrayBuffer(this.config.max_batch_size * s.rowSize * Ctor.BYTES_PER_ELEMENT));
  }

  get stats() {
    return this.telemetry.stats;
  }

  /** Warmed up, and every instance able to run (a crashed instance thread is being replaced). */
  get ready(): boolean {
    return this.warmedUp && this.runners.every((r) => r.healthy !== false);
  }

  /** The instances (for fault injection in the reliability suite). */
  get instances(): readonly ModelRunner[] {
    return this.runners;
  }

  get busyMs(): number {
    return this.batcher.busyMs;
  }

  /** Execution provider of the first instance. */
  get provider(): string {
    return this.runners[0]?.provider ?? 'none';
  }

  metadata(): ModelMetadata {
    return {
      name: this.name,
      versions: [this.version],
      platform: this.config.platform,
      inputs: this.inputs.map((s) => ({ name: s.name, datatype: s.datatype, shape: metadataShape(s) })),
      outputs: this.outputs.map((s) => ({ name: s.name, datatype: s.datatype, shape: metadataShape(s) })),
    };
  }

  async infer(inputs: InputTensor[], ctx: InferContext): Promise<OutputTensor[]> {
    const batch = validateInputs(this.name, this.inputs, inputs);
    const wanted = selectOutputs(this.name, this.outputs, ctx.outputs);
    const rows: RowInputs = {};
    for (const t of inputs) rows[t.name] = t.data as TensorData;
    const out = await this.enqueueRows(rows, batch, ctx);
    return wanted.map((s) => ({ name: s.name, datatype: s.datatype, shape: [batch, ...s.dims], data: out[s.name] }));
  }

  /** Queues `batch` rows (at most max_batch_size: the request contract refuses more) and resolves with their outputs. */
  async enqueueRows(rows: RowInputs, batch: number, ctx: Pick<InferContext, 'timeoutMs' | 'signal'>): Promise<RowOutputs> {
    if (batch > this.config.max_batch_size) throw internal(`${this.name}: batch of ${batch} exceeds max_batch_size ${this.config.max_batch_size}`);
    const done = this.batcher.enqueue(rows, batch, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
    this.telemetry.pending(this.batcher.pending);
    return done;
  }

  private prepare(reqs: readonly QueuedRequest<RowInputs, RowOutputs>[], instance: number): Prepared {
    const t0 = nowNs();
    let rows = 0;
    for (const r of reqs) rows += r.size;
    const inputs: Record<string, RunnerTensor> = {};
    // Every batch, one request or many, is copied into this instance's reused shared buffers: a threaded runtime
    // reads them in place, and no request's buffer (possibly a view into a larger body) is ever cloned whole.
    const slot = this.slot[instance];
    this.slot[instance] ^= 1;
    const buf = this.buffers[instance][slot];
    for (const s of this.inputs) {
      const dst = buf[s.name];
      let off = 0;
      for (const r of reqs) {
        dst.set(r.input[s.name] as never, off);
        off += r.input[s.name].length;
      }
      inputs[s.name] = { data: dst.subarray(0, off), datatype: s.datatype as FixedDatatype, dims: [rows, ...s.dims] };
    }
    for (const r of reqs) this.telemetry.queued((r.dispatchedAt - r.enqueuedAt) * 1e6);
    this.telemetry.pending(this.batcher.pending);
    return { rows, inputs, inputNs: nowNs() - t0 };
  }

  private async runBatch(p: Prepared, reqs: readonly QueuedRequest<RowInputs, RowOutputs>[], instance: number): Promise<(RowOutputs | Error)[]> {
    const t1 = nowNs();
    let result: Record<string, RunnerTensor>;
    try {
      result = await this.runners[instance].run(p.inputs, this.outputs.map((s) => s.name));
    } catch (err) {
      // One bad row must not fail its neighbours (other clients, other tenants): run each request alone.
      if (reqs.length > 1) return this.runEachAlone(reqs, instance);
      throw err;
    }
    const t2 = nowNs();
    const outs: RowOutputs[] = reqs.map(() => ({}));
    for (const s of this.outputs) {
      const data = result[s.name].data;
      const expected = p.rows * s.rowSize;
      if (data.length !== expected) throw new Error(`${this.name}: ${s.name} has ${data.length} values, expected ${expected}`);
      let off = 0;
      reqs.forEach((r, i) => {
        const n = r.size * s.rowSize;
        outs[i][s.name] = data.subarray(off, off + n);
        off += n;
      });
    }
    this.telemetry.executed(p.rows, reqs.length, p.inputNs, t2 - t1, nowNs() - t2);
    return outs;
  }

  /** After a failed batch: each request as a batch of its own, so that only the failing ones fail. */
  private async runEachAlone(reqs: readonly QueuedRequest<RowInputs, RowOutputs>[], instance: number): Promise<(RowOutputs | Error)[]> {
    const results: (RowOutputs | Error)[] = [];
    for (const r of reqs) {
      const t0 = nowNs();
      const inputs: Record<string, RunnerTensor> = {};
      // Own copies: the request's rows may be views into a larger (shared or pooled) buffer.
      for (const s of this.inputs) inputs[s.name] = { data: r.input[s.name].slice(), datatype: s.datatype as FixedDatatype, dims: [r.size, ...s.dims] };
      try {
        const t1 = nowNs();
        const result = await this.runners[instance].run(inputs, this.outputs.map((s) => s.name));
        const t2 = nowNs();
        const out: RowOutputs = {};
        for (const s of this.outputs) out[s.name] = result[s.name].data;
        this.telemetry.executed(r.size, 1, t1 - t0, t2 - t1, nowNs() - t2);
        results.push(out);
      } catch (err) {
        results.push(err instanceof Error ? err : new Error(String(err)));
      }
    }
    return results;
  }

  async warmup(): Promise<void> {
    // Each instance runs one row directly (not through the batcher, so statistics start clean).
    const inputs: Record<string, RunnerTensor> = {};
    for (const s of this.inputs) inputs[s.name] = { data: new (arrayOf(s.datatype))(s.rowSize), datatype: s.datatype as FixedDatatype, dims: [1, ...s.dims] };
    await Promise.all(this.runners.map((r) => r.run(inputs, this.outputs.map((s) => s.name))));
    this.warmedUp = true;
  }

  async close(): Promise<void> {
    this.warmedUp = false;
    await this.batcher.drain();
    await Promise.all(this.runners.map((r) => r.release()));
  }
}
