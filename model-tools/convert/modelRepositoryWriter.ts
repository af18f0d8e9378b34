import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelConfigSchema, type ModelConfigInput } from '../../shared/model-repository/modelConfig';
import { ONNX_NAMES } from './siglip/towerGraphs';
import { MODEL_NAMES, TENSOR_NAMES } from '../../shared/model-repository/modelNames';
import type { TextTowerConfig, VisionTowerConfig } from './siglip/siglipConfig';


/** How a converted entry was made; recorded in config.json parameters so a reader can tell flavors apart. */
export interface ConversionStamp {
  flavor: string;
  dtype: string;
  source: string;
  /** Attention graph of the cuda flavor (see cudaSelfAttention.ts). */
  attention?: string;
}

/** max_batch_size of the towers, as the Triton deployment we replace has them (so400m on an H200: batch 32 and 64 both 563 images/s). */
const MAX_BATCH = 32;
/** max_batch_size of embed_image / embed_text, as there: each element is queued on its own, so it may exceed the towers'. */
const PIPELINE_MAX_BATCH = 60;

/**
 * Two instances for the cuda flavor: one batch is assembled and copied in while the other computes (measured on
 * an H200 serving so400m at c=60: 341 images/s with two, 290 with one). One elsewhere, where two sessions would
 * only split the CPU cores.
 */
function instanceGroup(stamp: ConversionStamp): ModelConfigInput['instance_group'] {
  return [{ count: stamp.flavor === 'cuda' ? 2 : 1, kind: 'KIND_AUTO' }];
}

// Triton dynamic batching defaults for a GPU backend: prefer big batches, wait at most 2 ms to fill one.
function batching(): ModelConfigInput['dynamic_batching'] {
  return {
    preferred_batch_size: [8, 16, MAX_BATCH],
    max_queue_delay_microseconds: 2000,
    default_queue_policy: { max_queue_size: 512, default_timeout_microseconds: 0, allow_timeout_override: true },
  };
}

/** config.json of the vision tower entry: PIXEL_VALUES [C, H, W] fp32 → EMBEDDING [D] fp32. */
export function visionModelConfig(v: VisionTowerConfig, stamp: ConversionStamp): ModelConfigInput {
  return {
    name: MODEL_NAMES.vision,
    platform: 'onnxruntime_onnx',
    max_batch_size: MAX_BATCH,
    input: [{ name: TENSOR_NAMES.pixelValues, data_type: 'TYPE_FP32', dims: [v.numChannels, v.imageSize, v.imageSize] }],
    output: [{ name: TENSOR_NAMES.embedding, data_type: 'TYPE_FP32', dims: [v.hiddenSize] }],
    dynamic_batching: batching(),
    instance_group: instanceGroup(stamp),
    parameters: {
      onnx_input_names: { PIXEL_VALUES: ONNX_NAMES.vision.input },
      onnx_output_names: { EMBEDDING: ONNX_NAMES.vision.output },
      execution_providers: ['cuda', 'cpu'],
      conversion: { ...stamp },
    },
  };
}

/** config.json of the text tower entry: INPUT_IDS [max_position_embeddings] int64 → EMBEDDING [projection] fp32. */
export function textModelConfig(t: TextTowerConfig, stamp: ConversionStamp): ModelConfigInput {
  return {
    name: MODEL_NAMES.text,
    platform: 'onnxruntime_onnx',
    max_batch_size: MAX_BATCH,
    input: [{ name: TENSOR_NAMES.inputIds, data_type: 'TYPE_INT64', dims: [t.maxPositions] }],
    output: [{ name: TENSOR_NAMES.embedding, data_type: 'TYPE_FP32', dims: [t.projectionSize] }],
    dynamic_batching: batching(),
    instance_group: [{ count: 1, kind: 'KIND_AUTO' }],
    parameters: {
      onnx_input_names: { INPUT_IDS: ONNX_NAMES.text.input },
      onnx_output_names: { EMBEDDING: ONNX_NAMES.text.output },
      // Ids outside the vocabulary would fail ONNX Runtime's Gather for a whole batch: refused per request.
      value_range: { INPUT_IDS: [0, t.vocabSize - 1] },
      execution_providers: ['cuda', 'cpu'],
      conversion: { ...stamp },
    },
  };
}

/**
 * config.json of a pipeline entry (preprocessing in front of `target`), with the Triton deployment's interface:
 * INPUT_IMAGE or INPUT_TEXT bytes → EMBEDDING [D]; image elements are file bytes unless base64_encoded is set.
 */
function pipelineModelConfig(name: string, target: string, dim: number): ModelConfigInput {
  const image = name === MODEL_NAMES.embedImage;
  return {
    name,
    platform: 'pipeline',
    max_batch_size: PIPELINE_MAX_BATCH,
    input: [{ name: image ? TENSOR_NAMES.inputImage : TENSOR_NAMES.inputText, data_type: 'TYPE_STRING', dims: [1] }],
    output: [{ name: TENSOR_NAMES.embedding, data_type: 'TYPE_FP32', dims: [dim] }],
    parameters: image ? { pipeline: 'image', default_base64_encoded: 'false', default_embed_model: target } : { pipeline: 'text', default_embed_model: target },
  };
}

/** Validates a config against the backend's schema and writes DIR/<name>/config.json. */
export async function writeModelConfig(repository: string, config: ModelConfigInput): Promise<string> {
  const parsed = modelConfigSchema.safeParse(config);
  if (!parsed.success) throw new Error(`config for ${config.name} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const dir = join(repository, config.name);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify(config, null, 2) + '\n');
  return file;
}

/** Files a pipeline entry needs from the checkpoint directory; the first is required, the others copied when present. */
const PIPELINE_FILES = {
  embed_image: ['preprocessor_config.json'],
  embed_text: ['tokenizer.json', 'tokenizer_config.json', 'spiece.model', 'special_tokens_map.json'],
} as const;

/**
 * Writes embed_image / embed_text next to the towers when the checkpoint has what they need (a preprocessor
 * config; a tokenizer), copying those files in. Returns the names written.
 */
export async function writePipelineEntries(
  repository: string,
  checkpointDir: string,
  towers: { vision?: VisionTowerConfig; text?: TextTowerConfig },
): Promise<string[]> {
  const written: string[] = [];
  const plans = [
    { name: MODEL_NAMES.embedImage, target: MODEL_NAMES.vision, dim: towers.vision?.hiddenSize, files: PIPELINE_FILES.embed_image },
    { name: MODEL_NAMES.embedText, target: MODEL_NAMES.text, dim: towers.text?.projectionSize, files: PIPELINE_FILES.embed_text },
  ];
  for (const plan of plans) {
    if (plan.dim === undefined || !(await exists(join(checkpointDir, plan.files[0])))) continue;
    await writeModelConfig(repository, pipelineModelConfig(plan.name, plan.target, plan.dim));
    for (const f of plan.files) {
      if (await exists(join(checkpointDir, f))) await copyFile(join(checkpointDir, f), join(repository, plan.name, f));
    }
    written.push(plan.name);
  }
  return written;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}
