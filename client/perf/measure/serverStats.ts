// Server-side figures from Triton's statistics extension: per-window deltas (InferenceProfiler::
// SummarizeServerStatsHelper), merging (MergeServerSideStats) and the averages and overhead perf_analyzer prints
// (ReportServerSideStats, GetOverheadDuration) — src/inference_profiler.cc, perf_analyzer @069e403.
import type { ModelId } from '../model/modelInfo';
import { emptyServerStats, type ServerSideStats } from './perfStatus';

/** One `model_stats[]` entry of GET /v2/models/{m}/stats, as Triton (and this project's backend) serves it. */
export interface TritonModelStats {
  name: string;
  version: string;
  inference_count?: number;
  execution_count?: number;
  inference_stats?: Partial<Record<'success' | 'fail' | 'queue' | 'compute_input' | 'compute_infer' | 'compute_output' | 'cache_hit' | 'cache_miss', { count?: number; ns?: number }>>;
}

/** Every model's stats at one instant, keyed by name, then version. */
export type StatsSnapshot = Map<string, Map<string, TritonModelStats>>;

/** The composing models of each model that has any (parent name -> models). */
export type ComposingTree = Map<string, ModelId[]>;

/** Indexes `model_stats` entries by name and version. */
export function indexModelStats(entries: readonly TritonModelStats[], into: StatsSnapshot = new Map()): StatsSnapshot {
  for (const e of entries) {
    let byVersion = into.get(e.name);
    if (!byVersion) into.set(e.name, (byVersion = new Map<string, TritonModelStats>()));
    byVersion.set(String(e.version), e);
  }
  return into;
}

/**
 * The version whose stats to read (DetermineStatsModelVersion): the given one, else the highest version whose
 * queue count grew during the window. Falls back to the highest version listed when none grew.
 */
export function statsVersion(id: ModelId, start: StatsSnapshot, end: StatsSnapshot): string | undefined {
  const versions = end.get(id.name);
  if (!versions) return undefined;
  if (id.version) return versions.has(id.version) ? id.version : undefined;
  const grown = [...versions.values()].filter((e) => queueCount(e) > queueCount(start.get(id.name)?.get(String(e.version))));
  const pool = grown.length ? grown : [...versions.values()];
  return String(pool.reduce((best, e) => (Number(e.version) > Number(best.version) ? e : best)).version);
}

/**
 * The delta of `id`'s stats between two snapshots, with its composing models (recursively) under `composing`.
 * A model missing from the end snapshot is an error ("missing statistics for requested model").
 */
export function serverStatsDelta(id: ModelId, start: StatsSnapshot, end: StatsSnapshot, tree: ComposingTree): ServerSideStats {
  const version = statsVersion(id, start, end);
  const e = version === undefined ? undefined : end.get(id.name)?.get(version);
  if (!e || version === undefined) throw new Error(`missing statistics for requested model ${id.name}${id.version ? ` version ${id.version}` : ''}`);
  const s = start.get(id.name)?.get(version);
  const d = (pick: (x: TritonModelStats | undefined) => number) => pick(e) - pick(s);
  const stat = (k: keyof NonNullable<TritonModelStats['inference_stats']>, f: 'count' | 'ns') => (x: TritonModelStats | undefined) => x?.inference_stats?.[k]?.[f] ?? 0;
  const out: ServerSideStats = {
    inferenceCount: d((x) => x?.inference_count ?? 0),
    executionCount: d((x) => x?.execution_count ?? 0),
    successCount: d(stat('success', 'count')),
    cummTimeNs: d(stat('success', 'ns')),
    queueCount: d(stat('queue', 'count')),
    queueTimeNs: d(stat('queue', 'ns')),
    computeInputCount: d(stat('compute_input', 'count')),
    computeInputTimeNs: d(stat('compute_input', 'ns')),
    computeInferCount: d(stat('compute_infer', 'count')),
    computeInferTimeNs: d(stat('compute_infer', 'ns')),
    computeOutputCount: d(stat('compute_output', 'count')),
    computeOutputTimeNs: d(stat('compute_output', 'ns')),
    cacheHitCount: d(stat('cache_hit', 'count')),
    cacheHitTimeNs: d(stat('cache_hit', 'ns')),
    cacheMissCount: d(stat('cache_miss', 'count')),
    cacheMissTimeNs: d(stat('cache_miss', 'ns')),
    composing: new Map(),
  };
  for (const child of tree.get(id.name) ?? []) {
    const childStats = serverStatsDelta(child, start, end, tree);
    out.composing.set(`${child.name}:${statsVersion(child, start, end)}`, childStats);
  }
  return out;
}

