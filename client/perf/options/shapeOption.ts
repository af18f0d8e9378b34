import { PerfUsageError } from '../errors';

/** Parses `--shape NAME:d1,d2,...` (perf_analyzer docs/cli.md: the shape of one request row, without the batch). */
export function parseShapeOption(text: string): [string, number[]] {
  const colon = text.lastIndexOf(':');
  const name = text.slice(0, colon);
  const dims = text.slice(colon + 1).split(',');
  if (colon <= 0 || dims.some((d) => !/^\d+$/.test(d.trim()))) {
    throw new PerfUsageError(`--shape takes NAME:d1,d2,... with non-negative integer dims, e.g. PIXEL_VALUES:3,384,384; got '${text}'`);
  }
  return [name, dims.map(Number)];
}
