import { readFileSync, statSync } from 'node:fs';
import { PerfUsageError } from '../errors';
import type { ModelInfo } from '../model/modelInfo';
import { readDirectoryInputData } from './directoryInputData';
import { generateInputData, type GeneratedDataOptions } from './generatedInputData';
import type { InputDataset } from './inputDataset';
import { parseJsonInputData } from './jsonInputData';

/**
 * Resolves `--input-data` (repeatable; default random): zero, random, a directory, or JSON files whose steps are
 * appended in order (docs/cli.md).
 */
export function loadInputData(sources: string[], model: ModelInfo, gen: Omit<GeneratedDataOptions, 'zero'>): InputDataset {
  const list = sources.length ? sources : ['random'];
  if (list.length > 1 && list.some((s) => s === 'zero' || s === 'random')) {
    throw new PerfUsageError(`--input-data zero/random cannot be combined with other --input-data values (got ${list.join(', ')})`);
  }
  if (list[0] === 'zero' || list[0] === 'random') return generateInputData(model, { ...gen, zero: list[0] === 'zero' });
  if (list.length === 1 && isDirectory(list[0])) return readDirectoryInputData(list[0], model);
  const steps = list.flatMap((file) => {
    if (isDirectory(file)) throw new PerfUsageError(`--input-data ${file}: a directory cannot be combined with other --input-data values`);
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(err as Error).message})`;
      throw new PerfUsageError(`--input-data ${file}: ${reason}; give zero, random, a directory or a perf_analyzer JSON file`);
    }
    return parseJsonInputData(doc, model, file);
  });
  return { steps, source: list.join(', ') };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
