import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createLogger } from '../shared/log/createLogger';
import { BodyBufferPool } from '../shared/http/bodyBufferPool';
import { MODEL_NAMES } from '../shared/model-repository/modelNames';
import { backendOptionsSchema, grpcPortOf, type BackendOptions, type BackendOptionsInput } from './config/backendOptions';
import { startGrpcBackend, type GrpcBackend } from './grpc/grpcBackend';
import { grpcSharedMemory } from './grpc/grpcSharedMemory';
import { ByteBudget } from './http/body/byteBudget';
import { HttpServer } from './http/httpServer';
import { serveMetrics } from './http/metricsServer';
import { buildRoutes } from './http/routes/routeTable';
import { tokenCheck } from './http/tokenCheck';
import { ModelRegistry } from './models/modelRegistry';
import { HttpThreads } from './http/threads/httpThreads';
import type { ServedModel } from './models/types';
import { defaultRunnerFactory, type RunnerFactory } from './runtime/createRunners';
import { nvidiaSmiSampler } from './stats/gpuMetrics';
import { Metrics } from './stats/metrics';
import { createDecoders, type Decoders } from './workers/decoders';
import type { WorkerPool } from './workers/workerPool';
import { SystemSharedMemory } from './shm/systemSharedMemory';
import { LogSettings } from './config/logSettings';

const SERVER_NAME = 'siglip-serve';
const SERVER_VERSION = '0.1.0';

/** A running backend. */
export interface Backend {
  url: string;
  port: number;
  server: Server;
  /** Triton's metrics endpoint on its own port (`metricsPort`), if any. */
  metricsUrl?: string;
  /** The gRPC API as host:port (`grpcPort`), if any. */
  grpcUrl?: string;
  grpcPort?: number;
  models: ReadonlyMap<string, ServedModel>;
  options: BackendOptions;
  /** Admission control of request bodies (bytes being read and decoded, bodies waiting). */
  admission: ByteBudget;
  /** The decode and preprocessing worker pool (null with workers: 0). */
  decodePool: WorkerPool | null;
  /** HTTP threads accepting on the API port (0: HTTP on the main thread). */
  httpThreads: number;
  /** Stops accepting, finishes what was accepted, then releases everything. */
  close(): Promise<void>;
}

/** What the backend is built from besides its options: seams for tests. */
export interface BackendDeps {
  /** Opens model instances (default: the production threaded ONNX Runtime runner). */
  createRunner?: RunnerFactory;
}

/**
 * Serves the KServe v2 API over the model repository. The port opens first, so that live and ready can be
 * polled while the models load and warm up; every other route answers once they have.
 */
