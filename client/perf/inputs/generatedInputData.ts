// `--input-data zero|random`, as DataLoader::GenerateData (src/data_loader.cc) makes them: one step, generated once
// and reused for every request. BYTES inputs get --string-data repeated, or random strings of --string-length.
import { encodeBytesElements } from '../../../shared/codec/binaryTensor';
import { float64ToHalfBits } from '../../../shared/codec/jsonHalfFloat';
import { DATATYPE_SIZE, elementCount } from '../../../shared/protocol';
import { PerfUsageError } from '../errors';
import type { ModelInfo } from '../model/modelInfo';
import type { InputDataset, StepTensor } from './inputDataset';

// perf_analyzer's character_set (src/perf_utils.h): letters and digits.
const CHARACTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Options of generated data. */
export interface GeneratedDataOptions {
  zero: boolean;
  stringLength: number;
  stringData?: string;
  /** Uniform [0, 1); injectable so tests get fixed data. */
  random?: () => number;
}

/**
 * One step of zero or random data for every input. Random data differs from perf_analyzer's in one way: it fills
 * float inputs with values in [0, 1) instead of random bytes, which are NaN or Inf often enough to fail a request
 * (and cannot be written as JSON at all). Integer and BOOL inputs get random bytes (BOOL: 0 or 1), as there.
 */
export function generateInputData(model: ModelInfo, opts: GeneratedDataOptions): InputDataset {
  const random = opts.random ?? Math.random;
  const step = new Map<string, StepTensor>();
  for (const input of model.inputs) {
    const count = elementCount(input.shape);
    if (input.shape.some((d) => d < 0)) {
      throw new PerfUsageError(`input ${input.name} contains dynamic shape [${input.shape}], provide shapes to send along with the request (--shape ${input.name}:d1,d2,...)`);
    }
    if (input.datatype === 'BYTES') {
      const text = (): string => opts.stringData ?? Array.from({ length: opts.stringLength }, () => CHARACTERS[Math.floor(random() * CHARACTERS.length)]).join('');
      const enc = new TextEncoder();
      step.set(input.name, { bytes: encodeBytesElements(Array.from({ length: count }, () => enc.encode(text()))), shape: input.shape });
      continue;
    }
    const bytes = new Uint8Array(count * DATATYPE_SIZE[input.datatype]);
    if (!opts.zero) {
      const dv = new DataView(bytes.buffer);
      if (input.datatype === 'FP32') for (let i = 0; i < count; i++) dv.setFloat32(i * 4, random(), true);
      else if (input.datatype === 'FP64') for (let i = 0; i < count; i++) dv.setFloat64(i * 8, random(), true);
      else if (input.datatype === 'FP16') for (let i = 0; i < count; i++) dv.setUint16(i * 2, float64ToHalfBits(random()), true);
      else if (input.datatype === 'BOOL') for (let i = 0; i < count; i++) bytes[i] = random() < 0.5 ? 0 : 1;
      else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    }
    step.set(input.name, { bytes, shape: input.shape });
  }
  return { steps: [step], source: opts.zero ? 'zero' : 'random' };
}
