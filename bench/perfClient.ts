// How much load `siglip perf` itself can drive, so its numbers are the server's and not the client's (issue 13:
// "the client must not be what is measured"). One sender thread (--max-threads 1) against a loopback stub that
// answers every infer with a fixed binary reply without parsing anything, then against the real backend with
// the compute-free siglip_vision, and bench/loadgen.ts right after on that same server and concurrency.
import { Worker } from 'node:worker_threads';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePerfOptions, type PerfOptionsInput } from '../client/perf/options/perfOptions';
import { runPerf } from '../client/perf/runPerf';
import { binaryPixelRequest, fixturePixels } from './e2e';
import { describeLoad, runLoad, type LoadResult } from './loadgen';
import { writeNullModelRepository } from './nullModel';
import { startCli } from './processes';
import { median, type BenchRow } from './table';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = 60;
const ROUNDS = 2;

// The stub runs in its own thread, so on a 2-core machine it and the one sender thread each have a core. Plain
// JavaScript, evaluated as the worker's source.
const STUB_SOURCE = `
const { createServer } = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { dims } = workerData;
const metadata = JSON.stringify({
  name: 'siglip_vision', versions: ['1'], platform: 'stub',
  inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [-1, ...dims] }],
  outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 64] }],
});
const config = JSON.stringify({ name: 'siglip_vision', max_batch_size: 32 });
const header = Buffer.from(JSON.stringify({ model_name: 'siglip_vision', outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [1, 64], parameters: { binary_data_size: 256 } }] }));
const reply = Buffer.concat([header, Buffer.alloc(256)]);
const replyHeaders = { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length), 'content-length': String(reply.length) };
const server = createServer((req, res) => {
  if (req.method === 'POST') {
    req.on('data', () => {});
    req.on('end', () => res.writeHead(200, replyHeaders).end(reply));
    return;
  }
  const body = req.url === '/v2/models/siglip_vision' ? metadata : req.url === '/v2/models/siglip_vision/config' ? config : null;
  if (body === null) res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not served by the stub"}');
  else res.writeHead(200, { 'content-type': 'application/json' }).end(body);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => server.close(() => process.exit(0)));
`;

/**
 * A KServe v2 stand-in for one model, in a worker thread: it reads and drops each infer body unparsed and sends
 * the same small binary reply; it serves metadata and config, and no statistics.
 */
async function startStubServer(dims: number[]): Promise<{ url: string; close(): Promise<void> }> {
  const worker = new Worker(STUB_SOURCE, { eval: true, workerData: { dims } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('close');
      }),
  };
}

/** One point of `siglip perf` with one sender thread; returns its throughput and p50. */
async function perfPoint(url: string, extra: Partial<PerfOptionsInput> = {}): Promise<{ ips: number; p50Ms: number; p99Ms: number; requests: number; busyPct: number }> {
  const o = resolvePerfOptions({
    model: 'siglip_vision',
    url,
    concurrencyRange: String(CONCURRENCY),
    maxThreads: 1,
    measurementInterval: Math.round((SECONDS * 1000) / 4),
    stabilityPercentage: 25,
    ...extra,
  });
  const r = await runPerf(o, { out: () => {}, err: () => {} });
  const c = r.statuses[0].client;
  return { ips: c.inferPerSec, p50Ms: c.percentileLatencyNs.get(50)! / 1e6, p99Ms: c.percentileLatencyNs.get(99)! / 1e6, requests: c.requestCount, busyPct: r.statuses[0].overheadPct };
}

// The sender thread's busy share (its event loop's utilization) says whether the client or the other side was
// the limit: a thread busy 60% of the time could have sent about 1/0.6 as much.
const fmt = (p: { ips: number; p50Ms: number; p99Ms: number; requests: number; busyPct: number }) =>
  `${p.ips.toFixed(1)} infer/s; p50 ${p.p50Ms.toFixed(2)} ms, p99 ${p.p99Ms.toFixed(2)} ms; sender thread busy ${p.busyPct.toFixed(0)}% (${p.requests} requests in the 3 stable windows)`;

