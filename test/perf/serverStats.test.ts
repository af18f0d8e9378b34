// Server figures from /v2/models/{m}/stats deltas (perf_analyzer's SummarizeServerStatsHelper, MergeServerSideStats,
// ReportServerSideStats and GetOverheadDuration in src/inference_profiler.cc @069e403).
import { describe, expect, it } from 'vitest';
import {
  averageUs,
  ensembleTotals,
  indexModelStats,
  mergeServerStats,
  serverAverages,
  serverStatsDelta,
  statsVersion,
  type TritonModelStats,
} from '../../client/perf/measure/serverStats';
import { pointReport, serverReport } from '../../client/perf/report/textReport';
import { status } from './statusFixtures';

const d = (count: number, ns: number) => ({ count, ns });
function entry(name: string, version: string, n: number, ns: { success: number; queue: number; input: number; infer: number; output: number }, executions = n): TritonModelStats {
  return {
    name,
    version,
    inference_count: n,
    execution_count: executions,
    inference_stats: {
      success: d(n, ns.success),
      fail: d(0, 0),
      queue: d(n, ns.queue),
      compute_input: d(n, ns.input),
      compute_infer: d(n, ns.infer),
      compute_output: d(n, ns.output),
    },
  };
}

describe('serverStatsDelta', () => {
  const start = indexModelStats([entry('m', '1', 100, { success: 1_000_000, queue: 200_000, input: 10_000, infer: 500_000, output: 5_000 }, 50)]);
  const end = indexModelStats([entry('m', '1', 160, { success: 1_900_000, queue: 500_000, input: 22_000, infer: 1_100_000, output: 11_000 }, 70)]);

  it('subtracts every counter of the start snapshot from the end one', () => {
    const s = serverStatsDelta({ name: 'm', version: '' }, start, end, new Map());
    expect(s).toMatchObject({
      inferenceCount: 60, executionCount: 20, successCount: 60, cummTimeNs: 900_000,
      queueCount: 60, queueTimeNs: 300_000, computeInputCount: 60, computeInputTimeNs: 12_000,
      computeInferCount: 60, computeInferTimeNs: 600_000, computeOutputCount: 60, computeOutputTimeNs: 6_000,
    });
  });

  it('averages per request in whole usec by integer division, and the overhead is what queue and compute leave', () => {
    const a = serverAverages(serverStatsDelta({ name: 'm', version: '' }, start, end, new Map()));
    // 900000/60 = 15000 ns = 15 us; queue 5 us; compute (12000+600000+6000)/60 = 10300 ns = 10 us.
    expect(a).toEqual({ requestUs: 15, queueUs: 5, computeInputUs: 0, computeInferUs: 10, computeOutputUs: 0, computeUs: 10, overheadUs: 0 });
    expect(averageUs(1_999_999, 1)).toBe(1999);
    expect(averageUs(5, 0)).toBe(0);
  });

  it('counts a model that had no stats at the start from zero', () => {
    const s = serverStatsDelta({ name: 'm', version: '1' }, new Map(), end, new Map());
    expect(s.successCount).toBe(160);
  });

  it('refuses a model the server has no stats for', () => {
    expect(() => serverStatsDelta({ name: 'nope', version: '' }, start, end, new Map())).toThrow('missing statistics for requested model nope');
  });

  it('picks, without a version, the highest version whose queue count grew', () => {
    const s = indexModelStats([entry('m', '1', 5, { success: 0, queue: 0, input: 0, infer: 0, output: 0 }), entry('m', '2', 5, { success: 0, queue: 0, input: 0, infer: 0, output: 0 })]);
    const e = indexModelStats([entry('m', '1', 9, { success: 0, queue: 0, input: 0, infer: 0, output: 0 }), entry('m', '2', 5, { success: 0, queue: 0, input: 0, infer: 0, output: 0 })]);
    expect(statsVersion({ name: 'm', version: '' }, s, e)).toBe('1');
    expect(statsVersion({ name: 'm', version: '2' }, s, e)).toBe('2');
  });

  it('reads composing models under their parent, keyed name:version', () => {
    const z = { success: 0, queue: 0, input: 0, infer: 0, output: 0 };
    const s0 = indexModelStats([entry('embed_image', '1', 0, z), entry('siglip_vision', '1', 0, z)]);
    const s1 = indexModelStats([
      entry('embed_image', '1', 10, { success: 90_000_000, queue: 0, input: 0, infer: 0, output: 0 }),
      entry('siglip_vision', '1', 10, { success: 60_000_000, queue: 20_000_000, input: 1_000_000, infer: 30_000_000, output: 0 }, 2),
    ]);
    const s = serverStatsDelta({ name: 'embed_image', version: '' }, s0, s1, new Map([['embed_image', [{ name: 'siglip_vision', version: '' }]]]));
    expect([...s.composing.keys()]).toEqual(['siglip_vision:1']);
    expect(s.composing.get('siglip_vision:1')!.executionCount).toBe(2);
    // GetTotalEnsembleDurations: queue and compute of the composing models.
    expect(ensembleTotals(s)).toEqual({ queueUs: 2000, computeUs: 3100 });
    expect(serverReport(s, 1)).toEqual([
      '    Inference count: 10',
      '    Execution count: 10',
      '    Successful request count: 10',
      '    Avg request latency: 9000 usec (overhead 3900 usec + queue 2000 usec + compute 3100 usec)',
      '',
      '  Composing models: ',
      '  siglip_vision, version: 1',
      '      Inference count: 10',
      '      Execution count: 2',
      '      Successful request count: 10',
      '      Avg request latency: 6000 usec (overhead 900 usec + queue 2000 usec + compute input 100 usec + compute infer 3000 usec + compute output 0 usec)',
      '',
    ]);
  });
});

