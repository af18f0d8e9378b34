// The -f CSV against perf_analyzer's ReportWriter::GenerateReport, checked column for column in
// src/c++/perf_analyzer/report_writer.cc of triton-inference-server/client at commit
// 0401e1a6d8e9a37c319e5e3ccff552b4e5cd7651 (the header is written on lines "ofs << "Concurrency,"" ...
// "ofs << "Client Recv"" ... ",p" << percentile.first << " latency"").
import { describe, expect, it } from 'vitest';
import { composingCsvReports, csvHeader, csvReport, SMALL_SAMPLE_WARNING } from '../../client/perf/report/csvReport';
import { emptyServerStats } from '../../client/perf/measure/perfStatus';
import { serverStats, status } from './statusFixtures';

const MS = 1e6;
const PERCENTILES = [50, 90, 95, 99];
const base = { concurrencyMode: true, includeServerStats: true, verboseCsv: false, percentile: null };

describe('csvHeader', () => {
  it("is perf_analyzer's header, column for column (server stats, no response cache, not decoupled)", () => {
    const expected =
      'Concurrency,Inferences/Second,Client Send,Network+Server Send/Recv,Server Queue,Server Compute Input,Server Compute Infer,Server Compute Output,Client Recv,p50 latency,p90 latency,p95 latency,p99 latency';
    expect(csvHeader(base, PERCENTILES).join(',')).toBe(expected);
    expect(csvHeader(base, PERCENTILES)).toEqual([
      'Concurrency', 'Inferences/Second', 'Client Send', 'Network+Server Send/Recv', 'Server Queue', 'Server Compute Input',
      'Server Compute Infer', 'Server Compute Output', 'Client Recv', 'p50 latency', 'p90 latency', 'p95 latency', 'p99 latency',
    ]);
  });

  it('starts with Request Rate in request-rate mode', () => {
    expect(csvHeader({ ...base, concurrencyMode: false }, PERCENTILES)[0]).toBe('Request Rate');
  });

  it('leaves out the server columns without server statistics', () => {
    expect(csvHeader({ ...base, includeServerStats: false }, PERCENTILES).join(',')).toBe(
      'Concurrency,Inferences/Second,Client Send,Client Recv,p50 latency,p90 latency,p95 latency,p99 latency',
    );
  });

  it('puts --percentile among the others in order, and --verbose-csv adds its columns (Avg latency only without --percentile)', () => {
    expect(csvHeader({ ...base, verboseCsv: true, percentile: 75 }, [50, 75, 90, 95, 99]).slice(9)).toEqual([
      'p50 latency', 'p75 latency', 'p90 latency', 'p95 latency', 'p99 latency', 'request/response', 'response wait',
    ]);
    expect(csvHeader({ ...base, verboseCsv: true }, PERCENTILES).slice(-3)).toEqual(['Avg latency', 'request/response', 'response wait']);
  });
});

describe('csvReport', () => {
  const point = status({
    concurrency: 4,
    inferPerSec: 123.456789,
    avgLatencyNs: 20 * MS,
    sendNs: 0.1 * MS,
    recvNs: 0.05 * MS,
    percentiles: [[50, 18 * MS], [90, 25 * MS], [95, 26 * MS], [99, 30 * MS]],
    server: serverStats(10, { queue: 3 * MS, input: 0.2 * MS, infer: 10 * MS, output: 0.1 * MS, success: 14 * MS }),
  });

  it('writes usec integers, throughput as C++ prints a double, and Network+Server as the unaccounted wait', () => {
    const { text, warnings } = csvReport([point], base);
    // wait = 20 ms - 0.1 - 0.05 = 19.85 ms; queue 3 + compute 10.3 = 13.3 ms accounted; 6.55 ms left.
    expect(text.split('\n')[1]).toBe('4,123.457,100,6550,3000,200,10000,100,50,18000,25000,26000,30000');
    expect(warnings).toEqual([]);
  });

  it('floors Network+Server at 0 and warns as perf_analyzer does when the server accounts for more than the wait', () => {
    const slow = { ...point, server: serverStats(10, { queue: 15 * MS, input: 0, infer: 10 * MS, output: 0, success: 25 * MS }) };
    const { text, warnings } = csvReport([slow], base);
    expect(text.split('\n')[1].split(',')[3]).toBe('0');
    expect(warnings).toEqual([SMALL_SAMPLE_WARNING]);
  });

  it('sorts rows by increasing throughput', () => {
    const a = { ...point, concurrency: 1, client: { ...point.client, inferPerSec: 50 } };
    const b = { ...point, concurrency: 2, client: { ...point.client, inferPerSec: 10 } };
    const rows = csvReport([a, b], base).text.trim().split('\n').slice(1);
    expect(rows.map((r) => r.split(',')[0])).toEqual(['2', '1']);
  });

  it('refuses server stats whose compute counts differ, as perf_analyzer does', () => {
    const odd = { ...point, server: { ...point.server!, computeInferCount: 9 } };
    expect(() => csvReport([odd], base)).toThrow('Server side statistics compute counts must be the same.');
  });

  it('writes a composing model its own file, <name>_v<version>.<file>, with its share of the throughput', () => {
    const child = serverStats(20, { queue: 1 * MS, input: 0.1 * MS, infer: 5 * MS, output: 0.1 * MS, success: 7 * MS });
    const top = { ...emptyServerStats(), successCount: 10, cummTimeNs: 10 * 15 * MS, composing: new Map([['siglip_vision:1', child]]) };
    const files = composingCsvReports([{ ...point, server: top }], base, '/tmp/out/run.csv');
    expect(files.map((f) => f.path)).toEqual(['/tmp/out/siglip_vision_v1.run.csv']);
    const [head, row] = files[0].text.trim().split('\n');
    expect(head).toBe('Concurrency,Inferences/Second,Client Send,Network+Server Send/Recv,Server Queue,Server Compute Input,Server Compute Infer,Server Compute Output,Client Recv');
    // 20 child requests per 10 top requests: twice the throughput; overhead = 7 - (1 + 5.2) = 0.8 ms.
    expect(row).toBe('4,246.914,0,800,1000,100,5000,100,0');
  });
});
