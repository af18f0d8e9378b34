import type { Metrics } from '../../stats/metrics';
import type { ServedModel } from '../../models/types';
import { sendJson } from '../respond';
import { Router, type RouteContext } from '../router';
import { embeddingsHandler, type EmbeddingsRouteOptions } from './embeddingsRoute';
import { inferHandler, type InferRouteDeps } from './inferRoute';
import { registerExtensionRoutes } from './extensionRoutes';
import type { LogSettings } from '../../config/logSettings';

/** The models the routes serve (see models/modelRegistry.ts). */
export interface ServedModels {
  readonly all: ReadonlyMap<string, ServedModel>;
  readonly ready: boolean;
  lookup(name: string, version?: string): ServedModel;
}

/** Everything the routes need, resolved at start-up. */
export interface RouteDeps extends InferRouteDeps {
  server: { name: string; version: string };
  models: ServedModels;
  metrics: Metrics;
  embeddings: EmbeddingsRouteOptions;
  logSettings: LogSettings;
}

/** Triton's KServe v2 routes over the loaded models, and the OpenAI-style /v1/embeddings. */
export function buildRoutes(deps: RouteDeps): Router {
  const r = new Router();
  const { models, lifecycle } = deps;
  // Each model route answers both /v2/models/{m}… and /v2/models/{m}/versions/{v}….
  const perModel = (method: string, suffix: string, h: (c: RouteContext, m: ServedModel) => Promise<void> | void) => {
    r.add(method, `/v2/models/:model${suffix}`, (c) => h(c, models.lookup(c.params.model)));
    r.add(method, `/v2/models/:model/versions/:version${suffix}`, (c) => h(c, models.lookup(c.params.model, c.params.version)));
  };
  const stats = (list: Iterable<ServedModel>) => ({ model_stats: [...list].map((m) => m.stats.toJSON(m.name, m.version)) });

  // Server.
  r.add('GET', '/v2', ({ res }) =>
    sendJson(res, 200, {
      name: deps.server.name,
      version: deps.server.version,
      // Only what is implemented (Triton lists more; clients probe this list).
      extensions: ['binary_tensor_data', 'parameters', 'statistics', 'model_configuration', 'model_repository', ...(deps.shm.enabled ? ['system_shared_memory'] : []), 'logging'],
    }),
  );
  r.add('GET', '/v2/health/live', ({ res }) => sendJson(res, lifecycle.shuttingDown ? 503 : 200, ''));
  r.add('GET', '/v2/health/ready', ({ res }) => sendJson(res, !lifecycle.shuttingDown && models.ready ? 200 : 503, ''));
  r.add('GET', '/v2/models/stats', ({ res }) => sendJson(res, 200, stats(models.all.values())));

  // Repository. Models are loaded at start-up, as Triton does with --model-control-mode=none: load and unload are refused.
  r.add('POST', '/v2/repository/index', ({ res }) =>
    sendJson(res, 200, [...models.all.values()].map((m) => ({ name: m.name, version: m.version, state: m.ready ? 'READY' : 'UNAVAILABLE', reason: '' }))),
  );
  for (const action of ['load', 'unload']) {
    r.add('POST', `/v2/repository/models/:model/${action}`, ({ req, res }) => {
      req.resume();
      sendJson(res, 400, { error: `explicit model ${action} is not allowed: models are loaded from the repository at start-up; restart the backend to change them` });
    });
  }

  // Models.
  perModel('GET', '', ({ res }, m) => sendJson(res, 200, m.metadata()));
  perModel('GET', '/ready', ({ res }, m) => sendJson(res, m.ready && !lifecycle.shuttingDown ? 200 : 503, ''));
  perModel('GET', '/config', ({ res }, m) => sendJson(res, 200, m.tritonConfig));
  perModel('GET', '/stats', ({ res }, m) => sendJson(res, 200, stats([m])));
  perModel('POST', '/infer', inferHandler(deps));

  // Shared memory, logging, trace settings.
  registerExtensionRoutes(r, { shm: deps.shm, logSettings: deps.logSettings, admission: deps.admission, lookupModel: (name) => models.lookup(name) });

  // Metrics (also on the metrics port), and embeddings.
  r.add('GET', '/metrics', ({ res }) => sendMetrics(res, deps.metrics, models.all));
  r.add('POST', '/v1/embeddings', embeddingsHandler({ models: models.all, lifecycle, admission: deps.admission }, deps.embeddings));
  return r;
}

/** Prometheus text, with every model's busy time brought up to date first. */
export async function sendMetrics(res: RouteContext['res'], metrics: Metrics, models: ReadonlyMap<string, ServedModel>): Promise<void> {
  for (const m of models.values()) if (m.busyMs !== undefined) m.telemetry.busy(m.busyMs);
  const text = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
