// CPU per request of the Workers gateway under `wrangler dev` (issue 16): seed-style 9 MB JSON and binary requests
// through the Worker to a real backend with the compute-free siglip_vision, CPU read per process from
// /proc/<pid>/task/*/stat of the workerd that runs the Worker. Loopback only, bounded in time and count.
//
// `wrangler dev` starts two workerd processes: the one that runs the Worker, and a proxy in front of it that
// holds the public port (a dev-server convenience with no counterpart when deployed); both are reported.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateApiKey } from '../gateway/auth/apiKey';
import type { KvKeyRecord } from '../gateway/auth/kvKeyStore';
import { binaryPixelRequest, fixturePixels } from './e2e';
import { buildPixelRequest } from './jsonDecode';
import { describeLoad, runLoad, type LoadRequest } from './loadgen';
import { writeNullModelRepository } from './nullModel';
import { startCli } from './processes';
import { renderTable, type BenchRow } from './table';
import { cpuPerRequest, describeCpu, readThreadTimes } from './threadCpu';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
// workerd runs a Worker's requests on one thread: a few at a time keep it busy without queueing 9 MB bodies.
const CONCURRENCY = Number(process.env.BENCH_WORKERS_CONCURRENCY ?? 4);
// Offline and quiet, as the Worker tests run (vitest.workers.config.ts).
const WRANGLER_ENV = { WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** Runs wrangler to its end (a `kv key put`); rejects with its output when it fails. */
function wrangler(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], { cwd, env: { ...process.env, ...WRANGLER_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`wrangler ${args[0]} exited with ${code}: ${out.slice(-2000)}`))));
  });
}

export interface DevServer {
  url: string;
  child: ChildProcess;
  /** The workerd that runs the Worker, and the dev proxy in front of it. */
  worker: number;
  proxy: number;
}

/** Descendants of `pid` (by /proc/<n>/stat's parent pid). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) if (pp === p) { out.push(child); walk(child); }
  };
  walk(pid);
  return out;
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

/** Starts `wrangler dev` on 127.0.0.1:port and finds its two workerd processes. */
export async function startDev(cwd: string, port: number, vars: Record<string, string>): Promise<DevServer> {
  const args = [WRANGLER, 'dev', '-c', 'wrangler.toml', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(await freePort()),
    '--persist-to', 'state', '--show-interactive-dev-session=false', '--log-level', 'info', ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])];
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...WRANGLER_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev not ready after 120 s: ${out.slice(-2000)}`)), 120_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes(`Ready on http://127.0.0.1:${port}`)) { clearTimeout(timer); resolve(); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`wrangler dev exited with ${code}: ${out.slice(-2000)}`)); });
  });
  const workerds = descendants(child.pid!).filter((p) => cmdline(p)[0].endsWith('/workerd'));
  // The proxy binds the port asked for; the Worker's own runtime binds an ephemeral one.
  const proxy = workerds.find((p) => cmdline(p).includes(`--socket-addr=entry=127.0.0.1:${port}`));
  const worker = workerds.find((p) => p !== proxy);
  if (!proxy || !worker) throw new Error(`wrangler dev: expected two workerd processes, found ${workerds.length}`);
  return { url: `http://127.0.0.1:${port}`, child, worker, proxy };
}

export async function stopDev(dev: DevServer): Promise<void> {
  const exited = new Promise<void>((resolve) => dev.child.once('exit', () => resolve()));
  dev.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const pid of [dev.worker, dev.proxy]) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    dev.child.kill('SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The Worker as `wrangler dev` builds it from the sources (gateway/worker.ts), with the project's wrangler.toml; the
 * local state (KV, the Durable Objects' SQLite) goes to `dir/state`, outside what wrangler watches: with the
 * module and its state in one folder (as this bench had it), every write there reloaded the Worker, which then
 * never served a request.
 */
async function writeWorker(dir: string): Promise<void> {
  const config = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8').replace(/^main = .*$/m, `main = ${JSON.stringify(join(ROOT, 'gateway/worker.ts'))}`);
  await writeFile(join(dir, 'wrangler.toml'), config);
}

export async function benchWorkersCpu(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'siglip-workers-cpu-'));
  const rows: BenchRow[] = [];
  const section = `Workers gateway under wrangler dev (workerd CPU per request, /proc; compute-free siglip_vision, c=${CONCURRENCY})`;
  const repo = await writeNullModelRepository(join(dir, 'repo'));
  const backend = await startCli(['backend', '--port', '0', '--no-metrics-port', '--providers', 'cpu', '--model-repository', repo, '--log-level', 'info'], 'backend ready');
  try {
    const vars = { BACKENDS: `gpu-1=${backend.url}`, HEALTH_INTERVAL_MS: '60000', LOG_LEVEL: 'warn' };
    await writeWorker(dir);
    const k = await generateApiKey();
    const record: KvKeyRecord = { sha256: k.sha256, tenant: 'bench', models: ['*'], rate: 1e6, burst: 1e6 };
    await wrangler(['kv', 'key', 'put', '-c', 'wrangler.toml', '--binding', 'KEYS', '--local', '--persist-to', 'state', `key:${k.id}`, JSON.stringify(record)], dir);
    const dev = await startDev(dir, await freePort(), vars);
    try {
      const auth = { authorization: `Bearer ${k.key}` };
      const bin = binaryPixelRequest(fixturePixels());
      const url = `${dev.url}/v2/models/siglip_vision/infer`;
      const json: LoadRequest = { url, body: buildPixelRequest(7), headers: { 'content-type': 'application/json', ...auth } };
      const binary: LoadRequest = { url, body: bin.body, headers: { ...bin.headers, ...auth } };
      const measure = async (req: LoadRequest) => {
        // Warm-up: the isolate compiles, the catalog learns the model, the rate limiter's object starts.
        await runLoad(req, { concurrency: CONCURRENCY, seconds: 2, maxRequests: 4 * CONCURRENCY });
        const proxyBefore = cpuOf(dev.proxy);
        const { result, perRequest } = await cpuPerRequest(dev.worker, () => runLoad(req, { concurrency: CONCURRENCY, seconds: SECONDS, maxRequests: 2_000 }));
        const proxy = result.ok ? (cpuOf(dev.proxy) - proxyBefore) / result.ok : NaN;
        const total = Object.values(perRequest).reduce((a, b) => a + b, 0);
        return { result, perRequest, total, proxy };
      };
      const j = await measure(json);
      const b = await measure(binary);
      rows.push(
        {
          section,
          measure: "seed-style 9 MB JSON: the Worker's workerd",
          result: `${j.total.toFixed(2)} ms (${describeCpu(j.perRequest)})`,
          ratio: describeLoad(j.result),
          target: `≤ 10 ms ${j.total <= 10 ? '✔' : '✘'}`,
        },
        { section, measure: "binary 1.77 MB: the Worker's workerd", result: `${b.total.toFixed(2)} ms (${describeCpu(b.perRequest)})`, ratio: describeLoad(b.result) },
        { section, measure: "wrangler dev's proxy workerd (dev only), JSON / binary", result: `${j.proxy.toFixed(2)} ms / ${b.proxy.toFixed(2)} ms` },
      );
    } finally {
      await stopDev(dev);
    }
  } finally {
    await backend.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

/** CPU ms of every thread of `pid` so far. */
export function cpuOf(pid: number): number {
  let ms = 0;
  for (const t of readThreadTimes(pid).values()) ms += t.ms;
  return ms;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(renderTable(await benchWorkersCpu()));
