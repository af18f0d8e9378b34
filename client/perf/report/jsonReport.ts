// `--json out.json`: every stable point's figures, machine-readable. Not a perf_analyzer format (its
// --profile-export-file holds raw request timestamps); the names follow its CSV columns and console report.
import type { PerfStatus, ServerSideStats } from '../measure/perfStatus';
import { ensembleTotals, serverAverages } from '../measure/serverStats';
import { usec } from './cppFormat';
import { latencyBreakdown } from './latencyBreakdown';

/** The run's description that goes with the points. */
export interface RunInfo {
  model: string;
  url: string;
  mode: 'concurrency' | 'request_rate';
  batchSize: number;
  inputTensorFormat: string;
  outputTensorFormat: string;
  inputData: string;
  startedAt: string;
}

/** The JSON document of a run. */
export function jsonReport(run: RunInfo, statuses: readonly PerfStatus[]): object {
  return {
    ...run,
    points: statuses.map((s) => {
      const c = s.client;
      return {
        concurrency: s.concurrency || undefined,
        request_rate: s.requestRate || undefined,
        throughput_infer_per_sec: c.inferPerSec,
        send_request_rate: s.sendRequestRate,
        client_overhead_pct: s.overheadPct,
        request_count: c.requestCount,
        delayed_request_count: c.delayedRequestCount,
        duration_sec: c.durationNs / 1e9,
        latency_usec: {
          avg: usec(c.avgLatencyNs),
          std: Number.isFinite(c.stdUs) ? c.stdUs : null,
          ...Object.fromEntries([...c.percentileLatencyNs].map(([p, ns]) => [`p${p}`, usec(ns)])),
          stabilizing: usec(s.stabilizingLatencyNs),
        },
        client_usec: { send: usec(c.avgSendTimeNs), recv: usec(c.avgReceiveTimeNs), request: usec(c.avgRequestTimeNs) },
        breakdown_usec: latencyBreakdown(s).breakdown,
        server: s.server ? serverJson(s.server) : null,
      };
    }),
  };
}

function serverJson(st: ServerSideStats): object {
  const leaf = st.composing.size === 0;
  const a = leaf ? serverAverages(st) : null;
  return {
    inference_count: st.inferenceCount,
    execution_count: st.executionCount,
    success_count: st.successCount,
    inferences_per_execution: st.executionCount ? st.inferenceCount / st.executionCount : null,
    avg_usec: a
      ? { request: a.requestUs, overhead: a.overheadUs, queue: a.queueUs, compute_input: a.computeInputUs, compute_infer: a.computeInferUs, compute_output: a.computeOutputUs }
      : { request: Math.floor(st.cummTimeNs / Math.max(1, st.successCount) / 1000), ...ensembleTotalsUsec(st) },
    composing_models: Object.fromEntries([...st.composing].map(([k, v]) => [k, serverJson(v)])),
  };
}

function ensembleTotalsUsec(st: ServerSideStats): { queue: number; compute: number } {
  const t = ensembleTotals(st);
  return { queue: t.queueUs, compute: t.computeUs };
}
