// The stability rule of perf_analyzer's InferenceProfiler (src/inference_profiler.cc @069e403: DetermineStability,
// IsInferWindowStable, IsLatencyWindowStable, IsDoneProfiling), as client/perf/measure/stability.ts follows it.
import { describe, expect, it } from 'vitest';
import { isDoneProfiling, isStable } from '../../client/perf/measure/stability';

const status = (inferPerSec: number[], latencies: number[]) => ({ inferPerSec, latencies });

describe('isStable', () => {
  it('needs at least 3 windows', () => {
    expect(isStable(status([100, 100], [5, 5]), 0.1)).toBe(false);
    expect(isStable(status([100, 100, 100], [5, 5, 5]), 0.1)).toBe(true);
  });

  it('compares max/min of the last 3 windows, not the average: 100, 110 within 10% is stable, 100, 110.1 is not', () => {
    expect(isStable(status([100, 105, 110], [5, 5, 5]), 0.1)).toBe(true);
    expect(isStable(status([100, 105, 110.1], [5, 5, 5]), 0.1)).toBe(false);
    // Each of these is within ±10% of their average (103.4), yet max/min = 1.13 fails the rule.
    expect(isStable(status([97, 103, 110], [5, 5, 5]), 0.1)).toBe(false);
  });

  it('judges only the last 3 windows', () => {
    expect(isStable(status([10, 500, 100, 101, 102], [9, 1, 5, 5, 5]), 0.1)).toBe(true);
  });

  it('is never stable while one of the last 3 windows measured no throughput (a failed window)', () => {
    expect(isStable(status([0, 0, 0], [Infinity, Infinity, Infinity]), 10)).toBe(false);
    expect(isStable(status([100, 0, 100], [5, Infinity, 5]), 10)).toBe(false);
  });

  it('also requires the latency to agree, unless told to check throughput only (the async fallback)', () => {
    const s = status([100, 100, 100], [5_000_000, 6_000_000, 5_000_000]);
    expect(isStable(s, 0.1)).toBe(false);
    expect(isStable(s, 0.1, false)).toBe(true);
  });

  it('takes the threshold as a fraction (--stability-percentage 999 accepts nearly anything)', () => {
    expect(isStable(status([1, 5, 9], [1, 2, 3]), 9.99)).toBe(true);
  });
});

describe('isDoneProfiling', () => {
  it('is done once stable', () => {
    expect(isDoneProfiling(status([1, 1, 1], [1, 1, 1]), true, 0)).toBe(true);
  });

  it('without a latency threshold, an unstable point goes on', () => {
    expect(isDoneProfiling(status([1, 2, 3], [1e9, 1e9, 1e9]), false, 0)).toBe(false);
  });

  it('with a threshold, stops as soon as one of the last 3 latencies reaches it', () => {
    const ms = 1e6;
    expect(isDoneProfiling(status([1, 2, 3], [10 * ms, 11 * ms, 20 * ms]), false, 20)).toBe(true);
    expect(isDoneProfiling(status([1, 2, 3], [10 * ms, 11 * ms, 19.9 * ms]), false, 20)).toBe(false);
    // Fewer than 3 windows: not judged yet.
    expect(isDoneProfiling(status([1], [50 * ms]), false, 20)).toBe(false);
  });
});