/** Sums the windows' server stats (MergeServerSideStats), composing models included. */
export function mergeServerStats(list: readonly ServerSideStats[]): ServerSideStats {
  const out = emptyServerStats();
  const keys = Object.keys(out).filter((k) => k !== 'composing') as (keyof Omit<ServerSideStats, 'composing'>)[];
  for (const s of list) for (const k of keys) out[k] += s[k];
  const first = list[0];
  if (first) {
    for (const s of list) {
      if (s.composing.size !== first.composing.size) throw new Error('Inconsistent ensemble setting detected between the trials.');
    }
    for (const key of first.composing.keys()) out.composing.set(key, mergeServerStats(list.map((s) => s.composing.get(key) ?? emptyServerStats())));
  }
  return out;
}

/** uint64 average in usec, as AverageDurationInUs: total / (count * 1000), 0 when there is no count. */
export function averageUs(totalNs: number, count: number): number {
  return count === 0 ? 0 : Math.floor(totalNs / (count * 1000));
}

/** The per-request averages perf_analyzer reports for one model, in usec. */
export interface ServerAverages {
  /** Avg request latency: success ns over the success count. */
  requestUs: number;
  queueUs: number;
  computeInputUs: number;
  computeInferUs: number;
  computeOutputUs: number;
  /** Input + infer + output time over the (common) compute count. */
  computeUs: number;
  /** What the request latency leaves after queue and compute, floored at 0 (GetOverheadDuration). */
  overheadUs: number;
}

/**
 * Averages of one model's stats. The three compute counts must be equal; perf_analyzer refuses the stats
 * otherwise, and so does this ("Server side statistics compute counts must be the same.").
 */
export function serverAverages(s: ServerSideStats): ServerAverages {
  if (s.computeInputCount !== s.computeInferCount || s.computeInferCount !== s.computeOutputCount) {
    throw new Error(`Server side statistics compute counts must be the same. (compute_input ${s.computeInputCount}, compute_infer ${s.computeInferCount}, compute_output ${s.computeOutputCount})`);
  }
  const requestUs = averageUs(s.cummTimeNs, s.successCount);
  const queueUs = averageUs(s.queueTimeNs, s.queueCount);
  const computeUs = averageUs(s.computeInputTimeNs + s.computeInferTimeNs + s.computeOutputTimeNs, s.computeInputCount);
  return {
    requestUs,
    queueUs,
    computeInputUs: averageUs(s.computeInputTimeNs, s.computeInputCount),
    computeInferUs: averageUs(s.computeInferTimeNs, s.computeInferCount),
    computeOutputUs: averageUs(s.computeOutputTimeNs, s.computeOutputCount),
    computeUs,
    overheadUs: overheadDuration(requestUs, queueUs, computeUs),
  };
}

/** GetOverheadDuration: total - queue - compute, or 0 when they exceed the total. */
export function overheadDuration(total: number, queue: number, compute: number): number {
  return total > queue + compute ? total - queue - compute : 0;
}

/**
 * For an ensemble or BLS model: queue and compute summed over its composing models (GetTotalEnsembleDurations),
 * each averaged per its own counts; nested ensembles recurse.
 */
export function ensembleTotals(s: ServerSideStats): { queueUs: number; computeUs: number } {
  let queueUs = 0;
  let computeUs = 0;
  for (const child of s.composing.values()) {
    if (child.composing.size === 0) {
      const a = serverAverages(child);
      queueUs += a.queueUs;
      computeUs += a.computeUs;
    } else {
      const t = ensembleTotals(child);
      queueUs += t.queueUs;
      computeUs += t.computeUs;
    }
  }
  return { queueUs, computeUs };
}

function queueCount(e: TritonModelStats | undefined): number {
  return e?.inference_stats?.queue?.count ?? 0;
}
