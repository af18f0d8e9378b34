import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ValidateResult } from '../results';
import { renderPerClassCsv } from './perClassCsv';
import { renderResultsMarkdown } from './resultsMarkdown';

/** The files `--out DIR` gets. */
const RESULT_FILES = { json: 'results.json', markdown: 'results.md', perClass: 'per_class_accuracy.csv' } as const;

/** Writes results.json (every figure and the settings), results.md and per_class_accuracy.csv, each atomically. */
export async function writeResults(dir: string, result: ValidateResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    [RESULT_FILES.json, `${JSON.stringify(result, null, 2)}\n`],
    [RESULT_FILES.markdown, renderResultsMarkdown(result)],
    [RESULT_FILES.perClass, renderPerClassCsv(result.perClass, result.rows)],
  ];
  const written: string[] = [];
  for (const [name, text] of files) {
    const path = join(dir, name);
    await writeFile(`${path}.tmp`, text);
    await rename(`${path}.tmp`, path);
    written.push(path);
  }
  return written;
}