describe('mergeServerStats', () => {
  it('sums the windows, composing models included', () => {
    const a = serverStatsDelta({ name: 'm', version: '1' }, new Map(), indexModelStats([entry('m', '1', 3, { success: 30, queue: 3, input: 3, infer: 3, output: 3 })]), new Map());
    const m = mergeServerStats([a, a, a]);
    expect(m.successCount).toBe(9);
    expect(m.cummTimeNs).toBe(90);
  });
});

describe('serverAverages', () => {
  it('refuses compute counts that differ (perf_analyzer: "Server side statistics compute counts must be the same.")', () => {
    const s = serverStatsDelta({ name: 'm', version: '1' }, new Map(), indexModelStats([entry('m', '1', 3, { success: 30, queue: 3, input: 3, infer: 3, output: 3 })]), new Map());
    expect(() => serverAverages({ ...s, computeOutputCount: 2 })).toThrow('Server side statistics compute counts must be the same.');
  });
});

describe('pointReport', () => {
  it("prints perf_analyzer's Client and Server block", () => {
    const MS = 1e6;
    const lines = pointReport(
      status({ concurrency: 1, inferPerSec: 1407.84, avgLatencyNs: 708_400, sendNs: 60_000, recvNs: 42_000, percentiles: [[50, 690_000], [90, 881_000], [95, 926_000], [99, 1_031_000]] }),
      null,
    );
    expect(lines).toEqual([
      '  Client: ',
      '    Request count: 100',
      '    Throughput: 1407.84 infer/sec',
      '    Avg latency: 708 usec (standard deviation 1000 usec)',
      '    p50 latency: 690 usec',
      '    p90 latency: 881 usec',
      '    p95 latency: 926 usec',
      '    p99 latency: 1031 usec',
      '    Avg HTTP time: 708 usec (send/recv 102 usec + response wait 606 usec)',
      '  Server: ',
      '    Inference count: 100',
      '    Execution count: 100',
      '    Successful request count: 100',
      `    Avg request latency: ${14 * MS / 1000} usec (overhead 700 usec + queue 3000 usec + compute input 200 usec + compute infer 10000 usec + compute output 100 usec)`,
      '',
    ]);
  });
});
