// `siglip perf`'s settings, resolved and checked once: the CLI (cli/commands/perf.ts) and the bench hand raw
// values in, everything downstream takes the plain typed PerfOptions. Names and defaults are perf_analyzer's
// (docs/cli.md); flags it does not have are marked as ours.
import { availableParallelism } from 'node:os';
import type { Parameters } from '../../../shared/protocol';
import type { Protocol } from '../backends/clientBackend';
import { PerfUsageError } from '../errors';
import type { RequestDistribution } from '../load/rateSchedule';
import { parseComposingModels, type ModelId } from '../model/modelInfo';
import type { InputTensorFormat, OutputTensorFormat } from '../requests/preparedRequest';
import { parseHeaderOption } from './headerOption';
import { parseRange, type SearchRange } from './range';
import { parseRequestParameter } from './requestParameter';
import { normalizeGrpcTarget, normalizeServerUrl } from './serverUrl';
import { parseShapeOption } from './shapeOption';

/** The load to sweep. */
export type LoadMode = { kind: 'concurrency'; range: SearchRange } | { kind: 'rate'; range: SearchRange; distribution: RequestDistribution };

/** Resolved settings of one `siglip perf` run. */
export interface PerfOptions {
  model: string;
  modelVersion: string;
  url: URL;
  protocol: Protocol;
  load: LoadMode;
  requestCount: number;
  warmupRequestCount: number;
  measurementMode: 'time_windows' | 'count_windows';
  measurementIntervalMs: number;
  measurementRequestCount: number;
  stabilityPercentage: number;
  maxTrials: number;
  percentile: number | null;
  latencyThresholdMs: number;
  batchSize: number;
  inputData: string[];
  shapes: Record<string, number[]>;
  stringLength: number;
  stringData: string | undefined;
  inputTensorFormat: InputTensorFormat;
  outputTensorFormat: OutputTensorFormat;
  headers: Record<string, string>;
  requestParameters: Parameters;
  composingModels: ModelId[];
  maxThreads: number;
  csvFile: string | undefined;
  verboseCsv: boolean;
  jsonFile: string | undefined;
  htmlFile: string | undefined;
  verbose: boolean;
}

/** Raw settings as a command line gives them (strings) or a program does (numbers); all but model optional. */
export interface PerfOptionsInput {
  model: string;
  modelVersion?: string;
  url?: string;
  protocol?: string;
  concurrencyRange?: string;
  requestRateRange?: string;
  requestDistribution?: string;
  requestCount?: number | string;
  warmupRequestCount?: number | string;
  measurementMode?: string;
  measurementInterval?: number | string;
  measurementRequestCount?: number | string;
  stabilityPercentage?: number | string;
  maxTrials?: number | string;
  percentile?: number | string;
  latencyThreshold?: number | string;
  batchSize?: number | string;
  inputData?: string[];
  shape?: string[];
  stringLength?: number | string;
  stringData?: string;
  inputTensorFormat?: string;
  outputTensorFormat?: string;
  header?: string[];
  requestParameter?: string[];
  blsComposingModels?: string[];
  maxThreads?: number | string;
  filename?: string;
  verboseCsv?: boolean;
  json?: string;
  report?: string;
  verbose?: boolean;
}

function int(v: number | string | undefined, flag: string, def: number, min: number): number {
  if (v === undefined) return def;
  const n = typeof v === 'number' ? v : /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min) throw new PerfUsageError(`${flag} takes an integer of at least ${min}, got '${v}'`);
  return n;
}

function num(v: number | string | undefined, flag: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new PerfUsageError(`${flag} takes a positive number, got '${v}'`);
  return n;
}

function choice<T extends string>(v: string | undefined, flag: string, allowed: readonly T[], def: T): T {
  if (v === undefined) return def;
  const lower = v.toLowerCase() as T;
  if (!allowed.includes(lower)) throw new PerfUsageError(`${flag} takes ${allowed.join(' or ')}, got '${v}'`);
  return lower;
}

