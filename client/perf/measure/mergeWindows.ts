// InferenceProfiler::MergePerfStatusReports (src/inference_profiler.cc, perf_analyzer @069e403): a stable load
// point is reported as the last 3 windows merged, not as any one of them.
import { summarizeLatency } from './latencySummary';
import type { PerfStatus } from './perfStatus';
import { mergeServerStats } from './serverStats';

/**
 * Counts and durations add up; all latencies are pooled and re-summarized (so p99 is over every request of the
 * three windows); throughput is total requests × batch over the total duration; send, receive and request times are
 * averaged weighted by each window's completed count; the send rate and client overhead are the windows' means; server stats are summed.
 */
export function mergeWindows(windows: readonly PerfStatus[], percentile: number | null): PerfStatus {
  const first = windows[0];
  for (const w of windows) {
    if (w.batchSize !== first.batchSize) throw new Error('Inconsistent batch size detected.');
    if ((w.server === null) !== (first.server === null)) throw new Error('Inconsistent server statistics between the trials.');
  }
  let requestCount = 0;
  let delayed = 0;
  let durationNs = 0;
  let completed = 0;
  let request = 0;
  let send = 0;
  let recv = 0;
  let sendRate = 0;
  let overhead = 0;
  const latencies: number[] = [];
  for (const w of windows) {
    const c = w.client;
    requestCount += c.requestCount;
    delayed += c.delayedRequestCount;
    durationNs += c.durationNs;
    for (const l of c.latencies) latencies.push(l);
    completed += c.completedCount;
    request += c.avgRequestTimeNs * c.completedCount;
    send += c.avgSendTimeNs * c.completedCount;
    recv += c.avgReceiveTimeNs * c.completedCount;
    sendRate += w.sendRequestRate;
    overhead += w.overheadPct;
  }
  latencies.sort((a, b) => a - b);
  const lat = summarizeLatency(latencies, percentile);
  return {
    concurrency: first.concurrency,
    requestRate: first.requestRate,
    batchSize: first.batchSize,
    client: {
      requestCount,
      delayedRequestCount: delayed,
      durationNs,
      avgLatencyNs: lat.avgLatencyNs,
      stdUs: lat.stdUs,
      percentileLatencyNs: lat.percentileLatencyNs,
      latencies,
      completedCount: completed,
      avgRequestTimeNs: completed ? Math.floor(request / completed) : 0,
      avgSendTimeNs: completed ? Math.floor(send / completed) : 0,
      avgReceiveTimeNs: completed ? Math.floor(recv / completed) : 0,
      inferPerSec: (requestCount * first.batchSize) / (durationNs / 1e9),
    },
    server: first.server === null ? null : mergeServerStats(windows.map((w) => w.server!)),
    stabilizingLatencyNs: lat.stabilizingLatencyNs,
    sendRequestRate: sendRate / windows.length,
    overheadPct: overhead / windows.length,
  };
}
