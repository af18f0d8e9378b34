// `--input-data DIR` (docs/input_data.md; DataLoader::ReadDataFromDir in src/data_loader.cc): one file per input,
// named as the input. A fixed-size input's file holds its batch-1 row as raw little-endian bytes; a BYTES input's
// file is text with one element per line.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBytesElements } from '../../../shared/codec/binaryTensor';
import { elementCount } from '../../../shared/protocol';
import { PerfUsageError } from '../errors';
import type { ModelInfo } from '../model/modelInfo';
import { validateStepTensor, type InputDataset, type StepTensor } from './inputDataset';

/** Reads the one step a data directory holds. */
export function readDirectoryInputData(dir: string, model: ModelInfo): InputDataset {
  const names = new Set([...model.inputs, ...model.outputs].map((t) => t.name));
  for (const file of readdirSync(dir)) {
    if (!names.has(file)) throw new PerfUsageError(`Provided data file '${file}' does not correspond to a valid model input or output (${dir}).`);
  }
  const step = new Map<string, StepTensor>();
  for (const input of model.inputs) {
    const path = join(dir, input.name);
    let raw: Buffer;
    try {
      raw = readFileSync(path);
    } catch {
      if (input.optional) continue;
      throw new PerfUsageError(`failed to open file '${path}'`);
    }
    if (raw.byteLength === 0) throw new PerfUsageError(`file '${path}' is empty`);
    let t: StepTensor;
    if (input.datatype === 'BYTES') {
      // std::getline semantics: a final newline does not start another element.
      const lines = raw.toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      const want = elementCount(input.shape);
      if (lines.length !== want) throw new PerfUsageError(`provided data for input ${input.name} has ${lines.length} elements, expect ${want} (${path})`);
      const enc = new TextEncoder();
      t = { bytes: encodeBytesElements(lines.map((l) => enc.encode(l))), shape: input.shape };
    } else {
      t = { bytes: new Uint8Array(raw), shape: input.shape };
    }
    validateStepTensor(input, t, path);
    step.set(input.name, t);
  }
  return { steps: [step], source: dir };
}
