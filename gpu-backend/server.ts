import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createLogger } from '../shared/log/createLogger';
import { accessLogLine } from '../shared/log/accessLog';
import { InferenceError, notFound, unavailable } from '../shared/errors';
import { backendOptionsSchema, type BackendOptions, type BackendOptionsInput } from './config/backendOptions';
import { loadModelRepository, type RepositoryEntry } from './config/modelRepository';
import { ByteBudget } from './http/byteBudget';
import { sendError, sendJson } from './http/respond';
import { buildRouter, checkToken, type BackendContext } from './http/routes';
import { OnnxModel } from './models/onnxModel';
import type { ServedModel } from './models/types';
import { createRunners, defaultRunnerFactory, runtimeParameters, type RunnerFactory } from './runtime/createRunners';
import { Metrics } from './stats/metrics';
import { MODEL_NAMES } from '../shared/model-repository/modelNames';
import { nvidiaSmiSampler } from './stats/gpuMetrics';
import { ModelTelemetry } from './stats/telemetry';
import { createDecoders, type Decoders } from './workers/decoders';
import type { Router } from './http/router';
import type { WorkerPool } from './workers/workerPool';
import { createPipelineModel } from './models/pipelines';
import { registerEmbeddingsRoute } from './http/embeddingsRoute';
import { BodyBufferPool } from '../shared/http/bodyBufferPool';
import { answerClientError } from '../shared/http/clientError';
import { CancelledError } from './batching/dynamicBatcher';

// A client's X-Request-Id is echoed into logs and headers only when it is short and plain.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MODEL_IN_PATH = /^\/v2\/models\/([^/]+)/;

export const SERVER_NAME = 'siglip-serve';
export const SERVER_VERSION = '0.1.0';

/** A running backend. */
export interface Backend {
  url: string;
  port: number;
  server: Server;
  /** Triton's metrics endpoint on its own port (`metricsPort`), if any. */
  metricsUrl?: string;
  models: Map<string, ServedModel>;
  options: BackendOptions;
  /** Admission control of request bodies (bytes being read and decoded, bodies waiting). */
  admission: ByteBudget;
  /** The decode and preprocessing worker pool (null with workers: 0). */
  decodePool: WorkerPool | null;
  /** Stops accepting, finishes what was accepted, then releases everything. */
  close(): Promise<void>;
}

/** What the backend is built from besides its options: seams for tests. */
export interface BackendDeps {
  /** Opens model instances (default: the production threaded ONNX Runtime runner). */
  createRunner?: RunnerFactory;
}

/** Loads the model repository, warms every model up, and serves the KServe v2 API. */
export async function startBackend(input: BackendOptionsInput = {}, logger?: Logger, deps: BackendDeps = {}): Promise<Backend> {
  const options = backendOptionsSchema.parse(input);
  const log = logger ?? createLogger({ level: options.logLevel }).child({ service: 'backend' });
  const metrics = new Metrics(nvidiaSmiSampler(options.nvidiaSmi));
  const models = new Map<string, ServedModel>();
  const state = { ready: false, shuttingDown: false };
  // Routes exist once the models are loaded; until then only health answers (live 200, ready 503).
  let router: Router | null = null;
  let ctx: BackendContext | null = null;
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 300_000 }, (req, res) => handle(req, res));
  server.on('clientError', answerClientError);

  let inflight = 0;
  let idle: (() => void) | null = null;
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    inflight++;
    const path = (req.url ?? '/').split('?')[0];
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.once('close', () => {
      if (--inflight === 0) idle?.();
      // One access line per request; 499 (nginx's "client closed request") when the client left unanswered.
      if (!log.isLevelEnabled('info')) return;
      log.info(
        ...accessLogLine({
          method: req.method ?? 'GET',
          path,
          model: MODEL_IN_PATH.exec(path)?.[1],
          status: res.writableFinished ? res.statusCode : 499,
          durationMs: performance.now() - started,
          bytesIn: Number(req.headers['content-length'] ?? 0) || 0,
          bytesOut: Number(res.getHeader('content-length') ?? 0) || 0,
          requestId,
        }),
      );
    });
    if (state.shuttingDown) res.setHeader('connection', 'close');
    try {
      if (!router || !ctx) return startingUp(req, res, path);
      const m = router.match(req.method ?? 'GET', path);
      if (!('handler' in m)) {
        req.resume();
        if (!m.allowed.length) throw notFound(`no route for ${req.method} ${path}`);
        // Triton answers a known path with the wrong method 405.
        res.setHeader('allow', [...new Set(m.allowed)].join(', '));
        throw new InferenceError('METHOD_NOT_ALLOWED', `method ${req.method} not allowed for ${path}; use ${[...new Set(m.allowed)].join(' or ')}`);
      }
      if (!path.startsWith('/v2/health/')) checkToken(ctx, req);
      await m.handler({ req, res, params: m.params });
    } catch (err) {
      // The client left (e.g. while its body was being read): nobody to answer.
      if (err instanceof CancelledError) return void res.destroy();
      sendError(res, err, log);
    }
  }

  // The port opens before the models load, so that live and ready can be polled during start-up.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${hostForUrl(options.host)}:${port}`;
  log.info({ url }, 'backend listening; loading models');
  const metricsServer = options.metricsPort === false ? null : await serveMetrics(metrics, options.host, options.metricsPort);
  const metricsUrl = metricsServer ? `http://${hostForUrl(options.host)}:${(metricsServer.address() as AddressInfo).port}/metrics` : undefined;
  if (metricsUrl) log.info({ url: metricsUrl }, 'metrics listening');

  const decoders = createDecoders(options);
  try {
    await loadModels(options, models, metrics, decoders, log, deps.createRunner ?? defaultRunnerFactory(options.threadedRuntime));
    for (const m of models.values()) await m.warmup();
  } catch (err) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    metricsServer?.close();
    for (const m of models.values()) await m.close().catch(() => {});
    await decoders.close();
    throw err;
  }
  state.ready = true;

  ctx = {
    serverName: SERVER_NAME,
    serverVersion: SERVER_VERSION,
    models,
    metrics,
    budget: new ByteBudget({ capacity: options.maxInflightBodyBytes, maxWaiting: options.maxWaitingBodies, maxWaitMs: options.maxBodyWaitMs }),
    bodyPool: new BodyBufferPool(),
    maxBodyBytes: options.maxBodyBytes,
    bodyIdleTimeoutMs: options.bodyIdleTimeoutMs,
    decodeJson: decoders.decodeJson,
    decodeJsonInline: decoders.decodeJsonInline,
    requireToken: options.requireToken,
    state,
    log,
    extraRoutes: (r, c) =>
      registerEmbeddingsRoute(r, c, {
        imageModel: MODEL_NAMES.embedImage,
        textModel: MODEL_NAMES.embedText,
        servedName: 'siglip',
        allowlist: options.imageUrlAllowlist,
        maxImageBytes: options.maxImageBytes,
      }),
  };
  router = buildRouter(ctx);
  const admission = ctx.budget;
  log.info({ url, models: [...models.keys()] }, 'backend ready');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      state.shuttingDown = true;
      // Stop accepting; idle keep-alive sockets go now, busy ones after their response (connection: close).
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Every request already accepted finishes with the models still running, then the models drain.
      if (inflight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (idle = resolve)),
          new Promise((resolve) => setTimeout(resolve, options.drainTimeoutMs).unref()),
        ]);
      }
      for (const m of [...models.values()].reverse()) await m.close();
      server.closeAllConnections();
      await stopped;
      metricsServer?.closeAllConnections();
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
      await decoders.close();
      log.info('backend stopped');
    })());
  return { url, port, server, metricsUrl, models, options, admission, decodePool: decoders.pool, close };
}

