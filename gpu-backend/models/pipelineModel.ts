import { InferenceError, invalidArgument } from '../../shared/errors';
import type { ElementPipeline } from './elementPipeline';
import { CancelledError } from '../batching/dynamicBatcher';
import { modelContract, type ModelContract } from '../../shared/contract/modelContract';
import type { ModelConfig } from '../../shared/model-repository/modelConfig';
import { tritonModelConfig, type TritonModelConfig } from '../config/tritonConfig';
import type { ModelTelemetry } from '../stats/telemetry';
import { l2NormalizeRows } from './l2Normalize';
import type { OnnxModel } from './onnxModel';
import { metadataShape, tensorSpec } from './tensorSpec';
import type { BytesElement, InferContext, InputTensor, ModelMetadata, OutputTensor, ServedModel } from './types';

/** A model a pipeline can feed, with the element pipeline that makes its input rows (sized for that model). */
export interface PipelineTarget {
  model: OnnxModel;
  elements: ElementPipeline;
}

/** What a pipeline feeds, and how it reads its elements. */
export interface PipelineSettings {
  /** Every model `embed_model` may name; the key is the model's name. */
  targets: ReadonlyMap<string, PipelineTarget>;
  /** The model used when a request names none (config parameter default_embed_model). */
  defaultTarget: string;
  /** Image pipelines read base64_encoded; this is its default (config parameter default_base64_encoded). */
  defaultBase64?: boolean;
}

/** Per-call choices of `embed`. */
export interface EmbedOptions {
  normalize: boolean;
  /** Default: the pipeline's default_base64_encoded. */
  base64?: boolean;
  /** Default: the pipeline's default_embed_model. */
  target?: string;
  /** Filled in with the tokens the texts used (text pipelines). */
  usage?: { tokens: number };
}

const nowNs = () => performance.now() * 1e6;

/**
 * A model that preprocesses each BYTES element of its one input and feeds the rows to an ONNX model's
 * dynamic batcher, element by element, so they batch with every other request (embed_image, embed_text).
 * Request parameters follow the Triton deployment it replaces: `embed_model` picks the ONNX model,
 * `base64_encoded` says how image elements are written.
 */
export class PipelineModel implements ServedModel {
  readonly inputName: string;
  readonly outputName: string;
  readonly tritonConfig: TritonModelConfig;
  readonly contract: ModelContract;

  constructor(
    readonly name: string,
    readonly version: string,
    readonly config: ModelConfig,
    private readonly settings: PipelineSettings,
    readonly telemetry: ModelTelemetry,
  ) {
    if (config.input.length !== 1 || config.input[0].data_type !== 'TYPE_STRING') {
      throw new Error(`${name}: a pipeline takes exactly one TYPE_STRING input`);
    }
    if (!settings.targets.has(settings.defaultTarget)) throw new Error(`${name}: default model '${settings.defaultTarget}' is not among its targets`);
    this.inputName = config.input[0].name;
    this.outputName = config.output[0].name;
    this.tritonConfig = tritonModelConfig(config, {
      default_embed_model: settings.defaultTarget,
      embed_model_choices: [...settings.targets.keys()].join(','),
      ...(settings.defaultBase64 !== undefined && { default_base64_encoded: String(settings.defaultBase64) }),
    });
    this.contract = modelContract(this.metadata(), this.tritonConfig);
  }

  get stats() {
    return this.telemetry.stats;
  }

  /** The default target. */
  get target(): OnnxModel {
    return this.settings.targets.get(this.settings.defaultTarget)!.model;
  }

  /** Embedding width of the default target. */
  get dim(): number {
    return this.target.outputs[0].rowSize;
  }

  get ready(): boolean {
    return this.target.ready;
  }

  metadata(): ModelMetadata {
    return {
      name: this.name,
      versions: [this.version],
      platform: this.config.platform,
      inputs: [{ name: this.inputName, datatype: 'BYTES', shape: metadataShape(tensorSpec(this.config.input[0])) }],
      outputs: [{ name: this.outputName, datatype: 'FP32', shape: [-1, this.dim] }],
    };
  }

