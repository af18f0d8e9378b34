// perf_analyzer's console report: the settings banner (PerfAnalyzer::PrerunReport, src/perf_analyzer.cc), each
// stable point's "Client:" / "Server:" block (ReportClientSideStats / ReportServerSideStats,
// src/inference_profiler.cc) and the closing summary (PerfAnalyzer::WriteReport). perf_analyzer @069e403.
import type { PerfStatus, ServerSideStats } from '../measure/perfStatus';
import { averageUs, ensembleTotals, overheadDuration, serverAverages } from '../measure/serverStats';
import { cppDouble, usec, usecText } from './cppFormat';

/** perf_analyzer's DELAY_PCT_THRESHOLD (src/constants.h): warn when more than 1% of requests were late. */
const DELAY_PCT_THRESHOLD = 1.0;

/** What the settings banner says. */
export interface SettingsBanner {
  batchSize: number;
  requestCount: number;
  warmupRequestCount: number;
  measurementMode: 'time_windows' | 'count_windows';
  measurementIntervalMs: number;
  measurementRequestCount: number;
  percentile: number | null;
  async: boolean;
  latencyThresholdMs: number;
  mode: { kind: 'concurrency'; end: number; start: number } | { kind: 'rate'; end: number; start: number; distribution: 'constant' | 'poisson' };
}

/** The "*** Measurement Settings ***" banner. */
export function settingsBanner(b: SettingsBanner): string[] {
  const out = ['*** Measurement Settings ***', `  Batch size: ${b.batchSize}`, '  Service Kind: Triton'];
  if (b.warmupRequestCount > 0) out.push(`  Sending ${b.warmupRequestCount} warmup request${b.warmupRequestCount > 1 ? 's' : ''}`);
  if (b.requestCount !== 0) {
    out.push(`  Sending ${b.requestCount} benchmark request${b.requestCount > 1 ? 's' : ''}`);
  } else {
    out.push(`  Using "${b.measurementMode}" mode for stabilization`);
    const metric = b.async ? 'throughput' : 'latency and throughput';
    out.push(b.percentile === null ? `  Stabilizing using average ${metric}` : `  Stabilizing using p${b.percentile} ${metric}`);
    if (b.measurementMode === 'time_windows') out.push(`  Measurement window: ${b.measurementIntervalMs} msec`);
    else out.push(`  Minimum number of samples in each window: ${b.measurementRequestCount}`);
  }
  if (b.mode.end !== 1) {
    out.push(`  Latency limit: ${b.latencyThresholdMs} msec`);
    if (b.mode.end !== 0) {
      const max = Math.max(b.mode.start, b.mode.end);
      out.push(b.mode.kind === 'concurrency' ? `  Concurrency limit: ${max} concurrent requests` : `  Request Rate limit: ${max} requests per seconds`);
    }
  }
  if (b.mode.kind === 'rate') out.push(`  Using ${b.mode.distribution === 'poisson' ? 'poisson' : 'uniform'} distribution on request generation`);
  out.push(b.async ? '  Using asynchronous calls for inference' : '  Using synchronous calls for inference');
  out.push('');
  return out;
}

/** One stable point's "Client:" and "Server:" block (Report in inference_profiler.cc). */
export function pointReport(s: PerfStatus, percentile: number | null, verbose = false, protocol: 'http' | 'grpc' = 'http'): string[] {
  const c = s.client;
  const out = ['  Client: ', `    Request count: ${c.requestCount}`];
  const delayPct = (c.delayedRequestCount / c.requestCount) * 100;
  if (delayPct > DELAY_PCT_THRESHOLD) {
    out.push(`    Avg send request rate: ${s.sendRequestRate.toFixed(2)} infer/sec`);
    out.push(`    [WARNING] siglip perf was not able to keep up with the desired request rate. ${delayPct.toFixed(2)}% of the requests were delayed. `);
  }
  out.push(`    Throughput: ${cppDouble(c.inferPerSec)} infer/sec`);
  if (verbose) out.push(`    Avg client overhead: ${s.overheadPct.toFixed(2)}%`);
  if (percentile === null) out.push(`    Avg latency: ${usec(c.avgLatencyNs)} usec (standard deviation ${usecText(c.stdUs)} usec)`);
  for (const [p, ns] of c.percentileLatencyNs) out.push(`    p${p} latency: ${usec(ns)} usec`);
  const req = usec(c.avgRequestTimeNs);
  const sendRecv = usec(c.avgSendTimeNs) + usec(c.avgReceiveTimeNs);
  out.push(
    protocol === 'grpc'
      ? `    Avg gRPC time: ${req} usec ((un)marshal request/response ${sendRecv} usec + response wait ${req - sendRecv} usec)`
      : `    Avg HTTP time: ${req} usec (send/recv ${sendRecv} usec + response wait ${req - sendRecv} usec)`,
  );
  if (s.server) {
    out.push('  Server: ');
    out.push(...serverReport(s.server, 1));
  }
  return out;
}

/** ReportServerSideStats: one model's counts and averages, then its composing models, indented per level. */
export function serverReport(st: ServerSideStats, iteration: number): string[] {
  const ident = ' '.repeat(2 * iteration);
  if (st.successCount === 0) return [`${ident}  Request count: 0`];
  const out = [
    `${ident}  Inference count: ${st.inferenceCount}`,
    `${ident}  Execution count: ${st.executionCount}`,
    `${ident}  Successful request count: ${st.successCount}`,
  ];
  if (st.composing.size === 0) {
    const a = serverAverages(st);
    out.push(
      `${ident}  Avg request latency: ${a.requestUs} usec (overhead ${a.overheadUs} usec + queue ${a.queueUs} usec + compute input ${a.computeInputUs} usec + compute infer ${a.computeInferUs} usec + compute output ${a.computeOutputUs} usec)`,
      '',
    );
    return out;
  }
  // An ensemble's own queue and compute are its composing models' (GetTotalEnsembleDurations).
  const requestUs = averageUs(st.cummTimeNs, st.successCount);
  const t = ensembleTotals(st);
  out.push(`${ident}  Avg request latency: ${requestUs} usec (overhead ${overheadDuration(requestUs, t.queueUs, t.computeUs)} usec + queue ${t.queueUs} usec + compute ${t.computeUs} usec)`, '');
  out.push(`${ident}Composing models: `);
  for (const [key, child] of st.composing) {
    const colon = key.lastIndexOf(':');
    out.push(`${ident}${key.slice(0, colon)}, version: ${key.slice(colon + 1)}`);
    out.push(...serverReport(child, iteration + 1));
  }
  return out;
}

/** The closing "Inferences/Second vs. Client ... Batch Latency" lines (PerfAnalyzer::WriteReport). */
export function summaryReport(statuses: readonly PerfStatus[], percentile: number | null): string[] {
  if (!statuses.length) return [];
  const out = [`Inferences/Second vs. Client ${percentile === null ? 'Average' : `p${percentile}`} Batch Latency`];
  for (const s of statuses) {
    const head = s.requestRate ? `Request Rate: ${cppDouble(s.requestRate)}` : `Concurrency: ${s.concurrency}`;
    out.push(`${head}, throughput: ${cppDouble(s.client.inferPerSec)} infer/sec, latency ${usec(s.stabilizingLatencyNs)} usec`);
  }
  return out;
}
