// A scripted stand-in for the sender threads and the server: each time window the profiler sleeps through gets the
// next scripted throughput and latency, on a fake clock. No real time passes.
import type { LoadDriver, LoadPoint } from '../../client/perf/measure/profiler';
import type { RequestRecord } from '../../client/perf/measure/perfStatus';
import type { StatsSnapshot, TritonModelStats } from '../../client/perf/measure/serverStats';

/** One scripted window: requests per second and each request's latency. */
export interface ScriptedWindow {
  ips: number;
  latencyNs: number;
  /** Alternate requests take latency ± spread (same average, wider tail). */
  spreadNs?: number;
}

/** The fake load, its clock, and what it was asked to do. */
export interface FakeLoad {
  load: LoadDriver;
  sleep(ms: number): Promise<void>;
  stats(): Promise<StatsSnapshot>;
  started: LoadPoint[];
  windows: number;
  /** What busyShare() answers (0..1). */
  busy: number;
  /** Makes the next collect() report a sender error. */
  failNext(message: string): void;
}

/** Builds a fake whose i-th slept window follows script(point, i). Server: queue 1/4, compute 1/2 of each latency. */
export function fakeLoad(script: (point: LoadPoint, window: number) => ScriptedWindow): FakeLoad {
  let now = 1_000_000_000;
  let pending: RequestRecord[] = [];
  let point: LoadPoint = { kind: 'concurrency', concurrency: 1 };
  let windowOfPoint = 0;
  let failure: string | null = null;
  const server = { n: 0, successNs: 0, queueNs: 0, computeNs: 0 };
  const fake: FakeLoad = {
    started: [],
    windows: 0,
    busy: 0.1,
    failNext: (m) => (failure = m),
    load: {
      nowNs: () => now,
      start(p) {
        point = p;
        windowOfPoint = 0;
        fake.started.push(p);
      },
      async collect() {
        const records = pending;
        pending = [];
        const error = failure;
        failure = null;
        return { records, sent: records.length, finished: true, error };
      },
      async pause() {},
      busyShare: () => fake.busy,
    },
    async sleep(ms) {
      const w = script(point, windowOfPoint++);
      fake.windows++;
      const dur = ms * 1e6;
      const n = Math.round((w.ips * dur) / 1e9);
      for (let i = 1; i <= n; i++) {
        const end = now + Math.floor((i * dur) / (n + 1));
        const latency = w.latencyNs + (i % 2 ? 1 : -1) * (w.spreadNs ?? 0);
        pending.push({ startNs: end - latency, endNs: end, sendNs: 1000, recvNs: 2000, delayed: false });
        server.n++;
        server.successNs += w.latencyNs * 0.9;
        server.queueNs += w.latencyNs / 4;
        server.computeNs += w.latencyNs / 2;
      }
      now += dur;
    },
    async stats() {
      const c = (count: number, ns: number) => ({ count, ns: Math.round(ns) });
      const entry: TritonModelStats = {
        name: 'm',
        version: '1',
        inference_count: server.n,
        execution_count: Math.ceil(server.n / 2),
        inference_stats: {
          success: c(server.n, server.successNs),
          queue: c(server.n, server.queueNs),
          compute_input: c(server.n, server.computeNs * 0.1),
          compute_infer: c(server.n, server.computeNs * 0.8),
          compute_output: c(server.n, server.computeNs * 0.1),
        },
      };
      return new Map([['m', new Map([['1', entry]])]]);
    },
  };
  return fake;
}