/** Checks and types the raw settings; every mistake is a PerfUsageError that says what to change. */
export function resolvePerfOptions(raw: PerfOptionsInput): PerfOptions {
  if (!raw.model) throw new PerfUsageError('-m MODEL is required, e.g. siglip perf -m siglip_vision');
  if (raw.concurrencyRange !== undefined && raw.requestRateRange !== undefined) {
    throw new PerfUsageError('give --concurrency-range or --request-rate-range, not both');
  }
  const latencyThresholdMs = int(raw.latencyThreshold, '--latency-threshold', 0, 0);
  let load: LoadMode;
  if (raw.requestRateRange !== undefined) {
    load = {
      kind: 'rate',
      range: parseRange(raw.requestRateRange, '--request-rate-range', false),
      distribution: choice(raw.requestDistribution, '--request-distribution', ['constant', 'poisson'] as const, 'constant'),
    };
  } else {
    if (raw.requestDistribution !== undefined) throw new PerfUsageError('--request-distribution only applies with --request-rate-range');
    load = { kind: 'concurrency', range: parseRange(raw.concurrencyRange ?? '1', '--concurrency-range', true) };
  }
  if (load.range.end === 0 && latencyThresholdMs === 0) {
    throw new PerfUsageError('the end of the search range and --latency-threshold can not both be 0: give an end, or a latency limit to stop at');
  }
  const protocol = choice(raw.protocol, '-i', ['http', 'grpc'] as const, 'http');
  const inputTensorFormat = choice(raw.inputTensorFormat, '--input-tensor-format', ['binary', 'json', 'raw'] as const, 'binary');
  const outputTensorFormat = choice(raw.outputTensorFormat, '--output-tensor-format', ['binary', 'json'] as const, 'binary');
  const batchSize = int(raw.batchSize, '-b', 1, 1);
  const requestParameters: Parameters = Object.fromEntries((raw.requestParameter ?? []).map(parseRequestParameter));
  if (inputTensorFormat === 'raw') {
    if (batchSize !== 1) throw new PerfUsageError('--input-tensor-format raw sends one batch-1 input per request: drop -b, or use --input-tensor-format binary');
    if (Object.keys(requestParameters).length) throw new PerfUsageError('--input-tensor-format raw has no JSON header to carry --request-parameter: use --input-tensor-format binary');
    if (outputTensorFormat === 'json') throw new PerfUsageError('a raw binary request is always answered in binary: drop --output-tensor-format json');
  }
  const percentile = raw.percentile === undefined || Number(raw.percentile) === -1 ? null : int(raw.percentile, '--percentile', 0, 1);
  if (percentile !== null && percentile > 99) throw new PerfUsageError(`--percentile takes 1 to 99 (or -1 for the average), got ${percentile}`);
  const maxEnd = load.range.end === 0 ? Infinity : Math.max(load.range.start, load.range.end);
  const threadsDefault = Math.min(4, availableParallelism(), load.kind === 'concurrency' ? maxEnd : Infinity);
  return {
    model: raw.model,
    modelVersion: raw.modelVersion ?? '',
    // perf_analyzer's defaults: Triton's HTTP port, or its gRPC port with -i grpc.
    url: protocol === 'grpc' ? normalizeGrpcTarget(raw.url ?? 'localhost:8001') : normalizeServerUrl(raw.url ?? '127.0.0.1:8000'),
    protocol,
    load,
    requestCount: int(raw.requestCount, '--request-count', 0, 0),
    warmupRequestCount: int(raw.warmupRequestCount, '--warmup-request-count', 0, 0),
    measurementMode: choice(raw.measurementMode, '--measurement-mode', ['time_windows', 'count_windows'] as const, 'time_windows'),
    measurementIntervalMs: int(raw.measurementInterval, '--measurement-interval', 5000, 1),
    measurementRequestCount: int(raw.measurementRequestCount, '--measurement-request-count', 50, 1),
    stabilityPercentage: num(raw.stabilityPercentage, '--stability-percentage', 10),
    maxTrials: int(raw.maxTrials, '--max-trials', 10, 1),
    percentile,
    latencyThresholdMs,
    batchSize,
    inputData: raw.inputData ?? [],
    shapes: Object.fromEntries((raw.shape ?? []).map(parseShapeOption)),
    stringLength: int(raw.stringLength, '--string-length', 128, 1),
    stringData: raw.stringData,
    inputTensorFormat,
    outputTensorFormat,
    headers: Object.fromEntries((raw.header ?? []).map(parseHeaderOption)),
    requestParameters,
    composingModels: (raw.blsComposingModels ?? []).flatMap(parseComposingModels),
    maxThreads: int(raw.maxThreads, '--max-threads', threadsDefault, 1),
    csvFile: raw.filename,
    verboseCsv: Boolean(raw.verboseCsv),
    jsonFile: raw.json,
    htmlFile: raw.report,
    verbose: Boolean(raw.verbose),
  };
}
