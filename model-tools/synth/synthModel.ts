import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUILTIN_CONFIGS } from '../convert/configs/builtinConfigs';
import { writeSafetensors, type SafetensorsWriteEntry } from '../convert/safetensors/writeSafetensors';
import { parseSiglipConfig } from '../convert/siglip/siglipConfig';
import { TOWER_PREFIX, textTensors, visionTensors, type TensorRole, type TowerTensor } from '../convert/siglip/towerTensors';
import { float32ToFloat16 } from '../convert/tensor/halfFloat';
import { fillUniform, hashString } from './seededUniform';

/** Options of {@link synthModel}. */
export interface SynthOptions {
  /** A checkpoint directory, a config.json path, or a built-in name ('so400m'). */
  like: string;
  /** Directory to write config.json and model.safetensors into. */
  into: string;
  seed?: number;
  /** Towers to write (default: every tower in the config). */
  towers?: ('vision' | 'text')[];
  dtype?: 'fp32' | 'fp16';
  onProgress?: (done: number, total: number) => void;
}

// Trained SigLIP weights have LayerNorm gains near 1 and small everything else; match that spread.
const SPREAD: Record<TensorRole, { mean: number; std: number }> = {
  weight: { mean: 0, std: 0.02 },
  bias: { mean: 0, std: 0.02 },
  norm_weight: { mean: 1, std: 0.02 },
  norm_bias: { mean: 0, std: 0.02 },
  embedding: { mean: 0, std: 0.02 },
};

/** Resolves `like` to a config.json path. */
export async function resolveLikeConfig(like: string): Promise<string> {
  if (BUILTIN_CONFIGS[like]) return BUILTIN_CONFIGS[like];
  const s = await stat(like).catch(() => null);
  if (!s) throw new Error(`--like ${like}: no such directory or file, and not a built-in name (${Object.keys(BUILTIN_CONFIGS).join(', ')})`);
  return s.isDirectory() ? join(like, 'config.json') : like;
}

/**
 * Writes a safetensors checkpoint with deterministic random weights and the architecture of a config.json, tensor
 * by tensor, so a full-size model can be converted and measured without downloading it.
 */
export async function synthModel(options: SynthOptions): Promise<{ configPath: string; checkpointPath: string; bytes: number }> {
  const configPath = await resolveLikeConfig(options.like);
  const configText = await readFile(configPath, 'utf8');
  const arch = parseSiglipConfig(JSON.parse(configText), configPath);
  const fullModel = arch.vision !== undefined && arch.text !== undefined;
  const towers = options.towers ?? (['vision', 'text'] as const).filter((t) => arch[t] !== undefined);
  const seed = options.seed ?? 0;
  const dtype = options.dtype ?? 'fp32';

  const tensors: { key: string; t: TowerTensor }[] = [];
  for (const tower of towers) {
    const cfg = arch[tower];
    if (!cfg) throw new Error(`${configPath} describes no ${tower} tower`);
    const list = tower === 'vision' ? visionTensors(arch.vision!) : textTensors(arch.text!);
    // A full SiglipModel checkpoint prefixes keys by tower; a standalone tower checkpoint does not.
    for (const t of list) tensors.push({ key: (fullModel ? TOWER_PREFIX[tower] : '') + t.key, t });
  }
  const entries: SafetensorsWriteEntry[] = tensors.map(({ key, t }) => ({
    name: key,
    dtype: dtype === 'fp16' ? 'F16' : 'F32',
    shape: t.shape,
    produce: () => {
      const values = fillUniform(new Float32Array(t.shape.reduce((a, b) => a * b, 1)), (seed ^ hashString(key)) >>> 0, SPREAD[t.role].mean, SPREAD[t.role].std);
      if (dtype === 'fp32') return new Uint8Array(values.buffer);
      return new Uint8Array(float32ToFloat16(values).buffer);
    },
  }));
  await mkdir(options.into, { recursive: true });
  const checkpointPath = join(options.into, 'model.safetensors');
  await writeSafetensors(checkpointPath, entries, { metadata: { format: 'pt', synthetic: `seed=${seed}` }, onTensor: (done, total) => options.onProgress?.(done, total) });
  await writeFile(join(options.into, 'config.json'), configText);
  const bytes = (await stat(checkpointPath)).size;
  return { configPath: join(options.into, 'config.json'), checkpointPath, bytes };
}
