// The measurement loop of perf_analyzer's InferenceProfiler (src/inference_profiler.cc and .h, @069e403):
// for each load point, measure back-to-back windows until the last 3 are stable or --max-trials is reached, then
// report the 3 stable windows merged. Time, load and server statistics come in through interfaces, so tests can
// drive the loop with fakes.
import { PerfStabilityError } from '../errors';
import { cppDouble, usecText } from '../report/cppFormat';
import type { ModelId } from '../model/modelInfo';
import { mergeWindows } from './mergeWindows';
import type { PerfStatus, RequestRecord } from './perfStatus';
import { serverStatsDelta, type ComposingTree, type StatsSnapshot } from './serverStats';
import { isDoneProfiling, isStable, STABILITY_WINDOW, type LoadStatus } from './stability';
import { summarizeWindow } from './windowSummary';

/** A load point: a concurrency or a request rate. */
export type LoadPoint = { kind: 'concurrency'; concurrency: number } | { kind: 'rate'; rate: number };

/** Drives the senders (perf_analyzer's LoadManager). */
export interface LoadDriver {
  nowNs(): number;
  /** Starts (or changes to) a load; `requestCount` 0 means unlimited. */
  start(point: LoadPoint, requestCount: number): void;
  /** Records completed since the last collect, requests sent, limit reached, first error. */
  collect(): Promise<{ records: RequestRecord[]; sent: number; finished: boolean; error: string | null }>;
  /** Stops starting requests and waits for outstanding replies. */
  pause(): Promise<void>;
  /** Share (0..1) of the time since the previous call that the senders were busy. */
  busyShare(): number;
}

/** Measurement settings (perf_analyzer's Measurement Options, docs/cli.md). */
export interface ProfilerSettings {
  measurementMode: 'time_windows' | 'count_windows';
  measurementIntervalMs: number;
  measurementRequestCount: number;
  /** --stability-percentage / 100. */
  stabilityThreshold: number;
  maxTrials: number;
  /** --percentile, or null for the average latency. */
  percentile: number | null;
  /** --latency-threshold in ms; 0 = none. */
  latencyThresholdMs: number;
  /** --request-count: one window of exactly this many requests per point; 0 = windows until stable. */
  requestCount: number;
  warmupRequestCount: number;
  batchSize: number;
  /** Asynchronous sending (request-rate mode): a throughput-stable point is accepted even if latency is not. */
  async: boolean;
  verbose: boolean;
}

/** Where the profiler's text goes. */
export interface ProfilerOutput {
  /** perf_analyzer's stdout. */
  line(text: string): void;
  /** perf_analyzer's stderr. */
  warn(text: string): void;
  /** Called with each stable point as it is measured (the text report of a point). */
  point?(status: PerfStatus): void;
}

/** The profiler's collaborators. */
export interface ProfilerDeps {
  load: LoadDriver;
  /** Stats of the model and its composing models; null when the server serves none. */
  stats: (() => Promise<StatsSnapshot>) | null;
  model: ModelId;
  composing: ComposingTree;
  sleep(ms: number): Promise<void>;
  out: ProfilerOutput;
}

/** perf_analyzer's overhead_pct_threshold default (src/perf_analyzer_parameters.h): senders busy over 50%. */
const OVERHEAD_PCT_THRESHOLD = 50;

type Trial = { ok: true; status: PerfStatus } | { ok: false; error: Error };

/** Measures load points one after another, as perf_analyzer's linear search. */
export class InferenceProfiler {
  private records: RequestRecord[] = [];
  private prevWindowEndNs = 0;
  private prevStats: StatsSnapshot | null = null;
  private windowSent = 0;

  constructor(
    private readonly s: ProfilerSettings,
    private readonly d: ProfilerDeps,
  ) {}

  /**
   * Profile<T> with SearchMode::LINEAR: every point in order until one fails its latency threshold or cannot be
   * made stable. If the very first point is unstable that is an error (STABILITY_ERROR), as in perf_analyzer.
   */
  async profile(points: Iterable<LoadPoint>): Promise<PerfStatus[]> {
    const out: PerfStatus[] = [];
    let swept = 0;
    let lastStable = true;
    for (const point of points) {
      swept++;
      const { status, meetsThreshold, stable } = await this.profilePoint(point);
      lastStable = stable;
      if (status) out.push(status);
      if (!meetsThreshold) break;
    }
    if (swept === 1 && !lastStable) throw new PerfStabilityError('Failed to obtain stable measurement.');
    return out;
  }

