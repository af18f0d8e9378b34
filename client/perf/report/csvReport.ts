// `-f out.csv`: perf_analyzer's latency report, column for column. Source: ReportWriter::GenerateReport in
// src/c++/perf_analyzer/report_writer.cc, triton-inference-server/client @0401e1a6d8e9a37c319e5e3ccff552b4e5cd7651
// (moved since to triton-inference-server/perf_analyzer). With server statistics, no response cache and a
// model that is not decoupled, the header is:
//   Concurrency,Inferences/Second,Client Send,Network+Server Send/Recv,Server Queue,Server Compute Input,
//   Server Compute Infer,Server Compute Output,Client Recv,p50 latency,p90 latency,p95 latency,p99 latency
// ("Request Rate" replaces "Concurrency" in request-rate mode; --percentile adds its column in order;
// --verbose-csv appends "Avg latency" (without --percentile), "request/response" and "response wait").
// Rows are sorted by increasing throughput. Each composing model gets its own file, "<name>_v<version>.<file>".
import { basename, dirname, join } from 'node:path';
import type { PerfStatus, ServerSideStats } from '../measure/perfStatus';
import { serverAverages } from '../measure/serverStats';
import { cppDouble, usec } from './cppFormat';
import { latencyBreakdown } from './latencyBreakdown';

/** What decides the CSV's columns. */
export interface CsvOptions {
  concurrencyMode: boolean;
  includeServerStats: boolean;
  verboseCsv: boolean;
  percentile: number | null;
}

const SERVER_COLUMNS = ['Network+Server Send/Recv', 'Server Queue', 'Server Compute Input', 'Server Compute Infer', 'Server Compute Output'];

/** The header columns, for the percentiles the points report (`percentiles` ascending). */
export function csvHeader(o: CsvOptions, percentiles: readonly number[]): string[] {
  const cols = [o.concurrencyMode ? 'Concurrency' : 'Request Rate', 'Inferences/Second', 'Client Send'];
  if (o.includeServerStats) cols.push(...SERVER_COLUMNS);
  cols.push('Client Recv', ...percentiles.map((p) => `p${p} latency`));
  if (o.verboseCsv) {
    if (o.percentile === null) cols.push('Avg latency');
    cols.push('request/response', 'response wait');
  }
  return cols;
}

/** The main CSV's text and any warnings perf_analyzer would print while writing it. */
export function csvReport(statuses: readonly PerfStatus[], o: CsvOptions): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  if (!statuses.length) return { text: '', warnings };
  const percentiles = [...statuses[0].client.percentileLatencyNs.keys()];
  const lines = [csvHeader(o, percentiles).join(',')];
  const sorted = [...statuses].sort((a, b) => a.client.inferPerSec - b.client.inferPerSec);
  for (const s of sorted) {
    const c = s.client;
    const { breakdown: b, floored } = latencyBreakdown(s);
    const row: (string | number)[] = [o.concurrencyMode ? s.concurrency : cppDouble(s.requestRate), cppDouble(c.inferPerSec), b.clientSendUs];
    if (o.includeServerStats) {
      if (floored) warnings.push(SMALL_SAMPLE_WARNING);
      row.push(b.networkServerSendRecvUs, b.serverQueueUs, b.serverComputeInputUs, b.serverComputeInferUs, b.serverComputeOutputUs);
    }
    row.push(b.clientRecvUs, ...[...c.percentileLatencyNs.values()].map(usec));
    if (o.verboseCsv) {
      const sendUs = usec(c.avgSendTimeNs);
      const recvUs = usec(c.avgReceiveTimeNs);
      if (o.percentile === null) row.push(usec(c.avgLatencyNs));
      row.push(sendUs + recvUs, usec(c.avgRequestTimeNs) - sendUs - recvUs);
    }
    lines.push(row.join(','));
  }
  return { text: lines.join('\n') + '\n', warnings };
}

/**
 * The composing models' CSVs: same server columns, throughput scaled by the model's share of the top model's
 * successful requests, Client Send and Client Recv written as 0, and the overhead taken from the server's own
 * request time (success ns) instead of the client's wait.
 */
export function composingCsvReports(statuses: readonly PerfStatus[], o: CsvOptions, file: string): { path: string; text: string }[] {
  const first = statuses[0]?.server;
  if (!o.includeServerStats || !first || first.composing.size === 0) return [];
  return [...first.composing.keys()].map((key) => {
    const colon = key.lastIndexOf(':');
    const path = join(dirname(file), `${key.slice(0, colon)}_v${key.slice(colon + 1)}.${basename(file)}`);
    const header = [o.concurrencyMode ? 'Concurrency' : 'Request Rate', 'Inferences/Second', 'Client Send', ...SERVER_COLUMNS, 'Client Recv'];
    const lines = [header.join(',')];
    for (const s of [...statuses].sort((a, b) => a.client.inferPerSec - b.client.inferPerSec)) {
      const st = s.server!.composing.get(key)!;
      lines.push(composingRow(s, st, o).join(','));
    }
    return { path, text: lines.join('\n') + '\n' };
  });
}

function composingRow(s: PerfStatus, st: ServerSideStats, o: CsvOptions): (string | number)[] {
  serverAverages(st);
  const avgNs = (t: number, n: number) => (n > 0 ? Math.floor(t / n) : 0);
  const queueNs = avgNs(st.queueTimeNs, st.queueCount);
  const computeNs = avgNs(st.computeInputTimeNs + st.computeInferTimeNs + st.computeOutputTimeNs, st.computeInputCount);
  const accounted = queueNs + computeNs + avgNs(st.cacheHitTimeNs, st.cacheHitCount) + avgNs(st.cacheMissTimeNs, st.cacheMissCount);
  const requestNs = avgNs(st.cummTimeNs, st.successCount);
  const overheadNs = requestNs > accounted ? requestNs - accounted : 0;
  const ratio = s.server!.successCount > 0 ? st.successCount / s.server!.successCount : 0;
  return [
    o.concurrencyMode ? s.concurrency : cppDouble(s.requestRate),
    cppDouble(ratio * s.client.inferPerSec),
    0,
    usec(overheadNs),
    usec(queueNs),
    usec(avgNs(st.computeInputTimeNs, st.computeInputCount)),
    usec(avgNs(st.computeInferTimeNs, st.computeInferCount)),
    usec(avgNs(st.computeOutputTimeNs, st.computeOutputCount)),
    0,
  ];
}

/** perf_analyzer's stderr note when the network part had to be floored at 0. */
export const SMALL_SAMPLE_WARNING =
  'Server average accounted time was larger than client average wait time due to small sample size. Increase the measurement interval with `--measurement-interval`.';
