// What passing a 9 MB body on costs a Worker, by the way it is passed (issue 16): the floor under the Workers
// gateway's relay. One Worker (bench/workerd/relayOptions.worker.ts) under `wrangler dev` posts each seed-style JSON
// body to a loopback sink, one way per row; CPU per request is read from /proc for the Worker's workerd, around
// REQUESTS sequential requests. Opt-in: `npm run bench -- workersRelay`.
import { createServer } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildPixelRequest } from './jsonDecode';
import { renderTable, type BenchRow } from './table';
import { cpuOf, freePort, startDev, stopDev } from './workersCpu';

const WORKER = fileURLToPath(new URL('workerd/relayOptions.worker.ts', import.meta.url));
const REQUESTS = Number(process.env.BENCH_RELAY_REQUESTS ?? 30);

const MODES: [mode: string, what: string][] = [
  ['native', 'the request body stream handed to fetch as it is (no JavaScript sees the bytes; no check possible)'],
  ['read', 'read into JavaScript 256 KiB at a time (readAtLeast), not passed on: the cost of seeing the bytes'],
  ['relay256k', 'read 256 KiB at a time and written on through a FixedLengthStream: the gateway relay, without its check'],
  ['relay1m', 'the same, 1 MiB at a time'],
  ['whole', 'read whole (arrayBuffer), then posted'],
  ['blob', 'read 256 KiB at a time, kept, then posted as one Blob of the parts'],
  ['tee', 'tee: one branch piped on natively, the other read by JavaScript'],
];

export async function benchWorkersRelayOptions(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'siglip-workers-relay-'));
  const sink = createServer((req, res) => {
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => res.end(String(n)));
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const { port: sinkPort } = sink.address() as { port: number };
  const section = `Workers: passing a 9 MB body on, by the way it is passed (workerd CPU per request, /proc; ${REQUESTS} sequential requests each)`;
  const rows: BenchRow[] = [];
  try {
    await writeFile(join(dir, 'wrangler.toml'), `name = "relay-options"\nmain = ${JSON.stringify(WORKER)}\ncompatibility_date = "2026-04-01"\n`);
    const dev = await startDev(dir, await freePort(), { SINK: `http://127.0.0.1:${sinkPort}/` });
    try {
      const body = new Uint8Array(buildPixelRequest(7));
      const post = async (mode: string) => {
        const answer = await fetch(`${dev.url}/?mode=${mode}`, { method: 'POST', body });
        const text = await answer.text();
        if (text !== String(body.length)) throw new Error(`mode ${mode}: the sink counted ${text}, not ${body.length} bytes`);
      };
      for (const [mode, what] of MODES) {
        for (let i = 0; i < 3; i++) await post(mode);
        const before = cpuOf(dev.worker);
        for (let i = 0; i < REQUESTS; i++) await post(mode);
        rows.push({ section, measure: what, result: `${((cpuOf(dev.worker) - before) / REQUESTS).toFixed(2)} ms` });
      }
    } finally {
      await stopDev(dev);
    }
  } finally {
    sink.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(renderTable(await benchWorkersRelayOptions()));
