// When a load point's measurement is done: InferenceProfiler::DetermineStability, IsInferWindowStable,
// IsLatencyWindowStable, IsDoneProfiling and CheckWithinThreshold (src/inference_profiler.cc, perf_analyzer
// @069e403). docs/cli.md states the same rule: "stable if the ratio of max / min from the recent 3 measurements is
// within (stability percentage)% in terms of both inferences per second and latency".

/** perf_analyzer's load_parameters_.stability_window. */
export const STABILITY_WINDOW = 3;

/** Every trial's throughput and stabilizing latency so far (a failed trial records 0 and +Infinity). */
export interface LoadStatus {
  inferPerSec: number[];
  latencies: number[];
}

/**
 * Stable once there are at least 3 trials, none of the last 3 has zero throughput, and over the last 3 both
 * max/min throughput and (unless `checkLatency` is false) max/min latency are <= 1 + threshold, where threshold is
 * --stability-percentage / 100.
 */
export function isStable(status: LoadStatus, threshold: number, checkLatency = true): boolean {
  const n = status.inferPerSec.length;
  if (n < STABILITY_WINDOW) return false;
  const ips = status.inferPerSec.slice(n - STABILITY_WINDOW);
  if (ips.some((v) => v === 0)) return false;
  if (Math.max(...ips) / Math.min(...ips) > 1 + threshold) return false;
  if (!checkLatency) return true;
  const lat = status.latencies.slice(n - STABILITY_WINDOW);
  return Math.max(...lat) / Math.min(...lat) <= 1 + threshold;
}

/**
 * Done when stable, or — with a latency threshold set (ms > 0) — when any of the last 3 trials' latencies reached
 * it (no point measuring a load that is already too slow).
 */
export function isDoneProfiling(status: LoadStatus, stable: boolean, latencyThresholdMs: number): boolean {
  if (stable) return true;
  if (latencyThresholdMs === 0 || status.latencies.length < STABILITY_WINDOW) return false;
  const thresholdNs = latencyThresholdMs * 1e6;
  return status.latencies.slice(-STABILITY_WINDOW).some((l) => !(l < thresholdNs));
}
