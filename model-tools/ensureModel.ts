import { DEFAULT_ATTENTION } from './convert/siglip/cudaSelfAttention';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest } from './hub/fetchManifest';
import { fetchModel, type FetchProgress, type FetchResult } from './hub/fetchModel';
import { convertModel, type ConvertProgress, type Tower } from './convert/convertModel';
import { MODEL_NAMES } from '../shared/model-repository/modelNames';
import type { GraphFlavor } from './convert/siglip/towerGraphs';
import type { WeightDtype } from './convert/tensor/weightTransforms';

/** Progress of {@link ensureModel}: a fetch, then a conversion. */
export type EnsureProgress = ({ stage: 'fetch' } & FetchProgress) | ({ stage: 'convert' } & ConvertProgress);

/** Options of {@link ensureModel}; endpoint and token come from HF_ENDPOINT / HF_TOKEN at the CLI edge. */
export interface EnsureModelOptions {
  repo: string;
  revision?: string;
  /** Where checkpoints are downloaded: <cacheDir>/<org>--<name>. */
  cacheDir: string;
  /** The model repository the backend serves. */
  modelRepository: string;
  flavor?: GraphFlavor;
  dtype?: WeightDtype;
  towers?: Tower[];
  endpoint?: string;
  token?: string;
  onProgress?: (p: EnsureProgress) => void;
}

/** What {@link ensureModel} did. */
export interface EnsureModelResult {
  checkpointDir: string;
  modelRepository: string;
  fetch: FetchResult;
  /** False when the repository already held this checkpoint converted the same way. */
  converted: boolean;
}

// Written into the model repository after a conversion: what it was made from and how.
const STAMP_FILE = '.siglip-convert.json';

/** Directory a hub repo is downloaded into under `cacheDir`. */
export function checkpointDirFor(cacheDir: string, repo: string): string {
  return join(cacheDir, repo.replace(/\//g, '--'));
}

/**
 * Makes `modelRepository` serve `repo`: fetches the checkpoint unless a verified copy is cached, and converts it
 * unless the repository already holds this checkpoint converted with the same flavor, dtype and towers.
 */
export async function ensureModel(options: EnsureModelOptions): Promise<EnsureModelResult> {
  const checkpointDir = checkpointDirFor(options.cacheDir, options.repo);
  const fetched = await fetchModel({
    repo: options.repo,
    revision: options.revision,
    into: checkpointDir,
    endpoint: options.endpoint,
    token: options.token,
    onProgress: (p) => options.onProgress?.({ stage: 'fetch', ...p }),
  });
  const manifest = await readManifest(checkpointDir);
  const stamp = {
    repo: options.repo,
    // The weights' sha256 identifies what was converted, whatever revision name pointed at it.
    weights: manifest?.files['model.safetensors']?.sha256 ?? fetched.commit ?? 'unknown',
    flavor: options.flavor ?? 'portable',
    dtype: options.dtype ?? 'fp32',
    towers: options.towers ?? null,
    // A new default graph means a reconversion.
    attention: (options.flavor ?? 'portable') === 'cuda' ? DEFAULT_ATTENTION : null,
  };
  const previous = await readFile(join(options.modelRepository, STAMP_FILE), 'utf8').catch(() => '');
  const visionModel = join(options.modelRepository, MODEL_NAMES.vision, '1', 'model.onnx');
  const textModel = join(options.modelRepository, MODEL_NAMES.text, '1', 'model.onnx');
  const present = (await stat(visionModel).catch(() => null)) !== null || (await stat(textModel).catch(() => null)) !== null;
  if (present && previous === JSON.stringify(stamp)) {
    return { checkpointDir, modelRepository: options.modelRepository, fetch: fetched, converted: false };
  }
  await convertModel({
    from: checkpointDir,
    into: options.modelRepository,
    flavor: stamp.flavor,
    dtype: stamp.dtype,
    towers: options.towers,
    onProgress: (p) => options.onProgress?.({ stage: 'convert', ...p }),
  });
  await writeFile(join(options.modelRepository, STAMP_FILE), JSON.stringify(stamp));
  return { checkpointDir, modelRepository: options.modelRepository, fetch: fetched, converted: true };
}
