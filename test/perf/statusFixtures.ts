// Hand-made PerfStatus values with round numbers, for report tests.
import { emptyServerStats, type PerfStatus, type ServerSideStats } from '../../client/perf/measure/perfStatus';

const MS = 1e6;

/** Server stats of `n` requests with these per-request times (ns). */
export function serverStats(n: number, t: { queue: number; input: number; infer: number; output: number; success: number }, perExecution = 1): ServerSideStats {
  return {
    ...emptyServerStats(),
    inferenceCount: n,
    executionCount: Math.round(n / perExecution),
    successCount: n,
    cummTimeNs: n * t.success,
    queueCount: n,
    queueTimeNs: n * t.queue,
    computeInputCount: n,
    computeInputTimeNs: n * t.input,
    computeInferCount: n,
    computeInferTimeNs: n * t.infer,
    computeOutputCount: n,
    computeOutputTimeNs: n * t.output,
  };
}

/** A load point: latency components in ns, percentiles as given. */
export function status(o: {
  concurrency?: number;
  requestRate?: number;
  inferPerSec: number;
  avgLatencyNs: number;
  sendNs: number;
  recvNs: number;
  percentiles: [number, number][];
  server?: ServerSideStats | null;
}): PerfStatus {
  const n = 100;
  return {
    concurrency: o.concurrency ?? 0,
    requestRate: o.requestRate ?? 0,
    batchSize: 1,
    client: {
      requestCount: n,
      delayedRequestCount: 0,
      durationNs: (n / o.inferPerSec) * 1e9,
      avgLatencyNs: o.avgLatencyNs,
      stdUs: 1000,
      percentileLatencyNs: new Map(o.percentiles),
      latencies: [],
      completedCount: n,
      avgRequestTimeNs: o.avgLatencyNs,
      avgSendTimeNs: o.sendNs,
      avgReceiveTimeNs: o.recvNs,
      inferPerSec: o.inferPerSec,
    },
    server: o.server === undefined ? serverStats(n, { queue: 3 * MS, input: 0.2 * MS, infer: 10 * MS, output: 0.1 * MS, success: 14 * MS }) : o.server,
    stabilizingLatencyNs: o.avgLatencyNs,
    sendRequestRate: o.inferPerSec,
    overheadPct: 5,
  };
}

/** A sweep shaped like a dynamically batched model: throughput levels off while latency climbs. */
export function sweep(): PerfStatus[] {
  return [1, 2, 4, 8, 16].map((c) => {
    const ips = 120 * (1 - Math.exp(-c / 3)) + 5;
    const lat = (c / ips) * 1e9;
    const queue = Math.max(0.2 * MS, lat * 0.45 - 2 * MS);
    const infer = lat * 0.4;
    return status({
      concurrency: c,
      inferPerSec: ips,
      avgLatencyNs: lat,
      sendNs: 0.8 * MS,
      recvNs: 0.05 * MS,
      percentiles: [[50, lat * 0.95], [90, lat * 1.3], [95, lat * 1.45], [99, lat * 1.8]],
      server: serverStats(100 * c, { queue, input: 0.4 * MS, infer, output: 0.02 * MS, success: queue + infer + 0.6 * MS }, Math.min(c, 8)),
    });
  });
}
