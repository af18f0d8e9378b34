// One measurement window's client figures: InferenceProfiler::Summarize, ValidLatencyMeasurement and
// SummarizeClientStat (src/inference_profiler.cc, perf_analyzer @069e403).
import { summarizeLatency } from './latencySummary';
import type { ClientSideStats, RequestRecord } from './perfStatus';

/** A window's client stats, its stabilizing latency, and the records it did not use. */
export interface WindowSummary {
  client: ClientSideStats;
  stabilizingLatencyNs: number;
  /** Records that did not end inside the window; they stay for the next one. */
  rest: RequestRecord[];
}

/**
 * Only requests that END inside [startNs, endNs] count (both ends inclusive); their latencies make the window's
 * percentiles. Throughput is valid requests × batch size over the window's duration. Send, receive and request
 * times are averaged over the same requests (perf_analyzer takes them from the client library's counters over
 * the window, which count the same completions).
 */
export function summarizeWindow(
  records: readonly RequestRecord[],
  startNs: number,
  endNs: number,
  batchSize: number,
  percentile: number | null,
): WindowSummary {
  const valid: RequestRecord[] = [];
  const rest: RequestRecord[] = [];
  for (const r of records) {
    if (r.startNs <= r.endNs && r.endNs >= startNs && r.endNs <= endNs) valid.push(r);
    else rest.push(r);
  }
  const latencies = valid.map((r) => r.endNs - r.startNs).sort((a, b) => a - b);
  const lat = summarizeLatency(latencies, percentile);
  const durationNs = endNs - startNs;
  let send = 0;
  let recv = 0;
  let request = 0;
  let delayed = 0;
  for (const r of valid) {
    send += r.sendNs;
    recv += r.recvNs;
    request += r.endNs - r.startNs;
    if (r.delayed) delayed++;
  }
  const n = valid.length;
  return {
    client: {
      requestCount: n,
      delayedRequestCount: delayed,
      durationNs,
      avgLatencyNs: lat.avgLatencyNs,
      stdUs: lat.stdUs,
      percentileLatencyNs: lat.percentileLatencyNs,
      latencies,
      completedCount: n,
      avgRequestTimeNs: Math.floor(request / n),
      avgSendTimeNs: Math.floor(send / n),
      avgReceiveTimeNs: Math.floor(recv / n),
      inferPerSec: (n * batchSize) / (durationNs / 1e9),
    },
    stabilizingLatencyNs: lat.stabilizingLatencyNs,
    rest,
  };
}
