// Gateway overhead (issue 4): binary requests at concurrency 60 straight to the backend and through the Node
// gateway, and p50 latency at concurrency 1 both ways, all in one run against one backend.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTenantKey } from '../gateway/auth/keysFileWriter';
import { binaryPixelRequest, fixturePixels } from './e2e';
import { describeLoad, runLoad } from './loadgen';
import { startCli } from './processes';
import { renderTable, type BenchRow } from './table';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

/** Direct vs through-gateway throughput and latency with the binary protocol. */
export async function benchGateway(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'siglip-gw-bench-'));
  const keys = join(dir, 'keys.json');
  const { key } = await createTenantKey(keys, { tenant: 'bench', models: ['*'], rate: 1e6, burst: 1e6 });
  const backend = await startCli(['backend', '--port', '0', '--providers', 'cpu', '--log-level', 'info'], 'backend ready');
  const rows: BenchRow[] = [];
  try {
    const gateway = await startCli(['gateway', '--port', '0', '--backend', `gpu-1=${backend.url}`, '--keys', keys], 'gateway ready');
    try {
      const bin = binaryPixelRequest(fixturePixels());
      const direct = { url: `${backend.url}/v2/models/siglip_vision/infer`, body: bin.body, headers: bin.headers };
      const via = { ...direct, url: `${gateway.url}/v2/models/siglip_vision/infer`, headers: { ...bin.headers, authorization: `Bearer ${key}` } };
      // Interleave direct and gateway runs so drift on a shared machine hits both alike.
      const d60 = await runLoad(direct, { concurrency: 60, seconds: SECONDS, maxRequests: 50_000 });
      const g60 = await runLoad(via, { concurrency: 60, seconds: SECONDS, maxRequests: 50_000 });
      const d1 = await runLoad(direct, { concurrency: 1, seconds: SECONDS / 2, maxRequests: 5_000 });
      const g1 = await runLoad(via, { concurrency: 1, seconds: SECONDS / 2, maxRequests: 5_000 });
      const share = g60.rps / d60.rps;
      const added = g1.p50 - d1.p50;
      rows.push(
        { section: 'gateway (Node, CPU demo model)', measure: 'direct to backend, binary, c=60', result: describeLoad(d60) },
        { section: 'gateway (Node, CPU demo model)', measure: 'through the gateway, binary, c=60', result: describeLoad(g60), ratio: `${(share * 100).toFixed(0)}% of direct`, target: `≥ 75% ${share >= 0.75 ? '✔' : '✘'}` },
        { section: 'gateway (Node, CPU demo model)', measure: 'direct, binary, c=1', result: describeLoad(d1) },
        { section: 'gateway (Node, CPU demo model)', measure: 'through the gateway, binary, c=1', result: describeLoad(g1), ratio: `p50 +${added.toFixed(2)} ms`, target: `≤ +2 ms ${added <= 2 ? '✔' : '✘'}` },
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

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(renderTable(await benchGateway()));
