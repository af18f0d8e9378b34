import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { modelConfigSchema, type ModelConfig } from '../../shared/model-repository/modelConfig';

/** One model found in a Triton-layout repository: DIR/<model>/config.json and DIR/<model>/<version>/. */
export interface RepositoryEntry {
  name: string;
  dir: string;
  config: ModelConfig;
  /** The version served (the highest numbered directory). */
  version: string;
  /** DIR/<model>/<version>. */
  versionDir: string;
}

/** A config.json that failed validation; the message names the file and the field. */
class ModelConfigError extends Error {
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'ModelConfigError';
  }
}

/** Parses and validates one config.json. */
function parseModelConfig(file: string, text: string, dirName: string): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ModelConfigError(file, `not valid JSON (${(err as Error).message})`);
  }
  const parsed = modelConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length ? issue.path.join('.') : '(root)';
    throw new ModelConfigError(file, `field '${field}': ${issue.message}`);
  }
  if (parsed.data.name !== dirName) {
    throw new ModelConfigError(file, `field 'name': '${parsed.data.name}' must equal the model directory name '${dirName}'`);
  }
  return parsed.data;
}

/** Scans a model repository; a bad config stops start-up with a message naming the file and field. */
export async function loadModelRepository(root: string): Promise<RepositoryEntry[]> {
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (err) {
    throw new Error(`model repository ${root} cannot be read: ${(err as Error).message}`);
  }
  const entries: RepositoryEntry[] = [];
  for (const name of names) {
    const dir = join(root, name);
    const file = join(dir, 'config.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // Triton skips directories without a model config only when they hold no model; we skip quietly.
    }
    const config = parseModelConfig(file, text, name);
    const versions = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && /^\d+$/.test(d.name))
      .map((d) => d.name)
      .sort((a, b) => Number(a) - Number(b));
    let version = '1';
    if (config.platform === 'onnxruntime_onnx') {
      if (!versions.length) throw new ModelConfigError(file, `no numbered version directory with model.onnx under ${dir}`);
      version = versions[versions.length - 1];
      const onnx = join(dir, version, 'model.onnx');
      if (!(await stat(onnx).catch(() => null))) throw new ModelConfigError(file, `missing ${onnx}`);
    } else if (versions.length) {
      version = versions[versions.length - 1];
    }
    entries.push({ name, dir, config, version, versionDir: join(dir, version) });
  }
  if (!entries.length) throw new Error(`model repository ${root} holds no models (expected DIR/<model>/config.json)`);
  return entries;
}
