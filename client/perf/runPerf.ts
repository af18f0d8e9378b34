// `siglip perf` as a function: learn the model, prepare its requests, start the sender threads, sweep the load
// points with perf_analyzer's measurement loop, print its report and write the files asked for.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ClientBackend } from './backends/clientBackend';
import { createClientBackend } from './backends/createClientBackend';
import { PerfUsageError } from './errors';
import { loadInputData } from './inputs/loadInputData';
import { createRateSchedules, seededRandom } from './load/rateSchedule';
import { InferenceProfiler, type LoadDriver, type LoadPoint } from './measure/profiler';
import type { PerfStatus } from './measure/perfStatus';
import { indexModelStats, type ComposingTree, type StatsSnapshot } from './measure/serverStats';
import { checkBatchSize, ensembleSteps, parseModelInfo, type ModelId, type ModelInfo } from './model/modelInfo';
import type { PerfOptions } from './options/perfOptions';
import { rangeValues } from './options/range';
import { composingCsvReports, csvReport } from './report/csvReport';
import { htmlReport } from './report/htmlReport';
import { jsonReport, type RunInfo } from './report/jsonReport';
import { pointReport, settingsBanner, summaryReport } from './report/textReport';
import { SenderPool } from './senders/senderPool';

/** Where a run's text goes (stdout and stderr of the CLI). */
export interface PerfIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** What a run measured. */
export interface PerfResult {
  model: ModelInfo;
  statuses: PerfStatus[];
  run: RunInfo;
  /** Whether server statistics were read. */
  serverStats: boolean;
}

// perf_analyzer's request-rate default for open-loop sending; a thread beyond this many replies outstanding
// queues in undici (and the wait counts in the latency, as a real client's would).
const RATE_CONNECTIONS_PER_THREAD = 256;

/** Runs one `siglip perf` measurement. */
export async function runPerf(o: PerfOptions, io: PerfIo): Promise<PerfResult> {
  const backend = createClientBackend({ protocol: o.protocol, url: o.url, headers: o.headers });
  try {
    return await runWith(backend, o, io);
  } finally {
    await backend.close();
  }
}

async function runWith(backend: ClientBackend, o: PerfOptions, io: PerfIo): Promise<PerfResult> {
  const [metadata, config] = await Promise.all([backend.modelMetadata(o.model, o.modelVersion), backend.modelConfig(o.model, o.modelVersion)]);
  const model = parseModelInfo(metadata, config, { version: o.modelVersion, shapes: o.shapes });
  checkBatchSize(model, o.batchSize);
  const composing = await composingTree(backend, model, o.composingModels);
  const dataset = loadInputData(o.inputData, model, { stringLength: o.stringLength, stringData: o.stringData });
  const plan = backend.requestPlan({
    model,
    dataset,
    batchSize: o.batchSize,
    inputFormat: o.inputTensorFormat,
    outputFormat: o.outputTensorFormat,
    parameters: o.requestParameters,
  });
  const stats = await statsSource(backend, model, composing, io);

  const async = o.load.kind === 'rate';
  const banner = settingsBanner({
    batchSize: o.batchSize,
    requestCount: o.requestCount,
    warmupRequestCount: o.warmupRequestCount,
    measurementMode: o.measurementMode,
    measurementIntervalMs: o.measurementIntervalMs,
    measurementRequestCount: o.measurementRequestCount,
    percentile: o.percentile,
    async,
    latencyThresholdMs: o.latencyThresholdMs,
    mode: o.load.kind === 'rate' ? { kind: 'rate', ...o.load.range, distribution: o.load.distribution } : { kind: 'concurrency', ...o.load.range },
  });
  banner.forEach(io.out);

  const maxConcurrency = o.load.kind === 'concurrency' ? (o.load.range.end === 0 ? Infinity : Math.max(o.load.range.start, o.load.range.end)) : Infinity;
  const threads = Math.max(1, Math.min(o.maxThreads, maxConcurrency));
  const connections = o.load.kind === 'concurrency' && Number.isFinite(maxConcurrency) ? Math.ceil(maxConcurrency / threads) : RATE_CONNECTIONS_PER_THREAD;
  const pool = await SenderPool.start({ plan, threads, batchSize: o.batchSize, timeBase: process.hrtime.bigint(), connections });
  const startedAt = new Date().toISOString();
  let statuses: PerfStatus[];
  try {
    const random = seededRandom(5489); // std::mt19937's default seed: the same Poisson schedule on every run
    const load: LoadDriver = {
      nowNs: () => pool.nowNs(),
      start(point, requestCount) {
        if (point.kind === 'concurrency') pool.setConcurrency(point.concurrency, requestCount);
        else {
          const schedules = createRateSchedules(point.rate, (o.load as { distribution: 'constant' | 'poisson' }).distribution, pool.size, o.maxTrials * o.measurementIntervalMs * 1e6, random);
          pool.setRate(schedules, pool.nowNs(), requestCount);
        }
      },
      collect: () => pool.collect(),
      pause: () => pool.pause(),
      busyShare: () => pool.busyShare(),
    };
    const profiler = new InferenceProfiler(
      {
        measurementMode: o.measurementMode,
        measurementIntervalMs: o.measurementIntervalMs,
        measurementRequestCount: o.measurementRequestCount,
        stabilityThreshold: o.stabilityPercentage / 100,
        maxTrials: o.maxTrials,
        percentile: o.percentile,
        latencyThresholdMs: o.latencyThresholdMs,
        requestCount: o.requestCount,
        warmupRequestCount: o.warmupRequestCount,
        batchSize: o.batchSize,
        async,
        verbose: o.verbose,
      },
      {
        load,
        stats,
        model: { name: model.name, version: model.version },
        composing,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        out: { line: io.out, warn: io.err, point: (s) => pointReport(s, o.percentile, o.verbose, o.protocol).forEach(io.out) },
      },
    );
    statuses = await profiler.profile(loadPoints(o));
  } finally {
    await pool.close();
  }
  summaryReport(statuses, o.percentile).forEach(io.out);

  const run: RunInfo = {
    model: model.name,
    url: o.url.href.replace(/\/$/, ''),
    mode: o.load.kind === 'rate' ? 'request_rate' : 'concurrency',
    batchSize: o.batchSize,
    inputTensorFormat: o.inputTensorFormat,
    outputTensorFormat: o.inputTensorFormat === 'raw' ? 'binary' : o.outputTensorFormat,
    inputData: dataset.source,
    startedAt,
  };
  await writeReports(o, run, statuses, stats !== null, io);
  return { model, statuses, run, serverStats: stats !== null };
}

