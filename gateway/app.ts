/**
 * The gateway as one Hono app: authenticates tenants, rate-limits them, validates requests and forwards
 * the few routes it knows to the backends. Runtimes differ only in the dependencies they inject.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { notFound } from '../shared/errors';
import { silentLogger, type Logger } from '../shared/log/logger';
import type { BackendPool } from './backends/backendPool';
import type { ModelCatalog } from './backends/modelCatalog';
import { cachedJson } from './cache/cachedJson';
import { errorResponse } from './respond/errorResponse';
import { InflightBodies } from './body/inflightBodies';
import { EMBEDDINGS_MAX_ITEMS } from '../shared/schemas/embeddingsRequest';
import type { GatewayEnv } from './env';
import type { BackendRequest } from './backends/transport';
import type { BodyReader, BodyRelay } from './body/readBody';
import { accessLog } from './middleware/accessLog/index';
import { failureLog } from './middleware/failureLog/index';
import { modelAccess } from './middleware/modelAccess/index';
import { rateLimit, type LimiterFailureMode } from './middleware/rateLimit/index';
import { requestId } from './middleware/requestId/index';
import { tenantAuth } from './middleware/tenantAuth/index';
import { validateEmbeddings, validateInfer } from './middleware/validateRequest/index';
import { computeHealth, computeStatus } from './routes/health';
import { forwardToBackend } from './routes/forward';
import { parseModelPath, pathnameOf } from './routes/modelPath';
import type { Clock, KeyStore, RateLimiter, ResponseCache } from './types';
import { GATEWAY_NAME, GATEWAY_VERSION } from './version';

/** Everything the app needs from its runtime. */
export interface GatewayDeps {
  keys: KeyStore;
  limiter: RateLimiter;
  pool: BackendPool;
  catalog: ModelCatalog;
  cache: ResponseCache;
  clock: Clock;
  /**
   * Where the app logs: an access line per request, 401s, 429s and 5xx. pino on Node, console JSON on Workers
   * (shared/log); each component gets a child (`component: access | auth | ratelimit | errors`). Default: none.
   */
  log?: Logger;
  /** How bodies are read (Node: straight from the socket); defaults to the Fetch API body. */
  readBody?: BodyReader;
  /** How binary infer bodies are relayed to a backend while they arrive (Node); without it they are read first. */
  relayBody?: BodyRelay;
  /** Takes back a body `readBody` or `relayBody` lent out, once the backend has consumed it (Node's buffer pool). */
  releaseBody?: (body: NonNullable<BackendRequest['body']>) => void;
  /** Tunables, already validated (see gateway/config.ts). */
  settings?: Partial<GatewaySettings>;
}

/** Behaviour switches with their defaults. */
export interface GatewaySettings {
  /** How long /health and /status answers are served from the cache. */
  cacheTtlSeconds: number;
  /** Limiter unreachable: 'closed' answers 503 (default), 'open' serves without a quota. */
  limiterFailure: LimiterFailureMode;
  /** Limit for /v1/embeddings bodies. */
  embeddingsMaxBodyBytes: number;
  /** Items per /v1/embeddings request. */
  embeddingsMaxItems: number;
  /** Bytes of request bodies held at once across all requests; past it requests wait their turn. */
  maxInflightBodyBytes: number;
  /** How long a request waits for room under maxInflightBodyBytes before a 503. */
  maxBodyWaitMs: number;
  /**
   * JSON infer bodies at least this long are relayed to a backend while they arrive, from their first `data`
   * array on (where the runtime can relay); shorter ones are checked whole before any backend sees them.
   */
  relayJsonFromBytes: number;
  version: string;
}

/** Bytes of request bodies a gateway holds at once (shared out among its HTTP threads on Node). */
export const MAX_INFLIGHT_BODY_BYTES = 256 * 1024 * 1024;

