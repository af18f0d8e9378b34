/**
 * The gateway as a Cloudflare Worker: keys in KV, one Durable Object per tenant for its token bucket,
 * the Cache API for /health and /status, backends from the BACKENDS var. Bindings: wrangler.toml.
 */
import type { Hono } from 'hono';
import type { ExecutionContext } from 'hono';
import { useNumberRunModule } from '../shared/codec/wasmNumberRun';
import numberRunModule from '../shared/codec/wasm/numberRun.kernel.wasm';
import { consoleJsonLogger } from '../shared/log/consoleJsonLogger';
import { createGatewayApp } from './app';
import { KvKeyStore, type KvReader } from './auth/kvKeyStore';
import { BackendPool } from './backends/backendPool';
import { fetchTransport } from './backends/fetchTransport';
import { webBodyRelay } from './body/webRelayBody';
import { ModelCatalog } from './backends/modelCatalog';
import { WorkersCache, type CacheLike } from './cache/workersCache';
import { describeConfigError, parseBackendList, workerVarsSchema } from './config';
import type { GatewayEnv } from './env';
import { DurableObjectRateLimiter, type DurableObjectNamespaceLike } from './ratelimit/durableObjectRateLimiter';
import type { Clock } from './types';

export { TenantRateLimiter } from './ratelimit/tenantRateLimiterObject';

// The streaming JSON check's kernel, compiled ahead as a module (the runtime compiles no WebAssembly from bytes).
useNumberRunModule(numberRunModule);

/** The Worker's bindings (see wrangler.toml). */
export interface WorkerEnv {
  KEYS: KvReader;
  RATE_LIMITER: DurableObjectNamespaceLike;
  BACKENDS: string;
  BACKEND_TOKEN?: string;
  REQUEST_TIMEOUT_MS?: string;
  HEALTH_INTERVAL_MS?: string;
  CACHE_TTL_SECONDS?: string;
  LIMITER_FAILURE?: string;
  /** fatal, error, warn, info (default), debug, trace or silent. */
  LOG_LEVEL?: string;
  /** JSON infer bodies this long or longer stream on to a backend while they arrive (default 1 MiB). */
  RELAY_JSON_FROM_BYTES?: string;
}


const clock: Clock = { now: () => Date.now() };

// One app per isolate: pools, caches and the model catalog outlive single requests. Bindings are
// the same objects for every request of an isolate, so the env identity is the key.
let built: { env: WorkerEnv; app: Hono<GatewayEnv> } | undefined;

/** Builds (once per isolate) the app for these bindings; a bad var fails every request with its message. */
export function workerApp(env: WorkerEnv): Hono<GatewayEnv> {
  if (built?.env === env) return built.app;
  const vars = workerVarsSchema.safeParse(env);
  if (!vars.success) throw new Error(describeConfigError('wrangler vars', vars.error));
  const v = vars.data;
  // workerd has no pino transport: the same JSON lines through console, which `wrangler tail` shows.
  const log = consoleJsonLogger({ level: v.LOG_LEVEL ?? 'info', bindings: { service: 'gateway' } });
  // Bodies go on to a backend while they arrive (webBodyRelay), as a stream of known length.
  const pool = new BackendPool(parseBackendList(v.BACKENDS.split(/[\s,]+/).filter(Boolean)), fetchTransport(undefined, { streamBodies: true }), {
    clock,
    requestTimeoutMs: v.REQUEST_TIMEOUT_MS ?? 30_000,
    healthIntervalMs: v.HEALTH_INTERVAL_MS ?? 5_000,
    token: v.BACKEND_TOKEN,
    log: log.child({ component: 'backends' }),
  });
  const app = createGatewayApp({
    keys: new KvKeyStore(env.KEYS, clock),
    limiter: new DurableObjectRateLimiter(env.RATE_LIMITER),
    pool,
    catalog: new ModelCatalog(pool, { clock }),
    cache: new WorkersCache((globalThis as unknown as { caches: { default: CacheLike } }).caches.default),
    clock,
    log,
    relayBody: webBodyRelay,
    settings: {
      cacheTtlSeconds: v.CACHE_TTL_SECONDS ?? 2,
      limiterFailure: v.LIMITER_FAILURE ?? 'closed',
      ...(v.RELAY_JSON_FROM_BYTES !== undefined && { relayJsonFromBytes: v.RELAY_JSON_FROM_BYTES }),
    },
  });
  built = { env, app };
  return app;
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    try {
      return workerApp(env).fetch(request, env, ctx);
    } catch (err) {
      // A configuration error is for the operator (`wrangler tail`), not for whoever called.
      console.error(JSON.stringify({ level: 'error', time: new Date().toISOString(), service: 'gateway', msg: 'gateway misconfigured', error: (err as Error).message }));
      return Response.json({ error: 'gateway misconfigured; the operator has the details in the Worker log' }, { status: 500 });
    }
  },
};
