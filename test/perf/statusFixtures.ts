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
