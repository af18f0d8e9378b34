import { copyFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL_REPOSITORY } from '../../gpu-backend/config/backendOptions';

/** A model's config.json as plain JSON, for tests to edit. */
export type RawModelConfig = Record<string, any>;

/** A throwaway Triton-layout model repository assembled from the bundled demo models. */
export class TempRepository {
  private constructor(readonly dir: string) {}

  /** Creates an empty repository under the OS temp directory. */
  static async create(): Promise<TempRepository> {
    return new TempRepository(await mkdtemp(join(tmpdir(), 'siglip-repo-')));
  }

  /**
   * Copies a bundled model (config.json and its version directories) in as `as`, then lets `edit` change
   * its config. Returns the model's directory.
   */
  async addModel(source: string, edit: (config: RawModelConfig) => void = () => {}, as = source): Promise<string> {
    const dir = join(this.dir, as);
    await cp(join(DEFAULT_MODEL_REPOSITORY, source), dir, { recursive: true });
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as RawModelConfig;
    config.name = as;
    edit(config);
    await this.writeConfig(as, JSON.stringify(config, null, 2));
    return dir;
  }

  /** Path of a model's config.json. */
  configPath(model: string): string {
    return join(this.dir, model, 'config.json');
  }

  /** Replaces a model's config.json with exactly `text` (which need not be valid JSON). */
  async writeConfig(model: string, text: string): Promise<void> {
    await writeFile(this.configPath(model), text);
  }

  /** Deletes the repository. */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * The demo repository with the HF-referenced text tower (test/fixtures/siglip/siglip_text_tiny, 32-d, whose
 * outputs reference.json holds) in place of the demo's 64-d one: for parity tests of the text path.
 */
export async function referenceTextRepository(): Promise<TempRepository> {
  const repo = await TempRepository.create();
  await repo.addModel('siglip_vision');
  const textDir = await repo.addModel('siglip_text', (c) => (c.output[0].dims = [32]));
  await copyFile(fileURLToPath(new URL('../fixtures/siglip/siglip_text_tiny/model.onnx', import.meta.url)), join(textDir, '1', 'model.onnx'));
  await repo.addModel('embed_image');
  await repo.addModel('embed_text', (c) => (c.output[0].dims = [32]));
  return repo;
}
