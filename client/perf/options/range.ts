import { PerfUsageError } from '../errors';

/** A `start:end:step` search range (perf_analyzer's --concurrency-range / --request-rate-range). */
export interface SearchRange {
  start: number;
  /** 0 means "no limit": keep stepping until --latency-threshold is crossed. */
  end: number;
  step: number;
}

/**
 * Parses `start[:end[:step]]` as perf_analyzer's src/command_line_parser.cc does: a missing end is the start (one
 * point), a missing step is 1; at most three parts. Concurrency values are integers, rates may be fractional.
 */
export function parseRange(text: string, flag: string, integer: boolean): SearchRange {
  const parts = text.split(':');
  if (parts.length > 3 || parts.some((p) => p.trim() === '')) {
    throw new PerfUsageError(`${flag} takes start[:end[:step]], e.g. ${integer ? '1:8:1' : '10:100:10'}; got '${text}'`);
  }
  const nums = parts.map((p) => Number(p));
  for (const [i, n] of nums.entries()) {
    const ok = Number.isFinite(n) && n >= 0 && (!integer || Number.isInteger(n));
    if (!ok) throw new PerfUsageError(`${flag}: '${parts[i]}' is not a non-negative ${integer ? 'integer' : 'number'}`);
  }
  const [start, end = start, step = 1] = nums;
  if (start <= 0) throw new PerfUsageError(`${flag}: start must be at least ${integer ? 1 : 'above 0'}, got ${start}`);
  if (step <= 0) throw new PerfUsageError(`${flag}: step must be positive, got ${step}`);
  if (end !== 0 && end < start) throw new PerfUsageError(`${flag}: end ${end} is below start ${start}`);
  return { start, end, step };
}

/**
 * The values a linear search visits (inference_profiler.h, Profile<T>): start, start+step, ... while <= end; with
 * end 0 the sequence is open and stops only on the latency threshold, so this yields lazily.
 */
export function* rangeValues(range: SearchRange): Generator<number> {
  for (let i = 0; ; i++) {
    // start + i*step rather than a running sum, so fractional steps do not drift.
    const v = range.start + i * range.step;
    if (range.end !== 0 && v > range.end + 1e-9) return;
    yield Number(v.toPrecision(12));
  }
}
