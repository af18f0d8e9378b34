// Overload (issue 3): 500 concurrent JSON clients, each sending one ~9 MB body, against a backend child process.
// Admission control must keep its memory bounded, and every request must get exactly one answer (200 or 503).
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { buildPixelRequest } from './jsonDecode';
import { runLoad } from './loadgen';
import { startCli } from './processes';
import { renderTable, type BenchRow } from './table';

const CLIENTS = Number(process.env.OVERLOAD_CLIENTS ?? 500);

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Peak RSS of the backend and the answers it gave while 500 JSON clients hit it at once. */
export async function benchOverload(): Promise<BenchRow[]> {
  const server = await startCli(['backend', '--port', '0', '--providers', 'cpu', '--log-level', 'info', ...(process.env.OVERLOAD_ARGS ?? '').split(' ').filter(Boolean)], 'backend ready');
  const pid = server.child.pid!;
  try {
    const idle = await rssMiB(pid);
    let peak = idle;
    const sampler = setInterval(() => void rssMiB(pid).then((v) => (peak = Math.max(peak, v)), () => undefined), 50);
    const statuses = new Map<number, number>();
    const body = buildPixelRequest(11);
    const r = await runLoad(
      {
        url: `${server.url}/v2/models/siglip_vision/infer`,
        body,
        headers: { 'content-type': 'application/json' },
        check: (status) => (statuses.set(status, (statuses.get(status) ?? 0) + 1), status === 200),
      },
      { concurrency: CLIENTS, seconds: 120, maxRequests: CLIENTS, warmup: 0 },
    );
    clearInterval(sampler);
    const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
    const mb = (body.byteLength / 2 ** 20).toFixed(1);
    const summary = [...statuses.entries()].map(([s, n]) => `${n}× ${s}`).join(', ');
    return [
      {
        section: 'overload (CPU, demo model)',
        measure: `${CLIENTS} concurrent JSON clients, one ${mb} MB body each`,
        result: `${summary}; ${answered}/${r.requests} answered, ${r.failed - (r.requests - answered)} refused; ${r.seconds.toFixed(1)} s`,
        target: `exactly one answer each ${answered === CLIENTS && r.requests === CLIENTS ? '✔' : '✘'}`,
      },
      {
        section: 'overload (CPU, demo model)',
        measure: 'backend RSS: idle → peak',
        result: `${idle.toFixed(0)} MiB → ${peak.toFixed(0)} MiB (bodies offered at once: ${((CLIENTS * body.byteLength) / 2 ** 30).toFixed(1)} GiB)`,
        target: `bounded ${peak < 2048 ? '✔' : '✘'}`,
      },
    ];
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(renderTable(await benchOverload()));
