import type { SafetensorsFile } from '../safetensors/safetensorsFile';
import type { TowerTensor } from './towerTensors';

/**
 * One tower's tensors inside a checkpoint. Full SiglipModel checkpoints prefix keys with `vision_model.` /
 * `text_model.`; standalone tower checkpoints written by transformers 5 do not (transformers 4 did): the prefix is
 * found from the keys themselves.
 */
export class TowerWeights {
  readonly file: SafetensorsFile;
  readonly prefix: string;

  constructor(file: SafetensorsFile, prefix: string) {
    this.file = file;
    this.prefix = prefix;
  }

  /** Finds the prefix under which `probeKey` exists, or undefined when the tower is absent. */
  static locate(file: SafetensorsFile, towerPrefix: string, probeKey: string): TowerWeights | undefined {
    for (const prefix of [towerPrefix, '']) {
      if (file.tensors.has(prefix + probeKey)) return new TowerWeights(file, prefix);
    }
    return undefined;
  }

  /** Throws one error listing every missing tensor or wrong shape, so a config/checkpoint mismatch is clear. */
  validate(expected: TowerTensor[], what: string): void {
    const problems: string[] = [];
    for (const t of expected) {
      const info = this.file.tensors.get(this.prefix + t.key);
      if (!info) problems.push(`missing ${this.prefix}${t.key}`);
      else if (info.shape.join(',') !== t.shape.join(',')) problems.push(`${this.prefix}${t.key} is [${info.shape}], config implies [${t.shape}]`);
    }
    if (problems.length > 0) {
      const shown = problems.slice(0, 8).join('; ') + (problems.length > 8 ? `; and ${problems.length - 8} more` : '');
      throw new Error(`${this.file.path}: ${what} does not match config.json: ${shown}`);
    }
  }

  /** Reads a tensor (key without prefix) as float32. */
  f32(key: string): Promise<Float32Array> {
    return this.file.readFloat32(this.prefix + key);
  }

  /** Shape of a tensor (key without prefix). */
  shape(key: string): number[] {
    return this.file.info(this.prefix + key).shape;
  }
}