  /** InferenceProfiler::Profile for one concurrency or rate. */
  async profilePoint(point: LoadPoint): Promise<{ status: PerfStatus | null; meetsThreshold: boolean; stable: boolean }> {
    const { load, out } = this.d;
    // concurrency_manager.cc (ChangeConcurrencyLevel) and InferenceProfiler::Profile(request_rate) print these.
    if (point.kind === 'rate') out.line(`Request Rate: ${point.rate} inference requests per second`);
    else out.line(`Request concurrency: ${point.concurrency}`);
    if (this.s.warmupRequestCount > 0) {
      load.start(point, this.s.warmupRequestCount);
      await this.waitFinished();
      await load.pause();
      await load.collect();
    }
    // A request-count point is one window from before its first request to after its last.
    const countMode = this.s.requestCount > 0;
    this.records = [];
    this.prevWindowEndNs = 0;
    this.prevStats = null;
    if (countMode) await this.openWindow();
    load.start(point, this.s.requestCount);
    let result: { merged: PerfStatus | null; stable: boolean };
    try {
      result = await this.profileHelper(point);
    } finally {
      // Drain what completed after the last window, so the next point starts from nothing.
      await load.pause();
      await load.collect();
    }
    const { merged, stable } = result;
    const thresholdNs = this.s.latencyThresholdMs * 1e6;
    if (merged && this.s.latencyThresholdMs > 0 && merged.stabilizingLatencyNs >= thresholdNs) {
      out.warn(`Measured latency went over the set limit of ${this.s.latencyThresholdMs} msec. `);
      return { status: null, meetsThreshold: false, stable };
    }
    if (!stable || !merged) {
      const what = point.kind === 'rate' ? `request rate ${point.rate}` : `concurrency ${point.concurrency}`;
      const knob = this.s.measurementMode === 'count_windows' ? '--measurement-request-count' : '--measurement-interval';
      out.warn(`Failed to obtain stable measurement within ${this.s.maxTrials} measurement windows for ${what}. Please try to increase the ${knob}.`);
      return { status: null, meetsThreshold: false, stable: false };
    }
    out.point?.(merged);
    if (merged.overheadPct > OVERHEAD_PCT_THRESHOLD) {
      out.warn('[WARNING] siglip perf is not able to keep up with the desired load. The results may not be accurate.');
    }
    return { status: merged, meetsThreshold: true, stable: true };
  }

  /** ProfileHelper: trials until stable (or one, in request-count mode), then the last 3 merged. */
  private async profileHelper(point: LoadPoint): Promise<{ merged: PerfStatus | null; stable: boolean }> {
    const status: LoadStatus = { inferPerSec: [], latencies: [] };
    const trials: Trial[] = [];
    let stable = false;
    let completed = 0;
    do {
      let trial: Trial;
      try {
        trial = { ok: true, status: await this.measure(point) };
      } catch (err) {
        if (err instanceof SenderError) throw err;
        trial = { ok: false, error: err as Error };
      }
      trials.push(trial);
      if (trials.length > STABILITY_WINDOW) trials.shift();
      status.inferPerSec.push(trial.ok ? trial.status.client.inferPerSec : 0);
      status.latencies.push(trial.ok ? trial.status.stabilizingLatencyNs : Infinity);
      if (this.s.verbose) this.d.out.line(passLine(completed + 1, trial, this.s.percentile));
      if (this.s.requestCount > 0) {
        stable = true;
        break;
      }
      stable = isStable(status, this.s.stabilityThreshold);
      if (isDoneProfiling(status, stable, this.s.latencyThresholdMs)) break;
      completed++;
    } while (completed < this.s.maxTrials);
    if (this.s.async && !stable && isStable(status, this.s.stabilityThreshold, false)) {
      this.d.out.warn('Warning: Request latency is not stabilizing. Please try lowering the request rate.');
      stable = true;
    }
    const failed = trials.find((t) => !t.ok);
    if (failed && !failed.ok) throw failed.error;
    if (!stable) return { merged: null, stable };
    return { merged: mergeWindows(trials.map((t) => (t as { status: PerfStatus }).status), this.s.percentile), stable };
  }