  async infer(inputs: InputTensor[], ctx: InferContext): Promise<OutputTensor[]> {
    // The request contract (shared/contract) has checked names, shapes, counts and parameter types.
    const input = inputs.find((t) => t.name === this.inputName);
    if (!input || input.datatype !== 'BYTES') throw invalidArgument(`model '${this.name}' expects BYTES input '${this.inputName}'`);
    const n = input.shape[0];
    const { normalize, base64_encoded: base64, embed_model: target } = ctx.parameters;
    const data = await this.embed(input.data as BytesElement[], ctx, {
      normalize: normalize === true,
      base64: typeof base64 === 'boolean' ? base64 : undefined,
      target: typeof target === 'string' ? target : undefined,
    });
    const dim = data.length / n;
    return [{ name: this.outputName, datatype: 'FP32', shape: [n, dim], data }];
  }

  /** Embeddings of each element, [n, dim], in order; all elements are preprocessed before any is queued. */
  async embed(elements: readonly BytesElement[], ctx: Pick<InferContext, 'timeoutMs' | 'signal'>, options: EmbedOptions): Promise<Float32Array> {
    const name = options.target ?? this.settings.defaultTarget;
    const target = this.settings.targets.get(name);
    if (!target) {
      throw invalidArgument(`parameter embed_model '${name}' does not name a model '${this.name}' can use: one of ${[...this.settings.targets.keys()].map((k) => `'${k}'`).join(', ')}`);
    }
    const { model, elements: pipeline } = target;
    const read = { base64: options.base64 ?? this.settings.defaultBase64 ?? false };
    const dim = model.outputs[0].rowSize;
    const t0 = nowNs();
    // Every element is checked, and the request's whole cost measured, before any is decoded: a bad element
    // fails the request before any work is spent on it, and a request over its budget costs only its headers.
    const inspected = await Promise.all(elements.map((e, i) => pipeline.inspect(e, i, read)));
    let cost = 0;
    for (const x of inspected) cost += x.cost;
    if (cost > pipeline.budget.max) {
      throw new InferenceError(
        'PAYLOAD_TOO_LARGE',
        `${this.inputName}: the request's ${elements.length} items need ${cost} ${pipeline.budget.unit}, over the limit of ${pipeline.budget.max} per request; send fewer or smaller items per request`,
        'too_large',
      );
    }
    // Work not yet started is dropped when the client leaves, or when another element has already failed.
    const abort = new AbortController();
    const onGone = () => abort.abort();
    ctx.signal?.addEventListener('abort', onGone, { once: true });
    const work = { signal: abort.signal, group: {} };
    const rows = await Promise.all(inspected.map((x, i) => pipeline.process(x.item, i, work)))
      .catch((err: unknown) => {
        abort.abort();
        throw err;
      })
      .finally(() => ctx.signal?.removeEventListener('abort', onGone));
    const t1 = nowNs();
    if (options.usage && pipeline.tokens) for (const row of rows) options.usage.tokens += pipeline.tokens(row);
    const inputName = model.inputs[0].name;
    const outputName = model.outputs[0].name;
    // Each row is a request of the target model as Triton counts a composing model's: its success or failure
    // is in the target's statistics too (perf_analyzer's --bls-composing-models reads them).
    const outs = await Promise.all(
      rows.map(async (row) => {
        const start = nowNs();
        try {
          const out = await model.enqueueRows({ [inputName]: row }, 1, ctx);
          model.telemetry.requestSucceeded(nowNs() - start);
          return out;
        } catch (err) {
          if (!(err instanceof CancelledError)) model.telemetry.requestFailed(nowNs() - start, err instanceof InferenceError ? err.reason.toLowerCase() : 'internal');
          throw err;
        }
      }),
    );
    const t2 = nowNs();
    const data = new Float32Array(elements.length * dim);
    outs.forEach((o, i) => data.set(o[outputName] as Float32Array, i * dim));
    if (options.normalize) l2NormalizeRows(data, dim);
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
