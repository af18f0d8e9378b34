// InferenceProfiler::SummarizeLatency and GetMeanAndStdDev (src/inference_profiler.cc, perf_analyzer @069e403).

/** The percentiles perf_analyzer always reports. */
const REPORTED_PERCENTILES = [50, 90, 95, 99] as const;

/**
 * perf_analyzer's percentile rule: on latencies sorted ascending, the p-th percentile is the element at index
 * `size_t((p / 100.0) * (n - 1) + 0.5)`, i.e. the nearest rank on 0..n-1, halves rounded up.
 */
export function percentileIndex(p: number, n: number): number {
  return Math.floor((p / 100) * (n - 1) + 0.5);
}

/** What SummarizeLatency computes from one window's (or the merged windows') sorted latencies. */
export interface LatencySummary {
  avgLatencyNs: number;
  stdUs: number;
  percentileLatencyNs: Map<number, number>;
  stabilizingLatencyNs: number;
}

/**
 * Mean (integer division, as uint64), sample standard deviation in usec (Infinity for one request), the
 * percentiles 50/90/95/99 plus `percentile` when given, and the latency stability is judged on: the given
 * percentile, else the average. `sortedNs` must be sorted ascending and non-empty.
 */
export function summarizeLatency(sortedNs: readonly number[], percentile: number | null): LatencySummary {
  const n = sortedNs.length;
  if (n === 0) throw new Error('No valid requests recorded within time interval. Please use a larger time window.');
  let sum = 0;
  for (const l of sortedNs) sum += l;
  const avg = Math.floor(sum / n);
  let sq = 0;
  for (const l of sortedNs) sq += (l - avg) * (l - avg);
  const stdUs = n > 1 ? Math.floor(Math.sqrt(sq / (n - 1)) / 1000) : Infinity;
  const ps = new Set<number>(REPORTED_PERCENTILES);
  if (percentile !== null) ps.add(percentile);
  const percentileLatencyNs = new Map<number, number>();
  for (const p of [...ps].sort((a, b) => a - b)) percentileLatencyNs.set(p, sortedNs[percentileIndex(p, n)]);
  return {
    avgLatencyNs: avg,
    stdUs,
    percentileLatencyNs,
    stabilizingLatencyNs: percentile !== null ? percentileLatencyNs.get(percentile)! : avg,
  };
}