export async function startBackend(input: BackendOptionsInput = {}, logger?: Logger, deps: BackendDeps = {}): Promise<Backend> {
  const options = backendOptionsSchema.parse(input);
  const log = logger ?? createLogger({ level: options.logLevel }).child({ service: 'backend' });
  const metrics = new Metrics(nvidiaSmiSampler(options.nvidiaSmi));
  const lifecycle = { shuttingDown: false };
  const models = new ModelRegistry();

  const http = new HttpServer({ log, lifecycle, checkToken: tokenCheck(options.requireToken) });
  const port = await http.listen(options.port, options.host);
  const url = `http://${hostForUrl(options.host)}:${port}`;
  log.info({ url }, 'backend listening; loading models');
  const metricsPort = options.metricsPort === false ? null : await serveMetrics(metrics, models.all, options.host, options.metricsPort);
  const metricsUrl = metricsPort ? `http://${hostForUrl(options.host)}:${metricsPort.port}/metrics` : undefined;
  if (metricsUrl) log.info({ url: metricsUrl }, 'metrics listening');

  const decoders = createDecoders(options);
  let grpc: GrpcBackend | null = null;
  const release = async () => {
    await http.close();
    await grpc?.close();
    metricsPort?.server.closeAllConnections();
    await new Promise<void>((resolve) => (metricsPort ? metricsPort.server.close(() => resolve()) : resolve()));
    await decoders.close();
  };
  try {
    const grpcPort = grpcPortOf(options);
    if (grpcPort !== false) {
      grpc = await startGrpcBackend({ ...options, grpcPort }, { log, lifecycle, models, server: { name: SERVER_NAME, version: SERVER_VERSION } });
      log.info({ url: grpc.url }, 'gRPC listening');
    }
    await models.load(options, { metrics, pool: decoders.pool, createRunner: deps.createRunner ?? defaultRunnerFactory(options.threadedRuntime), log });
  } catch (err) {
    await release();
    throw err;
  }

  // Shared memory is for same-host clients: on by default only when the backend listens on loopback.
  const shm = new SystemSharedMemory({ enabled: options.allowClientShm ?? isLoopback(options.host) });
  // One instance for /v2/logging and gRPC's LogSettings.
  const logSettings = new LogSettings(log);
  const admission = new ByteBudget({ capacity: options.maxInflightBodyBytes, maxWaiting: options.maxWaitingBodies, maxWaitMs: options.maxBodyWaitMs });
  http.serve(
    buildRoutes({
      server: { name: SERVER_NAME, version: SERVER_VERSION },
      models,
      metrics,
      lifecycle,
      log,
      admission: { budget: admission, maxBodyBytes: options.maxBodyBytes, bodyIdleTimeoutMs: options.bodyIdleTimeoutMs },
      // As many pooled bytes as the admission budget lets in at once: in steady state no body allocates.
      bodyPool: new BodyBufferPool(Math.max(options.maxInflightBodyBytes, 256 * 1024 * 1024), undefined, true),
      decodeJson: decoders.decodeJson,
      decodeJsonInline: decoders.decodeJsonInline,
      shm,
      logSettings,
      embeddings: {
        imageModel: MODEL_NAMES.embedImage,
        textModel: MODEL_NAMES.embedText,
        servedName: 'siglip',
        allowlist: options.imageUrlAllowlist,
        maxImageBytes: options.maxImageBytes,
      },
    }),
  );
  grpc?.serve({ admission, logSettings, systemSharedMemory: shm, sharedMemory: grpcSharedMemory(shm) });
  const threads = options.httpThreads > 0 ? await startHttpThreads(http, options, { models, decoders, log }) : null;
  log.info({ url, ...(grpc && { grpcUrl: grpc.url }), models: [...models.all.keys()] }, 'backend ready');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      lifecycle.shuttingDown = true;
      // Stop accepting; every request already accepted finishes with the models still running, then the models drain.
      await Promise.all([threads?.drain(options.drainTimeoutMs), http.drain(options.drainTimeoutMs), grpc?.drain(options.drainTimeoutMs)]);
      await models.close();
      await shm.close();
      await threads?.close();
      await release();
      log.info('backend stopped');
    })());
  return { url, port, server: http.server, httpThreads: threads?.size ?? 0, metricsUrl, grpcUrl: grpc?.url, grpcPort: grpc?.port, models: models.all, options, admission, decodePool: decoders.pool, close };
}

/**
 * Moves the API port to HTTP threads once the models are up: the main thread keeps a loopback listener for what the
 * threads hand it, and stops accepting on the API port (connections it already has are still served). If the
 * threads cannot start, HTTP stays on the main thread.
 */
async function startHttpThreads(http: HttpServer, options: BackendOptions, o: { models: ModelRegistry; decoders: Decoders; log: Logger }): Promise<HttpThreads | null> {
  try {
    const mainUrl = await http.listenInternal();
    const count = options.httpThreads;
    const threads = await HttpThreads.start({
      count,
      apiServer: http.server,
      mainUrl,
      models: o.models,
      log: o.log,
      requireToken: options.requireToken,
      logLevel: o.log.level,
      // Big JSON bodies decode in the decode pool, several at once, read in place from the thread's shared memory.
      decodeJson: o.decoders.pool ? o.decoders.decodeJson : undefined,
      decodeInPoolFromBytes: options.workerThresholdBytes,
      jsonDecoder: options.jsonDecoder,
      body: {
        maxBodyBytes: options.maxBodyBytes,
        idleTimeoutMs: options.bodyIdleTimeoutMs,
        capacity: Math.ceil(options.maxInflightBodyBytes / count),
        maxWaiting: Math.ceil(options.maxWaitingBodies / count),
        maxWaitMs: options.maxBodyWaitMs,
      },
    });
    void http.stopAcceptingOnApiPort();
    o.log.info({ threads: count }, 'HTTP threads accepting on the API port');
    return threads;
  } catch (err) {
    o.log.warn({ err }, 'HTTP threads could not start; serving HTTP on the main thread');
    return null;
  }
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

const hostForUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);
