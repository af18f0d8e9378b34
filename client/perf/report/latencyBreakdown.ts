// Where a request's client-side latency went, in perf_analyzer's CSV terms (ReportWriter::GenerateReport,
// src/c++/perf_analyzer/report_writer.cc in triton-inference-server/client @0401e1a):
//   latency = Client Send + Network+Server Send/Recv + Server Queue + Server Compute (Input+Infer+Output) + Client Recv
// "Network+Server Send/Recv" is what is left of the client's wait after the server's queue and compute time,
// floored at 0 because it subtracts figures measured on two different machines' clocks.
import type { PerfStatus } from '../measure/perfStatus';
import { type ServerAverages, serverAverages } from '../measure/serverStats';

/** The latency components of one load point, in usec (integers, as perf_analyzer writes them). */
export interface LatencyBreakdown {
  clientSendUs: number;
  networkServerSendRecvUs: number;
  serverQueueUs: number;
  serverComputeInputUs: number;
  serverComputeInferUs: number;
  serverComputeOutputUs: number;
  clientRecvUs: number;
}

/** The breakdown of a point (server parts 0 without server stats), and whether the network part was floored. */
export function latencyBreakdown(s: PerfStatus): { breakdown: LatencyBreakdown; floored: boolean } {
  const c = s.client;
  const waitNs = c.avgLatencyNs - c.avgSendTimeNs - c.avgReceiveTimeNs;
  let server: Omit<ServerAverages, 'requestUs' | 'overheadUs' | 'computeUs'> = { queueUs: 0, computeInputUs: 0, computeInferUs: 0, computeOutputUs: 0 };
  let accountedNs = 0;
  let floored = false;
  // Without server stats the whole wait is unattributed (the CSV then has no server columns at all).
  let networkNs = Math.max(0, waitNs);
  if (s.server) {
    const st = s.server;
    // report_writer.cc averages in ns first (integer division), then divides by 1000 when writing.
    const avgNs = (t: number, n: number) => (n > 0 ? Math.floor(t / n) : 0);
    serverAverages(st); // refuses unequal compute counts, as the report writer does
    const queueNs = avgNs(st.queueTimeNs, st.queueCount);
    const computeNs = avgNs(st.computeInputTimeNs + st.computeInferTimeNs + st.computeOutputTimeNs, st.computeInputCount);
    accountedNs = queueNs + computeNs + avgNs(st.cacheHitTimeNs, st.cacheHitCount) + avgNs(st.cacheMissTimeNs, st.cacheMissCount);
    networkNs = waitNs > accountedNs ? waitNs - accountedNs : 0;
    floored = networkNs === 0;
    server = {
      queueUs: Math.floor(queueNs / 1000),
      computeInputUs: Math.floor(avgNs(st.computeInputTimeNs, st.computeInputCount) / 1000),
      computeInferUs: Math.floor(avgNs(st.computeInferTimeNs, st.computeInferCount) / 1000),
      computeOutputUs: Math.floor(avgNs(st.computeOutputTimeNs, st.computeOutputCount) / 1000),
    };
  }
  return {
    breakdown: {
      clientSendUs: Math.floor(c.avgSendTimeNs / 1000),
      networkServerSendRecvUs: Math.floor(networkNs / 1000),
      serverQueueUs: server.queueUs,
      serverComputeInputUs: server.computeInputUs,
      serverComputeInferUs: server.computeInferUs,
      serverComputeOutputUs: server.computeOutputUs,
      clientRecvUs: Math.floor(c.avgReceiveTimeNs / 1000),
    },
    floored,
  };
}
