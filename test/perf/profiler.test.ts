// The measurement loop (InferenceProfiler::ProfileHelper / Profile in perf_analyzer's src/inference_profiler.cc
// @069e403) on scripted windows: when it stops, what it reports, and what it says when it cannot stabilize.
import { describe, expect, it } from 'vitest';
import { PerfStabilityError } from '../../client/perf/errors';
import { InferenceProfiler, type ProfilerSettings } from '../../client/perf/measure/profiler';
import { fakeLoad, type ScriptedWindow } from './fakeLoad';

const MS = 1e6;
const settings = (over: Partial<ProfilerSettings> = {}): ProfilerSettings => ({
  measurementMode: 'time_windows',
  measurementIntervalMs: 1000,
  measurementRequestCount: 50,
  stabilityThreshold: 0.1,
  maxTrials: 10,
  percentile: null,
  latencyThresholdMs: 0,
  requestCount: 0,
  warmupRequestCount: 0,
  batchSize: 1,
  async: false,
  verbose: false,
  ...over,
});

function profilerFor(script: (w: number, c: number) => ScriptedWindow, over: Partial<ProfilerSettings> = {}) {
  const fake = fakeLoad((p, w) => script(w, p.kind === 'concurrency' ? p.concurrency : p.rate));
  const lines: string[] = [];
  const warnings: string[] = [];
  const profiler = new InferenceProfiler(settings(over), {
    load: fake.load,
    stats: () => fake.stats(),
    model: { name: 'm', version: '' },
    composing: new Map(),
    sleep: (ms) => fake.sleep(ms),
    out: { line: (l) => lines.push(l), warn: (w) => warnings.push(w) },
  });
  return { fake, profiler, lines, warnings };
}

