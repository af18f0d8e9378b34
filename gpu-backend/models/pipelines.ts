import { join } from 'node:path';
import type { RepositoryEntry } from '../config/modelRepository';
import type { ModelTelemetry } from '../stats/telemetry';
import type { WorkerPool } from '../workers/workerPool';
import { imagePreprocessor } from './imageElement';
import { OnnxModel } from './onnxModel';
import { PipelineModel } from './pipelineModel';
import { imageLimitsSchema, type ImageLimits } from './preprocess/imageLimits';
import { loadImageProcessorConfig } from './preprocess/imageProcessorConfig';
import { SiglipTokenizer } from './text/siglipTokenizer';
import { textPreprocessor } from './textElement';
import type { ServedModel } from './types';
import { stat } from 'node:fs/promises';

const exists = (p: string) => stat(p).then(() => true, () => false);

/**
 * Builds a `pipeline` model from its config: parameters.target_model names the ONNX model it feeds;
 * a preprocessor_config.json in its directory makes it an image pipeline, a tokenizer.json a text one.
 */
export async function createPipelineModel(
  entry: RepositoryEntry,
  models: Map<string, ServedModel>,
  telemetry: ModelTelemetry,
  pool: WorkerPool | null,
  limits: Partial<ImageLimits> = {},
): Promise<ServedModel> {
  const file = join(entry.dir, 'config.json');
  const targetName = entry.config.parameters.target_model;
  if (typeof targetName !== 'string') throw new Error(`${file}: field 'parameters.target_model': name the ONNX model this pipeline feeds`);
  const target = models.get(targetName);
  if (!(target instanceof OnnxModel)) throw new Error(`${file}: field 'parameters.target_model': '${targetName}' is not a loaded ONNX model`);
  const inputName = entry.config.input[0].name;
  let preprocess;
  if (await exists(join(entry.dir, 'tokenizer.json'))) {
    const tokenizer = await SiglipTokenizer.fromDirectory(entry.dir, { maxLength: target.inputs[0].rowSize }).catch((err: Error) => {
      throw new Error(`${join(entry.dir, 'tokenizer.json')}: cannot load the tokenizer: ${err.message}`);
    });
    preprocess = textPreprocessor(inputName, tokenizer);
  } else {
    const config = await loadImageProcessorConfig(entry.dir);
    preprocess = imagePreprocessor(inputName, config, imageLimitsSchema.parse(limits), pool);
  }
  return new PipelineModel(entry.name, entry.version, entry.config, target, preprocess, telemetry);
}
