import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeOnnxModel } from './onnx/writeOnnxModel';
import { SafetensorsFile } from './safetensors/safetensorsFile';
import { MODEL_NAMES } from '../../shared/model-repository/modelNames';
import { textModelConfig, visionModelConfig, writeModelConfig, writePipelineEntries } from './modelRepositoryWriter';
import { ATTENTION_KINDS, DEFAULT_ATTENTION, type AttentionKind } from './siglip/cudaSelfAttention';
import { parseSiglipConfig, type SiglipArchitecture } from './siglip/siglipConfig';
import { buildTextGraph, buildVisionGraph, type GraphFlavor, type TowerGraph } from './siglip/towerGraphs';
import { TOWER_PREFIX, textTensors, visionTensors } from './siglip/towerTensors';
import { TowerWeights } from './siglip/towerWeights';
import type { WeightDtype } from './tensor/weightTransforms';

/** A SigLIP tower. */
export type Tower = 'vision' | 'text';

/** Progress of a conversion: bytes of weights written for one tower. */
export interface ConvertProgress {
  tower: Tower;
  done: number;
  total: number;
}

/** Options of {@link convertModel}. */
export interface ConvertOptions {
  /** Checkpoint directory: config.json + model.safetensors (+ preprocessor_config.json, tokenizer files). */
  from: string;
  /** Model repository to write into (Triton layout). */
  into: string;
  dtype?: WeightDtype;
  flavor?: GraphFlavor;
  /** Self-attention graph of the cuda flavor (default 'mha-separate'); not applicable to 'portable'. */
  attention?: AttentionKind;
  /** Towers to convert; defaults to every tower the checkpoint holds. */
  towers?: Tower[];
  onProgress?: (p: ConvertProgress) => void;
  /** Weight bytes above which model.onnx keeps its weights in model.onnx.data (default: just under 2 GiB). */
  externalDataThreshold?: number;
}

/** What {@link convertModel} wrote. */
export interface ConvertResult {
  /** Model names written, e.g. ['siglip_vision', 'siglip_text', 'embed_image', 'embed_text']. */
  models: string[];
  files: string[];
}

/** Converts a SigLIP safetensors checkpoint to ONNX model-repository entries (siglip_vision, siglip_text, pipelines). */
export async function convertModel(options: ConvertOptions): Promise<ConvertResult> {
  const dtype = options.dtype ?? 'fp32';
  const flavor = options.flavor ?? 'portable';
  const attention = resolveAttention(flavor, options.attention);
  const arch = parseSiglipConfig(JSON.parse(await readFile(join(options.from, 'config.json'), 'utf8')), join(options.from, 'config.json'));
  const checkpoint = join(options.from, 'model.safetensors');
  if (!(await stat(checkpoint).catch(() => null))) {
    const sharded = await stat(join(options.from, 'model.safetensors.index.json')).catch(() => null);
    throw new Error(`${checkpoint} not found${sharded ? ' (sharded checkpoints are not supported: merge the shards first)' : ''}`);
  }
  const file = await SafetensorsFile.open(checkpoint);
  try {
    const located = locateTowers(file, arch);
    const towers = options.towers ?? (Object.keys(located) as Tower[]);
    if (towers.length === 0) throw new Error(`${checkpoint}: no SigLIP tower weights found for the towers in config.json`);
    const result: ConvertResult = { models: [], files: [] };
    // The attention kind tells cuda entries apart in config.json; portable entries keep the stamp they always had.
    const stamp = { flavor, dtype, source: options.from, ...(flavor === 'cuda' ? { attention } : {}) };
    await mkdir(options.into, { recursive: true });
    for (const tower of towers) {
      const cfg = arch[tower];
      const weights = located[tower];
      if (!cfg) throw new Error(`${options.from}/config.json describes no ${tower} tower`);
      if (!weights) throw new Error(`${checkpoint}: no ${tower} tower weights (looked for "${TOWER_PREFIX[tower]}embeddings.*" and "embeddings.*")`);
      let built: TowerGraph;
      if (tower === 'vision') {
        weights.validate(visionTensors(arch.vision!), 'vision tower');
        built = buildVisionGraph(arch.vision!, weights, dtype, flavor, attention);
      } else {
        weights.validate(textTensors(arch.text!), 'text tower');
        built = buildTextGraph(arch.text!, weights, dtype, flavor, attention);
      }
      const name = MODEL_NAMES[tower];
      const files = await writeTowerModel(options.into, name, built, (done, total) => options.onProgress?.({ tower, done, total }), options.externalDataThreshold);
      const config = tower === 'vision' ? visionModelConfig(arch.vision!, stamp) : textModelConfig(arch.text!, stamp);
      files.push(await writeModelConfig(options.into, config));
      result.models.push(name);
      result.files.push(...files);
    }
    const pipelines = await writePipelineEntries(options.into, options.from, {
      vision: towers.includes('vision') ? arch.vision : undefined,
      text: towers.includes('text') ? arch.text : undefined,
    });
    result.models.push(...pipelines);
    return result;
  } finally {
    await file.close();
  }
}

// Checked before any file is read, so a wrong flag fails at once rather than after a 3.5 GB read.
function resolveAttention(flavor: GraphFlavor, attention: AttentionKind | undefined): AttentionKind {
  if (attention === undefined) return DEFAULT_ATTENTION;
  if (!(ATTENTION_KINDS as readonly string[]).includes(attention)) {
    throw new Error(`attention: expected one of ${ATTENTION_KINDS.join(', ')}, got "${attention}"`);
  }
  if (flavor !== 'cuda') throw new Error(`attention "${attention}" applies to the cuda flavor only (flavor is "${flavor}")`);
  return attention;
}

function locateTowers(file: SafetensorsFile, arch: SiglipArchitecture): Partial<Record<Tower, TowerWeights>> {
  const out: Partial<Record<Tower, TowerWeights>> = {};
  const vision = arch.vision && TowerWeights.locate(file, TOWER_PREFIX.vision, 'embeddings.patch_embedding.weight');
  const text = arch.text && TowerWeights.locate(file, TOWER_PREFIX.text, 'embeddings.token_embedding.weight');
  if (vision) out.vision = vision;
  if (text) out.text = text;
  return out;
}

// Writes into a temporary version directory and renames it into place, so a reader (or an interrupted run)
// never sees half a model.onnx under DIR/<model>/1.
async function writeTowerModel(
  repository: string,
  name: string,
  built: TowerGraph,
  onProgress: (done: number, total: number) => void,
  externalDataThreshold?: number,
): Promise<string[]> {
  const versionDir = join(repository, name, '1');
  const staging = join(repository, name, `.1.partial`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const written = await writeOnnxModel(built.graph, join(staging, 'model.onnx'), { opsets: built.opsets, onProgress, externalDataThreshold });
  await rm(versionDir, { recursive: true, force: true });
  await rename(staging, versionDir);
  return [join(versionDir, 'model.onnx'), ...(written.externalDataPath ? [join(versionDir, 'model.onnx.data')] : [])];
}
