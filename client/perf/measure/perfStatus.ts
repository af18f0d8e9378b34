// The figures of one measurement, named after perf_analyzer's structs in src/inference_profiler.h
// (ClientSideStats, ServerSideStats, PerfStatus). Times are integer nanoseconds unless a name says otherwise.

/** One completed request as a sender recorded it (RequestRecord in perf_analyzer). */
export interface RequestRecord {
  startNs: number;
  endNs: number;
  /** From the start until the body was handed to the socket. */
  sendNs: number;
  /** From the first response byte to the last. */
  recvNs: number;
  /** Sent more than the 1 ms delay tolerance after its scheduled time (request-rate mode). */
  delayed: boolean;
}

/** Client-side figures of a window, or of the merged stable windows. */
export interface ClientSideStats {
  requestCount: number;
  delayedRequestCount: number;
  durationNs: number;
  avgLatencyNs: number;
  /** Sample standard deviation in usec; Infinity for a single request (perf_analyzer prints UINT64_MAX). */
  stdUs: number;
  /** Percentile -> latency, in ascending percentile order (50, 90, 95, 99, and --percentile). */
  percentileLatencyNs: Map<number, number>;
  /** Every valid latency, sorted. */
  latencies: number[];
  completedCount: number;
  avgRequestTimeNs: number;
  avgSendTimeNs: number;
  avgReceiveTimeNs: number;
  inferPerSec: number;
}

/** Server-side statistics deltas of one model over a window (Triton statistics extension fields). */
export interface ServerSideStats {
  inferenceCount: number;
  executionCount: number;
  successCount: number;
  /** Sum of success.ns: each request's time in the server ("cumm_time" in perf_analyzer). */
  cummTimeNs: number;
  queueCount: number;
  queueTimeNs: number;
  computeInputCount: number;
  computeInputTimeNs: number;
  computeInferCount: number;
  computeInferTimeNs: number;
  computeOutputCount: number;
  computeOutputTimeNs: number;
  cacheHitCount: number;
  cacheHitTimeNs: number;
  cacheMissCount: number;
  cacheMissTimeNs: number;
  /** Composing models (ensemble steps, BLS models), keyed "name" + ":" + version. */
  composing: Map<string, ServerSideStats>;
}

/** One load point's result. */
export interface PerfStatus {
  /** Set in concurrency mode (0 otherwise). */
  concurrency: number;
  /** Set in request-rate mode (0 otherwise). */
  requestRate: number;
  batchSize: number;
  client: ClientSideStats;
  /** Absent when the server does not serve statistics (e.g. a gateway that hides them). */
  server: ServerSideStats | null;
  /** The latency stability is judged on: the average, or the --percentile latency. */
  stabilizingLatencyNs: number;
  /** Requests sent per second (request-rate mode's offered load as actually sent). */
  sendRequestRate: number;
  /** Percent of the window the sender threads were busy (perf_analyzer's overhead_pct). */
  overheadPct: number;
}

/** An all-zero ServerSideStats. */
export function emptyServerStats(): ServerSideStats {
  return {
    inferenceCount: 0, executionCount: 0, successCount: 0, cummTimeNs: 0,
    queueCount: 0, queueTimeNs: 0, computeInputCount: 0, computeInputTimeNs: 0,
    computeInferCount: 0, computeInferTimeNs: 0, computeOutputCount: 0, computeOutputTimeNs: 0,
    cacheHitCount: 0, cacheHitTimeNs: 0, cacheMissCount: 0, cacheMissTimeNs: 0,
    composing: new Map(),
  };
}