function* loadPoints(o: PerfOptions): Generator<LoadPoint> {
  for (const v of rangeValues(o.load.range)) yield o.load.kind === 'rate' ? { kind: 'rate', rate: v } : { kind: 'concurrency', concurrency: v };
}

/**
 * The composing models whose stats are read with the model's (ModelParser::DetermineComposingModelMap): its
 * ensemble steps, the --bls-composing-models, and recursively the steps of any of those that is an ensemble.
 */
async function composingTree(backend: ClientBackend, model: ModelInfo, bls: ModelId[]): Promise<ComposingTree> {
  const tree: ComposingTree = new Map();
  const add = async (parent: string, children: ModelId[]) => {
    if (!children.length) return;
    tree.set(parent, [...(tree.get(parent) ?? []), ...children]);
    for (const c of children) {
      if (tree.has(c.name)) continue;
      await add(c.name, ensembleSteps(await backend.modelConfig(c.name, c.version)));
    }
  };
  await add(model.name, [...model.composing, ...bls]);
  return tree;
}

/**
 * Reads the stats of the model and every composing model; null (with a note) when the server does not serve
 * statistics for the model — perf_analyzer then leaves out the server figures too.
 */
async function statsSource(backend: ClientBackend, model: ModelInfo, tree: ComposingTree, io: PerfIo): Promise<(() => Promise<StatsSnapshot>) | null> {
  const names = [model.name, ...new Set([...tree.values()].flat().map((m) => m.name))];
  const snapshot = async () => {
    const all = await Promise.all(names.map((n) => backend.modelStatistics(n)));
    const snap: StatsSnapshot = new Map();
    for (const entries of all) indexModelStats(entries, snap);
    return snap;
  };
  try {
    await snapshot();
    return snapshot;
  } catch (err) {
    if (names.length > 1) throw err; // a composing model was asked for by name: its stats must be there
    io.err(`note: no server statistics (${(err as Error).message}); reporting client figures only`);
    return null;
  }
}

async function writeReports(o: PerfOptions, run: RunInfo, statuses: PerfStatus[], serverStats: boolean, io: PerfIo): Promise<void> {
  const write = async (path: string, text: string) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  };
  if (o.csvFile && statuses.length) {
    const csvOpts = { concurrencyMode: o.load.kind === 'concurrency', includeServerStats: serverStats, verboseCsv: o.verboseCsv, percentile: o.percentile };
    const { text, warnings } = csvReport(statuses, csvOpts);
    warnings.forEach(io.err);
    await write(o.csvFile, text);
    for (const f of composingCsvReports(statuses, csvOpts, o.csvFile)) await write(f.path, f.text);
  }
  if (o.jsonFile) await write(o.jsonFile, JSON.stringify(jsonReport(run, statuses), null, 2) + '\n');
  if (o.htmlFile) {
    if (!statuses.length) throw new PerfUsageError(`--report ${o.htmlFile}: no stable point to chart`);
    await write(o.htmlFile, htmlReport(run, statuses));
  }
}