/** Defaults of GatewaySettings. */
const DEFAULT_SETTINGS: GatewaySettings = {
  cacheTtlSeconds: 2,
  limiterFailure: 'closed',
  embeddingsMaxBodyBytes: 64 * 1024 * 1024,
  embeddingsMaxItems: EMBEDDINGS_MAX_ITEMS,
  maxInflightBodyBytes: MAX_INFLIGHT_BODY_BYTES,
  maxBodyWaitMs: 10_000,
  // A body this small arrives in a few socket reads: relaying it early would save little, and a field it gets
  // wrong after its data could then reach a backend (which the check at its end still stops).
  relayJsonFromBytes: 1024 * 1024,
  version: GATEWAY_VERSION,
};

/** Builds the gateway app. */
export function createGatewayApp(deps: GatewayDeps): Hono<GatewayEnv> {
  const settings = { ...DEFAULT_SETTINGS, ...deps.settings };
  const { pool, catalog, cache, clock } = deps;
  const app = new Hono<GatewayEnv>();
  const log = deps.log ?? silentLogger;

  const auth = tenantAuth({ keys: deps.keys, log: log.child({ component: 'auth' }) });
  const limit = rateLimit({ limiter: deps.limiter, onLimiterError: settings.limiterFailure, log: log.child({ component: 'ratelimit' }) });

  const forward = forwardToBackend(pool, deps.releaseBody);
  const inflight = new InflightBodies({ capacity: settings.maxInflightBodyBytes, maxWaitMs: settings.maxBodyWaitMs });
  // Keeps the health picture fresh where no timer does (Workers); a no-op while it is fresh.
  const keepHealthFresh: MiddlewareHandler<GatewayEnv> = async function keepHealthFresh(c, next) {
    if (pool.isStale()) runAfterResponse(c, pool.refreshIfStale());
    await next();
  };

  // Outermost, so the access line covers everything below, errors and 404s included.
  app.use('*', accessLog({ log: log.child({ component: 'access' }) }));
  app.use('*', requestId());
  app.use('*', failureLog({ log: log.child({ component: 'errors' }) }));
  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) => errorResponse(c, notFound('not found')));

  app.get('/health', cachedJson({ cache, clock, key: '/health', ttlSeconds: settings.cacheTtlSeconds, compute: () => computeHealth(pool) }));
  app.get(
    '/status',
    cachedJson({
      cache,
      clock,
      key: '/status',
      ttlSeconds: settings.cacheTtlSeconds,
      compute: () => computeStatus(pool, catalog, { name: GATEWAY_NAME, version: settings.version }),
    }),
  );

  app.on(
    ['GET', 'POST'],
    '/v2/models/*',
    async function modelRoute(c, next) {
      const route = parseModelPath(c.req.method, pathnameOf(c.req.url));
      if (!route) return errorResponse(c, notFound('not found'));
      c.set('modelName', route.model);
      c.set('modelVersion', route.version);
      c.set('backendPath', route.backendPath);
      await next();
    },
    auth,
    keepHealthFresh,
    modelAccess({ catalog }),
    validateInfer({ readBody: deps.readBody, relayBody: deps.relayBody, inflight, relayJsonFromBytes: settings.relayJsonFromBytes }),
    limit,
    forward,
  );

  app.post(
    '/v1/embeddings',
    async function embeddingsRoute(c, next) {
      c.set('backendPath', '/v1/embeddings');
      await next();
    },
    auth,
    keepHealthFresh,
    validateEmbeddings({ maxBodyBytes: settings.embeddingsMaxBodyBytes, maxItems: settings.embeddingsMaxItems, readBody: deps.readBody, inflight }),
    limit,
    forward,
  );

  return app;
}

// Workers must be told about work that outlives the response (ctx.waitUntil); Node has no such context.
function runAfterResponse(c: Context, work: Promise<unknown>): void {
  const settled = work.catch(() => {});
  try {
    c.executionCtx.waitUntil(settled);
  } catch {
    // No ExecutionContext (Node, app.request in tests): the promise simply runs on.
  }
}