/** The perf client's ceiling, the backend it is meant to measure, and loadgen's figure on that same backend. */
export async function benchPerfClient(): Promise<BenchRow[]> {
  const section = `siglip perf client (1 sender thread, c=${CONCURRENCY}, binary)`;
  // Stub: siglip_vision's real input (1.77 MB per request), then a 1 KB input (the per-request ceiling).
  const full = await startStubServer([3, 384, 384]);
  let stubFull, stubSmall;
  try {
    stubFull = await perfPoint(full.url);
  } finally {
    await full.close();
  }
  const small = await startStubServer([256]);
  try {
    stubSmall = await perfPoint(small.url);
  } finally {
    await small.close();
  }
  // What the backend serves: the demo siglip_vision on CPU.
  const demo = await startCli(['backend', '--port', '0', '--providers', 'cpu', '--log-level', 'info'], 'backend ready');
  let demoServed;
  try {
    demoServed = await perfPoint(demo.url);
  } finally {
    await demo.stop();
  }
  // The real backend with the compute-free model (bench/nullModel.ts): what the server path serves by itself.
  const repo = await writeNullModelRepository(await mkdtemp(join(tmpdir(), 'siglip-null-model-')));
  const backend = await startCli(['backend', '--port', '0', '--providers', 'cpu', '--log-level', 'info', '--model-repository', repo], 'backend ready');
  // Alternating rounds (perf, loadgen, perf, loadgen), so a noisy neighbour on the machine hits both alike.
  const perfRounds: Awaited<ReturnType<typeof perfPoint>>[] = [];
  const loadRounds: LoadResult[] = [];
  try {
    const bin = binaryPixelRequest(fixturePixels());
    for (let round = 0; round < ROUNDS; round++) {
      perfRounds.push(await perfPoint(backend.url));
      loadRounds.push(await runLoad({ url: `${backend.url}/v2/models/siglip_vision/infer`, body: bin.body, headers: bin.headers }, { concurrency: CONCURRENCY, seconds: SECONDS, maxRequests: 50_000 }));
    }
  } finally {
    await backend.stop();
    await rm(repo, { recursive: true, force: true });
  }
  const served = perfRounds.reduce((a, b) => (a.ips >= b.ips ? a : b));
  const perfMedian = median(perfRounds.map((r) => r.ips));
  const loadMedian = median(loadRounds.map((r) => r.rps));
  const loadgen = loadRounds.reduce((a, b) => (a.rps >= b.rps ? a : b));
  const headroom = stubFull.ips / demoServed.ips;
  const agreement = perfMedian / loadMedian;
  return [
    {
      section,
      measure: 'against a stub that drops each body unparsed: siglip_vision input, 1.77 MB per request',
      result: fmt(stubFull),
      ratio: `${headroom.toFixed(1)}× the backend with the demo model; ${(stubFull.ips / perfMedian).toFixed(1)}× its compute-free ceiling`,
      target: `≥ 3× the demo model ${headroom >= 3 ? '✔' : '✘'}`,
    },
    { section, measure: 'against the same stub with a 1 KB input (per-request ceiling)', result: fmt(stubSmall) },
    { section, measure: 'against the backend, demo siglip_vision on CPU (what the backend serves)', result: fmt(demoServed) },
    {
      section,
      measure: `against the backend, compute-free siglip_vision (bench/nullModel.ts); best of ${ROUNDS} rounds`,
      result: `${fmt(served)}; median ${perfMedian.toFixed(1)} infer/s`,
    },
    {
      section,
      measure: `bench/loadgen.ts alternating with it, same backend and concurrency; best of ${ROUNDS}`,
      result: `${describeLoad(loadgen)}; median ${loadMedian.toFixed(1)} req/s`,
      ratio: `siglip perf / loadgen = ${agreement.toFixed(3)} (medians)`,
      target: `within 10% ${Math.abs(agreement - 1) <= 0.1 ? '✔' : '✘'}`,
    },
  ];
}
