// CPU per request, per thread (issue 16): seed-style 9 MB JSON and binary requests, c=16, against the compute-free
// siglip_vision, straight to the backend and through the Node gateway; plus JSON requests/s at c=60 both ways.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTenantKey } from '../gateway/auth/keysFileWriter';
import { decodeJsonInferRequest } from '../shared/codec/jsonInferRequest';
import { binaryPixelRequest, fixturePixels } from './e2e';
import { buildPixelRequest } from './jsonDecode';
import { describeLoad, runLoad, type LoadRequest, type LoadResult } from './loadgen';
import { writeNullModelRepository } from './nullModel';
import { startCli, type ChildServer } from './processes';
import { median, renderTable, type BenchRow } from './table';
import { cpuPerRequest, describeCpu } from './threadCpu';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const pidOf = (s: ChildServer) => s.child.pid!;

/** Median single-thread time of the JSON decode of `body`: what the CPU per JSON request is compared with. */
function decodeMs(body: Uint8Array): number {
  for (let i = 0; i < 3; i++) decodeJsonInferRequest(body);
  const t: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    decodeJsonInferRequest(body);
    t.push(performance.now() - t0);
  }
  return median(t);
}

export async function benchCpuPerRequest(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'siglip-cpu-bench-'));
  const repo = await writeNullModelRepository(join(dir, 'repo'));
  const keys = join(dir, 'keys.json');
  const { key } = await createTenantKey(keys, { tenant: 'bench', models: ['*'], rate: 1e6, burst: 1e6 });
  const jsonBody = buildPixelRequest(7);
  const bin = binaryPixelRequest(fixturePixels());
  const decode = decodeMs(jsonBody);
  const backendArgs = ['backend', '--port', '0', '--no-metrics-port', '--providers', 'cpu', '--model-repository', repo, '--log-level', 'info'];
  const rows: BenchRow[] = [];
  const section = 'CPU per request (per thread, /proc; compute-free siglip_vision)';
  const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const at = (req: LoadRequest, concurrency: number) => () => runLoad(req, { concurrency, seconds: SECONDS, maxRequests: 20_000 });
  const measured = async (pid: number, req: LoadRequest) => cpuPerRequest(pid, at(req, 16));
  // The option the HTTP threads replace: every request's HTTP work on the one event loop (--http-threads 0).
  const single = await startCli([...backendArgs, '--http-threads', '0'], 'backend ready');
  try {
    const req: LoadRequest = { url: `${single.url}/v2/models/siglip_vision/infer`, body: jsonBody, headers: { 'content-type': 'application/json' } };
    const one = await measured(pidOf(single), req);
    const c60 = await at(req, 60)();
    rows.push(
      { section, measure: 'backend --http-threads 0 (one event loop), seed-style 9 MB JSON, c=16', result: describeCpu(one.perRequest), ratio: `total ${total(one.perRequest).toFixed(1)} ms` },
      { section, measure: 'JSON req/s, direct, --http-threads 0, c=60', result: describeLoad(c60) },
    );
  } finally {
    await single.stop();
  }
  // The default: HTTP threads (half the cores, 1 to 8) accept on the API port.
  const backend = await startCli(backendArgs, 'backend ready');
  try {
    const gateway = await startCli(['gateway', '--port', '0', '--backend', `gpu-1=${backend.url}`, '--keys', keys, '--log-level', 'info'], 'gateway ready');
    try {
      const infer = (base: string, auth: boolean): { json: LoadRequest; binary: LoadRequest } => {
        const authHeader: Record<string, string> = auth ? { authorization: `Bearer ${key}` } : {};
        return {
          json: { url: `${base}/v2/models/siglip_vision/infer`, body: jsonBody, headers: { 'content-type': 'application/json', ...authHeader } },
          binary: { url: `${base}/v2/models/siglip_vision/infer`, body: bin.body, headers: { ...bin.headers, ...authHeader } },
        };
      };
      const direct = infer(backend.url, false);
      const via = infer(gateway.url, true);

      const bj = await measured(pidOf(backend), direct.json);
      const bb = await measured(pidOf(backend), direct.binary);
      rows.push(
        { section, measure: 'decode bench: decodeJsonInferRequest of the 9 MB body, one thread', result: `${decode.toFixed(1)} ms (median of 10)` },
        {
          section,
          measure: 'backend (default HTTP threads), seed-style 9 MB JSON, c=16',
          result: describeCpu(bj.perRequest),
          ratio: `total ${total(bj.perRequest).toFixed(1)} ms = ${(total(bj.perRequest) / decode).toFixed(2)}× the decode bench`,
          target: `main ≤ 1.5 ms ${bj.perRequest.main <= 1.5 ? '✔' : '✘'}; total ≤ 1.3× ${total(bj.perRequest) <= 1.3 * decode ? '✔' : '✘'}`,
        },
        { section, measure: 'backend, binary 1.77 MB, c=16', result: describeCpu(bb.perRequest), ratio: describeLoad(bb.result) },
      );
      const gj = await measured(pidOf(gateway), via.json);
      const gb = await measured(pidOf(gateway), via.binary);
      rows.push(
        { section, measure: 'Node gateway, seed-style 9 MB JSON, c=16', result: describeCpu(gj.perRequest), target: `main ≤ 3 ms ${gj.perRequest.main <= 3 ? '✔' : '✘'}` },
        { section, measure: 'Node gateway, binary 1.77 MB, c=16', result: describeCpu(gb.perRequest) },
      );
      const d60: LoadResult = await at(direct.json, 60)();
      const g60: LoadResult = await at(via.json, 60)();
      const share = g60.rps / d60.rps;
      rows.push(
        { section, measure: 'JSON req/s, direct, c=60', result: describeLoad(d60) },
        { section, measure: 'JSON req/s, through the Node gateway, c=60', result: describeLoad(g60), ratio: `${(share * 100).toFixed(0)}% of direct`, target: `≥ 80% ${share >= 0.8 ? '✔' : '✘'}` },
      );
    } finally {
      await gateway.stop();
    }
  } finally {
    await backend.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(renderTable(await benchCpuPerRequest()));
