import { invalidArgument } from '../../shared/errors';
import type { ModelConfig } from '../config/modelConfig';
import type { ModelTelemetry } from '../stats/telemetry';
import { l2NormalizeRows } from './l2Normalize';
import type { OnnxModel } from './onnxModel';
import type { BytesElement, InferContext, InputTensor, ModelMetadata, OutputTensor, ServedModel } from './types';

/** Turns one BYTES element into the target model's input row (e.g. an image file into pixel values). */
export type ElementPreprocessor = (element: BytesElement, index: number) => Promise<Float32Array | BigInt64Array>;

const nowNs = () => performance.now() * 1e6;

/**
 * A model that preprocesses each BYTES element of its one input and feeds the rows to an ONNX model's
 * dynamic batcher, element by element, so they batch with every other request (embed_image, embed_text).
 */
export class PipelineModel implements ServedModel {
  readonly inputName: string;
  readonly outputName: string;
  private readonly targetInput: string;
  private readonly targetOutput: string;
  readonly dim: number;

  constructor(
    readonly name: string,
    readonly version: string,
    readonly config: ModelConfig,
    readonly target: OnnxModel,
    private readonly preprocess: ElementPreprocessor,
    readonly telemetry: ModelTelemetry,
  ) {
    if (config.input.length !== 1 || config.input[0].data_type !== 'TYPE_STRING') {
      throw new Error(`${name}: a pipeline takes exactly one TYPE_STRING input`);
    }
    if (target.inputs.length !== 1) throw new Error(`${name}: target model '${target.name}' must have one input`);
    this.inputName = config.input[0].name;
    this.outputName = config.output[0].name;
    this.targetInput = target.inputs[0].name;
    this.targetOutput = target.outputs[0].name;
    this.dim = target.outputs[0].rowSize;
  }

  get stats() {
    return this.telemetry.stats;
  }

  get ready(): boolean {
    return this.target.ready;
  }

  metadata(): ModelMetadata {
    return {
      name: this.name,
      versions: [this.version],
      platform: this.config.platform,
      inputs: [{ name: this.inputName, datatype: 'BYTES', shape: [-1] }],
      outputs: [{ name: this.outputName, datatype: 'FP32', shape: [-1, this.dim] }],
    };
  }

  async infer(inputs: InputTensor[], ctx: InferContext): Promise<OutputTensor[]> {
    const input = inputs.find((t) => t.name === this.inputName);
    const other = inputs.find((t) => t.name !== this.inputName);
    if (other) throw invalidArgument(`unexpected inference input '${other.name}' for model '${this.name}', expected '${this.inputName}'`);
    if (!input) throw invalidArgument(`model '${this.name}' expects input '${this.inputName}', which the request lacks`);
    if (input.datatype !== 'BYTES') throw invalidArgument(`${this.inputName}: expected datatype BYTES, got ${input.datatype}`);
    const n = input.shape[0];
    const okShape = (input.shape.length === 1 || (input.shape.length === 2 && input.shape[1] === 1)) && Number.isInteger(n) && n >= 1;
    if (!okShape) throw invalidArgument(`${this.inputName}: expected shape [-1] (one element per item), got [${input.shape.join(',')}]`);
    if (input.data.length !== n) throw invalidArgument(`${this.inputName}: expected ${n} elements for shape [${input.shape.join(',')}], got ${input.data.length}`);
    for (const o of ctx.outputs) if (o !== this.outputName) throw invalidArgument(`unexpected inference output '${o}' for model '${this.name}'`);
    const normalize = ctx.parameters.normalize;
    if (normalize !== undefined && typeof normalize !== 'boolean') throw invalidArgument('parameter normalize must be a boolean');
    const data = await this.embed(input.data as BytesElement[], ctx, normalize === true);
    return [{ name: this.outputName, datatype: 'FP32', shape: [n, this.dim], data }];
  }

  /** Embeddings of each element, [n, dim], in order; all elements are preprocessed before any is queued. */
  async embed(elements: readonly BytesElement[], ctx: Pick<InferContext, 'timeoutMs' | 'signal'>, normalize: boolean): Promise<Float32Array> {
    const t0 = nowNs();
    // A bad element fails the whole request before any GPU time is spent on it.
    const rows = await Promise.all(elements.map((e, i) => this.preprocess(e, i)));
    const t1 = nowNs();
    const outs = await Promise.all(rows.map((row) => this.target.enqueueRows({ [this.targetInput]: row }, 1, ctx)));
    const t2 = nowNs();
    const data = new Float32Array(elements.length * this.dim);
    outs.forEach((o, i) => data.set(o[this.targetOutput] as Float32Array, i * this.dim));
    if (normalize) l2NormalizeRows(data, this.dim);
    this.telemetry.executed(elements.length, 1, t1 - t0, t2 - t1, nowNs() - t2);
    return data;
  }

  async warmup(): Promise<void> {
    // The target model warms itself up; preprocessing has no lazy state worth warming.
  }

  async close(): Promise<void> {
    // The target drains its own queue; a pipeline holds nothing beyond it.
  }
}