describe('InferenceProfiler', () => {
  it('stops after 3 agreeing windows and reports the 3 merged', async () => {
    const { fake, profiler } = profilerFor(() => ({ ips: 100, latencyNs: 10 * MS }));
    const [s] = await profiler.profile([{ kind: 'concurrency', concurrency: 1 }]);
    expect(fake.windows).toBe(3);
    // Each window sleeps 1.2 × 1000 ms (perf_analyzer's time window) and holds 120 requests.
    expect(s.client.requestCount).toBe(360);
    expect(s.client.durationNs).toBe(3 * 1200 * MS);
    expect(s.client.inferPerSec).toBeCloseTo(100, 6);
    expect(s.client.avgLatencyNs).toBe(10 * MS);
    expect(s.server!.successCount).toBe(360);
  });

  it('reports the last 3 windows, not the earlier unstable ones', async () => {
    const ips = [40, 200, 100, 100, 100];
    const { fake, profiler } = profilerFor((w) => ({ ips: ips[w], latencyNs: (w < 2 ? 50 : 10) * MS }));
    const [s] = await profiler.profile([{ kind: 'concurrency', concurrency: 1 }]);
    expect(fake.windows).toBe(5);
    expect(s.client.requestCount).toBe(360);
    expect(s.client.percentileLatencyNs.get(99)).toBe(10 * MS);
    // Server deltas cover the same 3 windows.
    expect(s.server!.successCount).toBe(360);
    expect(s.server!.queueTimeNs).toBe(360 * 2.5 * MS);
  });

  it('gives up after --max-trials windows with perf_analyzer\'s message; a lone unstable point is a stability error', async () => {
    const { fake, profiler, warnings } = profilerFor((w) => ({ ips: w % 2 ? 100 : 150, latencyNs: 10 * MS }), { maxTrials: 6 });
    await expect(profiler.profile([{ kind: 'concurrency', concurrency: 4 }])).rejects.toThrow(PerfStabilityError);
    expect(fake.windows).toBe(6);
    expect(warnings).toEqual(['Failed to obtain stable measurement within 6 measurement windows for concurrency 4. Please try to increase the --measurement-interval.']);
  });

  it('in a sweep, stops at the first unstable point and keeps the ones before it', async () => {
    const { profiler, fake } = profilerFor((w, c) => ({ ips: c === 2 && w % 2 ? 300 : 100 * c, latencyNs: 10 * MS }), { maxTrials: 4 });
    const out = await profiler.profile([1, 2, 3].map((c) => ({ kind: 'concurrency' as const, concurrency: c })));
    expect(out.map((s) => s.concurrency)).toEqual([1]);
    expect(fake.started.map((p) => (p.kind === 'concurrency' ? p.concurrency : 0))).toEqual([1, 2]);
  });

  it('in async (request-rate) mode accepts a point whose throughput is stable though its latency is not, with a warning', async () => {
    const { profiler, warnings } = profilerFor((w) => ({ ips: 50, latencyNs: (10 + 5 * w) * MS }), { async: true, maxTrials: 5 });
    const out = await profiler.profile([{ kind: 'rate', rate: 50 }]);
    expect(out).toHaveLength(1);
    expect(out[0].requestRate).toBe(50);
    expect(warnings).toContain('Warning: Request latency is not stabilizing. Please try lowering the request rate.');
  });

  it('stabilizes on --percentile when given, on the average otherwise', async () => {
    // Every window averages 10 ms, but every other one has a 15 ms p95.
    const script = (w: number): ScriptedWindow => ({ ips: 100, latencyNs: 10 * MS, spreadNs: w % 2 ? 5 * MS : 0 });
    const byAverage = profilerFor(script);
    const [s] = await byAverage.profiler.profile([{ kind: 'concurrency', concurrency: 1 }]);
    expect(byAverage.fake.windows).toBe(3);
    expect(s.stabilizingLatencyNs).toBe(s.client.avgLatencyNs);
    const byP95 = profilerFor(script, { percentile: 95, maxTrials: 5 });
    await expect(byP95.profiler.profile([{ kind: 'concurrency', concurrency: 1 }])).rejects.toThrow(PerfStabilityError);
    expect(byP95.fake.windows).toBe(5);
  });

  it('ends the sweep at the point whose latency reaches --latency-threshold', async () => {
    const { profiler, warnings } = profilerFor((_, c) => ({ ips: 100, latencyNs: 10 * c * MS }), { latencyThresholdMs: 25 });
    const out = await profiler.profile([1, 2, 3, 4].map((c) => ({ kind: 'concurrency' as const, concurrency: c })));
    expect(out.map((s) => s.concurrency)).toEqual([1, 2]);
    expect(warnings).toContain('Measured latency went over the set limit of 25 msec. ');
  });

  it("reports the senders' busy share as client overhead, and warns above 50% as perf_analyzer does", async () => {
    const calm = profilerFor(() => ({ ips: 100, latencyNs: MS }));
    const [s] = await calm.profiler.profile([{ kind: 'concurrency', concurrency: 1 }]);
    expect(s.overheadPct).toBeCloseTo(10, 9);
    expect(calm.warnings).toEqual([]);
    const busy = profilerFor(() => ({ ips: 100, latencyNs: MS }));
    busy.fake.busy = 0.8;
    await busy.profiler.profile([{ kind: 'concurrency', concurrency: 1 }]);
    expect(busy.warnings).toEqual(['[WARNING] siglip perf is not able to keep up with the desired load. The results may not be accurate.']);
  });

  it('stops the run when a sender reports an error', async () => {
    const { fake, profiler } = profilerFor(() => ({ ips: 100, latencyNs: MS }));
    fake.failNext('Thread [0] had error: HTTP 401 from /v2/models/m/infer: {"error":"missing API key"}');
    await expect(profiler.profile([{ kind: 'concurrency', concurrency: 1 }])).rejects.toThrow('HTTP 401');
  });

  it('prints each window with -v, as perf_analyzer\'s Pass lines', async () => {
    const { profiler, lines } = profilerFor(() => ({ ips: 100, latencyNs: 10 * MS }), { verbose: true });
    await profiler.profile([{ kind: 'concurrency', concurrency: 1 }]);
    expect(lines).toEqual([
      'Request concurrency: 1',
      '  Pass [1] throughput: 100 infer/sec. Avg latency: 10000 usec (std 0 usec). ',
      '  Pass [2] throughput: 100 infer/sec. Avg latency: 10000 usec (std 0 usec). ',
      '  Pass [3] throughput: 100 infer/sec. Avg latency: 10000 usec (std 0 usec). ',
    ]);
  });
});
