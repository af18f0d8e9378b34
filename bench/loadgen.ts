import { Agent, request } from 'undici';
import { percentile } from './table';

/** One request the load generator repeats: same body each time, built once up front. */
export interface LoadRequest {
  url: string;
  method?: 'POST' | 'GET';
  body?: Uint8Array | string;
  headers?: Record<string, string>;
  /** Checks a response; returns false when it is wrong. */
  check?: (status: number, body: Buffer) => boolean;
}

/** What a bounded load run measured. */
export interface LoadResult {
  requests: number;
  ok: number;
  failed: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Every request's latency in ms, in completion order. */
  latencies: number[];
}

/**
 * Closed-loop load: `concurrency` clients each send a request, wait for the reply, and repeat, for at most
 * `seconds` and at most `maxRequests` in all. Loopback only; it stops by itself.
 */
export async function runLoad(req: LoadRequest, opts: { concurrency: number; seconds: number; maxRequests: number; warmup?: number }): Promise<LoadResult> {
  const target = new URL(req.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) throw new Error(`load tests target loopback only, not ${target.hostname}`);
  const agent = new Agent({ connections: opts.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const once = async () => {
    const res = await request(req.url, { method: req.method ?? 'POST', body: req.body, headers: req.headers, dispatcher: agent });
    const body = Buffer.from(await res.body.arrayBuffer());
    return req.check ? req.check(res.statusCode, body) : res.statusCode === 200;
  };
  for (let i = 0; i < (opts.warmup ?? opts.concurrency); i += opts.concurrency) {
    await Promise.all(Array.from({ length: opts.concurrency }, once));
  }
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let sent = 0;
  const start = performance.now();
  const deadline = start + opts.seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline && sent < opts.maxRequests) {
      sent++;
      const t = performance.now();
      const good = await once().catch(() => false);
      latencies.push(performance.now() - t);
      if (good) ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, client));
  const seconds = (performance.now() - start) / 1000;
  await agent.close();
  return loadResult(latencies, ok, failed, seconds);
}

/** A LoadResult from the raw counts (also for pooling several runs). */
export function loadResult(latencies: number[], ok: number, failed: number, seconds: number): LoadResult {
  return { requests: latencies.length, ok, failed, seconds, rps: ok / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), latencies };
}

/** Formats a load result for the table. */
export function describeLoad(r: LoadResult, unit = 'req/s'): string {
  return `${r.rps.toFixed(1)} ${unit}; p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms (${r.ok} ok, ${r.failed} failed, ${r.seconds.toFixed(1)} s)`;
}