  /** Starts the first window of a point: its start time and server stats. */
  private async openWindow(): Promise<void> {
    this.prevWindowEndNs = this.d.load.nowNs();
    this.prevStats = this.d.stats ? await this.d.stats() : null;
    this.windowSent = 0;
    this.d.load.busyShare();
  }

  /** Measure: one window, starting where the previous one ended. */
  private async measure(point: LoadPoint): Promise<PerfStatus> {
    if (this.prevWindowEndNs === 0) await this.openWindow();
    const startNs = this.prevWindowEndNs;
    const startStats = this.prevStats;
    let collectedInWindow = 0;
    if (this.s.requestCount > 0) {
      collectedInWindow = await this.waitFinished();
    } else if (this.s.measurementMode === 'time_windows') {
      // perf_analyzer sleeps 1.2 × the measurement interval and measures over the time that actually passed.
      await this.d.sleep(Math.floor(this.s.measurementIntervalMs * 1.2));
    } else {
      // count_windows: at least one second, then until enough requests have completed.
      do {
        await this.d.sleep(1000);
        collectedInWindow += await this.gather();
      } while (collectedInWindow < this.s.measurementRequestCount);
    }
    let endNs = this.d.load.nowNs();
    this.prevWindowEndNs = endNs;
    const busy = this.d.load.busyShare();
    const endStats = this.d.stats ? await this.d.stats() : null;
    this.prevStats = endStats;
    await this.gather();
    let windowStart = startNs;
    if (this.s.requestCount > 0) {
      // The window is clamped to the requests of the count (inference_profiler.cc's clamp_window intent).
      windowStart = Math.min(...this.records.map((r) => r.startNs));
      endNs = Math.max(...this.records.map((r) => r.endNs));
    }
    const sent = this.windowSent;
    this.windowSent = 0;
    const w = summarizeWindow(this.records, windowStart, endNs, this.s.batchSize, this.s.percentile);
    this.records = w.rest;
    return {
      concurrency: point.kind === 'concurrency' ? point.concurrency : 0,
      requestRate: point.kind === 'rate' ? point.rate : 0,
      batchSize: this.s.batchSize,
      client: w.client,
      server: startStats && endStats ? serverStatsDelta(this.d.model, startStats, endStats, this.d.composing) : null,
      stabilizingLatencyNs: w.stabilizingLatencyNs,
      sendRequestRate: sent / ((endNs - windowStart) / 1e9),
      overheadPct: busy * 100,
    };
  }

  /** Moves the senders' records into this profiler; a sender error ends the run (CheckHealth). */
  private async gather(): Promise<number> {
    const c = await this.d.load.collect();
    if (c.error) throw new SenderError(c.error);
    for (const r of c.records) this.records.push(r);
    this.windowSent += c.sent;
    return c.records.length;
  }

  private async waitFinished(): Promise<number> {
    let n = 0;
    for (;;) {
      const c = await this.d.load.collect();
      if (c.error) throw new SenderError(c.error);
      for (const r of c.records) this.records.push(r);
      this.windowSent += c.sent;
      n += c.records.length;
      if (c.finished) return n;
      await this.d.sleep(20);
    }
  }
}

/** A sender thread failed: not a measurement to retry, the run stops. */
class SenderError extends Error {
  override readonly name = 'SenderError';
}

function passLine(n: number, t: Trial, percentile: number | null): string {
  if (!t.ok) return `  Pass [${n}] cb::Error: ${t.error.message}`;
  const c = t.status.client;
  const lat =
    percentile !== null
      ? `p${percentile} latency: ${Math.floor(c.percentileLatencyNs.get(percentile)! / 1000)} usec`
      : `Avg latency: ${Math.floor(c.avgLatencyNs / 1000)} usec (std ${usecText(c.stdUs)} usec). `;
  return `  Pass [${n}] throughput: ${cppDouble(c.inferPerSec)} infer/sec. ${lat}`;
}
