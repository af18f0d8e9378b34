import { join } from 'node:path';
import type { RepositoryEntry } from '../config/modelRepository';
import type { ModelTelemetry } from '../stats/telemetry';
import type { WorkerPool } from '../workers/workerPool';
import { imagePipeline } from './imageElement';
import { OnnxModel } from './onnxModel';
import { PipelineModel, type PipelineTarget } from './pipelineModel';
import { imageLimitsSchema, type ImageLimits } from './preprocess/imageLimits';
import { loadImageProcessorConfig } from './preprocess/imageProcessorConfig';
import { SiglipTokenizer } from './text/siglipTokenizer';
import { textPipeline, type TextLimits } from './textElement';
import type { ServedModel } from './types';

/** What one element and one request may cost (backend options). */
export interface PipelineLimits extends ImageLimits, TextLimits {
  maxRequestPixels: number;
}


/** An ONNX model that takes pixel values: one FP32 input of dims [3, H, W]. */
function isVisionModel(m: ServedModel): m is OnnxModel {
  if (!(m instanceof OnnxModel) || m.inputs.length !== 1) return false;
  const { datatype, dims } = m.inputs[0];
  return datatype === 'FP32' && dims.length === 3 && dims[0] === 3;
}

/** An ONNX model that takes token ids: one INT64 input of dims [L]. */
function isTextModel(m: ServedModel): m is OnnxModel {
  return m instanceof OnnxModel && m.inputs.length === 1 && m.inputs[0].datatype === 'INT64' && m.inputs[0].dims.length === 1;
}

/**
 * Builds a `pipeline` model from its config. Parameters, as in the Triton deployment it replaces:
 * `default_embed_model` names the ONNX model it feeds by default (`target_model` is the older name), and
 * for image pipelines `default_base64_encoded` ("false") says how elements are written. Every loaded model of
 * the right kind (`parameters.pipeline`: "image" feeds vision models, with the preprocessor_config.json in its
 * directory; "text" feeds text models, with its tokenizer.json) can be chosen per request with `embed_model`;
 * preprocessing is sized for the model chosen.
 */
export async function createPipelineModel(
  entry: RepositoryEntry,
  models: Map<string, ServedModel>,
  telemetry: ModelTelemetry,
  pool: WorkerPool | null,
  limits: PipelineLimits,
): Promise<ServedModel> {
  const file = join(entry.dir, 'config.json');
  const params = entry.config.parameters;
  const key = params.default_embed_model !== undefined ? 'default_embed_model' : 'target_model';
  // The schema has checked both are present for a pipeline.
  const defaultTarget = (params.default_embed_model ?? params.target_model)!;
  const inputName = entry.config.input[0].name;
  const text = params.pipeline === 'text';
  const candidates = [...models.values()].filter(text ? isTextModel : isVisionModel);
  if (!candidates.some((m) => m.name === defaultTarget)) {
    throw new Error(`${file}: field 'parameters.${key}': '${defaultTarget}' is not a loaded ${text ? 'text' : 'vision'} ONNX model (loaded: ${candidates.map((m) => m.name).join(', ') || 'none'})`);
  }
  const targets = new Map<string, PipelineTarget>();
  if (text) {
    const tokenizers = new Map<number, SiglipTokenizer>();
    for (const model of candidates) {
      const maxLength = model.inputs[0].rowSize;
      let tokenizer = tokenizers.get(maxLength);
      if (!tokenizer) {
        tokenizer = await SiglipTokenizer.fromDirectory(entry.dir, { maxLength }).catch((err: Error) => {
          throw new Error(`${join(entry.dir, 'tokenizer.json')}: cannot load the tokenizer: ${err.message}`);
        });
        tokenizers.set(maxLength, tokenizer);
      }
      targets.set(model.name, { model, elements: textPipeline(inputName, tokenizer, limits) });
    }
    return new PipelineModel(entry.name, entry.version, entry.config, { targets, defaultTarget }, telemetry);
  }
  const processor = await loadImageProcessorConfig(entry.dir);
  const imageLimits = { ...imageLimitsSchema.parse({ maxEncodedBytes: limits.maxEncodedBytes, maxPixels: limits.maxPixels }), maxRequestPixels: limits.maxRequestPixels };
  for (const model of candidates) {
    // The processor's settings, at the input size of the model chosen.
    const [, height, width] = model.inputs[0].dims;
    targets.set(model.name, { model, elements: imagePipeline(inputName, { ...processor, size: { height, width } }, imageLimits, pool) });
  }
  const defaultBase64 = params.default_base64_encoded ?? false;
  return new PipelineModel(entry.name, entry.version, entry.config, { targets, defaultTarget, defaultBase64 }, telemetry);
}
