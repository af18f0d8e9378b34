// perf_analyzer's percentile rule (InferenceProfiler::SummarizeLatency, src/inference_profiler.cc @069e403):
// index = size_t((p / 100.0) * (n - 1) + 0.5) into the sorted latencies.
import { describe, expect, it } from 'vitest';
import { percentileIndex, summarizeLatency } from '../../client/perf/measure/latencySummary';

describe('percentileIndex', () => {
  it('rounds (p/100)(n-1) to the nearest index, halves up', () => {
    expect(percentileIndex(50, 10)).toBe(5); // 4.5 -> 5
    expect(percentileIndex(90, 10)).toBe(8); // 8.1 -> 8
    expect(percentileIndex(95, 10)).toBe(9); // 8.55 -> 9
    expect(percentileIndex(99, 10)).toBe(9);
    expect(percentileIndex(50, 2)).toBe(1); // 0.5 -> 1
    expect(percentileIndex(99, 1)).toBe(0);
    expect(percentileIndex(99, 1000)).toBe(989); // 989.01 -> 989
  });
});

describe('summarizeLatency', () => {
  const sorted = Array.from({ length: 10 }, (_, i) => (i + 1) * 1000); // 1000 .. 10000 ns

  it('reports p50/p90/p95/p99 from sorted latencies, and stabilizes on the average', () => {
    const s = summarizeLatency(sorted, null);
    expect([...s.percentileLatencyNs]).toEqual([[50, 6000], [90, 9000], [95, 10000], [99, 10000]]);
    expect(s.avgLatencyNs).toBe(5500);
    expect(s.stabilizingLatencyNs).toBe(5500);
  });

  it('adds --percentile in order and stabilizes on it', () => {
    const s = summarizeLatency(sorted, 75);
    expect([...s.percentileLatencyNs.keys()]).toEqual([50, 75, 90, 95, 99]);
    expect(s.percentileLatencyNs.get(75)).toBe(8000); // 6.75 -> 7
    expect(s.stabilizingLatencyNs).toBe(8000);
  });

  it('takes the mean by integer division and the sample standard deviation in whole usec', () => {
    const s = summarizeLatency([1000, 2000, 4000], null);
    expect(s.avgLatencyNs).toBe(2333);
    // sqrt(((1000-2333)^2 + (2000-2333)^2 + (4000-2333)^2) / 2) = 1527.5 ns -> 1 usec
    expect(s.stdUs).toBe(1);
    expect(summarizeLatency([5000], null).stdUs).toBe(Infinity);
  });

  it('refuses an empty window with perf_analyzer\'s message', () => {
    expect(() => summarizeLatency([], null)).toThrow('No valid requests recorded within time interval. Please use a larger time window.');
  });
});
