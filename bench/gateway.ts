// Gateway overhead (issue 4): binary requests at concurrency 60 straight to the backend and through the Node
// gateway, and p50 latency at concurrency 1 both ways, all in one run against one backend. A bare relay
// (bench/minimalProxy.mjs) is measured beside them at c=1: the cost of any Node hop on this machine.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTenantKey } from '../gateway/auth/keysFileWriter';
import { binaryPixelRequest, fixturePixels } from './e2e';
import { describeLoad, loadResult, runLoad, type LoadRequest, type LoadResult } from './loadgen';
import { startCli, startScript } from './processes';
import { renderTable, type BenchRow } from './table';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
// c=1 latency is sampled in short rounds that alternate between the routes, so drift on a shared machine
// (another tenant's load, CPU frequency) lands on all of them alike.
const LATENCY_ROUNDS = 6;
const MINIMAL_PROXY = fileURLToPath(new URL('./minimalProxy.mjs', import.meta.url));

/** Direct vs through-gateway throughput and latency with the binary protocol. */
export async function benchGateway(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'siglip-gw-bench-'));
  const keys = join(dir, 'keys.json');
  const { key } = await createTenantKey(keys, { tenant: 'bench', models: ['*'], rate: 1e6, burst: 1e6 });
  const backend = await startCli(['backend', '--port', '0', '--providers', 'cpu', '--log-level', 'info'], 'backend ready');
  const rows: BenchRow[] = [];
  try {
    const gateway = await startCli(['gateway', '--port', '0', '--backend', `gpu-1=${backend.url}`, '--keys', keys], 'gateway ready');
    const proxy = await startScript(MINIMAL_PROXY, [backend.url], 'proxy ready');
    try {
      const bin = binaryPixelRequest(fixturePixels());
      const direct: LoadRequest = { url: `${backend.url}/v2/models/siglip_vision/infer`, body: bin.body, headers: bin.headers };
      const via: LoadRequest = { ...direct, url: `${gateway.url}/v2/models/siglip_vision/infer`, headers: { ...bin.headers, authorization: `Bearer ${key}` } };
      const bare: LoadRequest = { ...direct, url: `${proxy.url}/v2/models/siglip_vision/infer` };
      // Interleave direct and gateway runs so drift on a shared machine hits both alike.
      const d60 = await runLoad(direct, { concurrency: 60, seconds: SECONDS, maxRequests: 50_000 });
      const g60 = await runLoad(via, { concurrency: 60, seconds: SECONDS, maxRequests: 50_000 });
      const [d1, g1, p1] = await alternate([direct, via, bare], SECONDS / 2 / LATENCY_ROUNDS, LATENCY_ROUNDS);
      const share = g60.rps / d60.rps;
      const added = g1.p50 - d1.p50;
      const section = 'gateway (Node, CPU demo model)';
      const c1 = `c=1, ${LATENCY_ROUNDS} alternating rounds`;
      rows.push(
        { section, measure: 'direct to backend, binary, c=60', result: describeLoad(d60) },
        { section, measure: 'through the gateway, binary, c=60', result: describeLoad(g60), ratio: `${(share * 100).toFixed(0)}% of direct`, target: `≥ 75% ${share >= 0.75 ? '✔' : '✘'}` },
        { section, measure: `direct, binary, ${c1}`, result: describeLoad(d1) },
        { section, measure: `through the gateway, binary, ${c1}`, result: describeLoad(g1), ratio: `p50 +${added.toFixed(2)} ms`, target: `≤ +2 ms ${added <= 2 ? '✔' : '✘'}` },
        { section, measure: `reference: bare Node relay (bench/minimalProxy.mjs), ${c1}`, result: describeLoad(p1), ratio: `p50 +${(p1.p50 - d1.p50).toFixed(2)} ms` },
      );
    } finally {
      await proxy.stop();
      await gateway.stop();
    }
  } finally {
    await backend.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

/** Runs each request at c=1 for `seconds`, in turn, `rounds` times; pools each one's latencies. */
async function alternate(reqs: LoadRequest[], seconds: number, rounds: number): Promise<LoadResult[]> {
  const runs: LoadResult[][] = reqs.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, req] of reqs.entries()) runs[i].push(await runLoad(req, { concurrency: 1, seconds, maxRequests: 5_000, warmup: r === 0 ? 5 : 1 }));
  }
  const sum = (rs: LoadResult[], f: (r: LoadResult) => number) => rs.reduce((a, r) => a + f(r), 0);
  return runs.map((rs) => loadResult(rs.flatMap((r) => r.latencies), sum(rs, (r) => r.ok), sum(rs, (r) => r.failed), sum(rs, (r) => r.seconds)));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(renderTable(await benchGateway()));