/** Loads every model of the repository: ONNX models first, since pipelines wrap them. */
async function loadModels(options: BackendOptions, models: Map<string, ServedModel>, metrics: Metrics, decoders: Decoders, log: Logger, createRunner: RunnerFactory): Promise<void> {
  const entries = await loadModelRepository(options.modelRepository);
  const order = (e: RepositoryEntry) => (e.config.platform === 'onnxruntime_onnx' ? 0 : 1);
  for (const entry of [...entries].sort((a, b) => order(a) - order(b))) {
    const telemetry = new ModelTelemetry(metrics, entry.name, entry.version);
    if (entry.config.platform === 'onnxruntime_onnx') {
      const params = runtimeParameters(entry, { providers: options.providers, strict: options.strictProvider });
      const runners = await createRunners(entry, params, (msg) => log.warn({ model: entry.name }, msg), createRunner, {
        onCrash: (message) => log.error({ model: entry.name, error: message }, 'model instance crashed; reloading it (not ready until it is back)'),
        onRestored: () => log.info({ model: entry.name }, 'model instance reloaded; serving again'),
        onRestoreFailed: (message, retryInMs) => log.error({ model: entry.name, error: message, retryInMs }, 'model instance failed to reload'),
      });
      const model = new OnnxModel(entry.name, entry.version, entry.config, runners, telemetry);
      log.info({ model: entry.name, version: entry.version, provider: model.provider, instances: runners.length }, 'model loaded');
      models.set(entry.name, model);
    } else {
      const limits = {
        maxEncodedBytes: options.maxImageBytes,
        maxPixels: options.maxImagePixels,
        maxRequestPixels: options.maxRequestPixels,
        maxTextBytes: options.maxTextBytes,
        maxRequestTextBytes: options.maxRequestTextBytes,
      };
      const model = await createPipelineModel(entry, models, telemetry, decoders.pool, limits);
      models.set(entry.name, model);
      log.info({ model: entry.name, version: entry.version, target: model.tritonConfig.parameters.default_embed_model?.string_value }, 'pipeline loaded');
    }
  }
}

// While the models load: health answers truthfully, everything else is a retryable 503.
function startingUp(req: IncomingMessage, res: ServerResponse, path: string): void {
  req.resume();
  if (path === '/v2/health/live') return sendJson(res, 200, '');
  if (path === '/v2/health/ready') return sendJson(res, 503, '');
  sendError(res, unavailable('Server is starting: models are loading; retry shortly', 'starting'));
}

const hostForUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

// Triton's metrics port: GET /metrics, nothing else (perf_analyzer's --collect-metrics scrapes it).
async function serveMetrics(metrics: Metrics, host: string, port: number): Promise<Server> {
  const server = createServer(async (req, res) => {
    req.resume();
    if ((req.url ?? '/').split('?')[0] !== '/metrics') return sendError(res, notFound(`no route for ${req.method} ${req.url}; the metrics port serves GET /metrics`));
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, new InferenceError('METHOD_NOT_ALLOWED', `method ${req.method} not allowed for /metrics; use GET`));
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
