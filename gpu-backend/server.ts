import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createLogger } from '../shared/log/createLogger';
import { BodyBufferPool } from '../shared/http/bodyBufferPool';
import { MODEL_NAMES } from '../shared/model-repository/modelNames';
import { backendOptionsSchema, type BackendOptions, type BackendOptionsInput } from './config/backendOptions';
import { ByteBudget } from './http/body/byteBudget';
import { HttpServer } from './http/httpServer';
import { serveMetrics } from './http/metricsServer';
import { buildRoutes } from './http/routes/routeTable';
import { tokenCheck } from './http/tokenCheck';
import { ModelRegistry } from './models/modelRegistry';
import type { ServedModel } from './models/types';
import { defaultRunnerFactory, type RunnerFactory } from './runtime/createRunners';
import { nvidiaSmiSampler } from './stats/gpuMetrics';
import { Metrics } from './stats/metrics';
import { createDecoders } from './workers/decoders';
import type { WorkerPool } from './workers/workerPool';
import { SystemSharedMemory } from './shm/systemSharedMemory';
import { LogSettings } from './config/logSettings';

export const SERVER_NAME = 'siglip-serve';
export const SERVER_VERSION = '0.1.0';

/** A running backend. */
export interface Backend {
  url: string;
  port: number;
  server: Server;
  /** Triton's metrics endpoint on its own port (`metricsPort`), if any. */
  metricsUrl?: string;
  models: ReadonlyMap<string, ServedModel>;
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
  const release = async () => {
    await http.close();
    metricsPort?.server.closeAllConnections();
    await new Promise<void>((resolve) => (metricsPort ? metricsPort.server.close(() => resolve()) : resolve()));
    await decoders.close();
  };
  try {
    await models.load(options, { metrics, pool: decoders.pool, createRunner: deps.createRunner ?? defaultRunnerFactory(options.threadedRuntime), log });
  } catch (err) {
    await release();
    throw err;
  }

  // Shared memory is for same-host clients: on by default only when the backend listens on loopback.
  const shm = new SystemSharedMemory({ enabled: options.allowClientShm ?? isLoopback(options.host) });
  const admission = new ByteBudget({ capacity: options.maxInflightBodyBytes, maxWaiting: options.maxWaitingBodies, maxWaitMs: options.maxBodyWaitMs });
  http.serve(
    buildRoutes({
      server: { name: SERVER_NAME, version: SERVER_VERSION },
      models,
      metrics,
      lifecycle,
      log,
      admission: { budget: admission, maxBodyBytes: options.maxBodyBytes, bodyIdleTimeoutMs: options.bodyIdleTimeoutMs },
      bodyPool: new BodyBufferPool(),
      decodeJson: decoders.decodeJson,
      decodeJsonInline: decoders.decodeJsonInline,
      shm,
      logSettings: new LogSettings(log),
      embeddings: {
        imageModel: MODEL_NAMES.embedImage,
        textModel: MODEL_NAMES.embedText,
        servedName: 'siglip',
        allowlist: options.imageUrlAllowlist,
        maxImageBytes: options.maxImageBytes,
      },
    }),
  );
  log.info({ url, models: [...models.all.keys()] }, 'backend ready');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      lifecycle.shuttingDown = true;
      // Stop accepting; every request already accepted finishes with the models still running, then the models drain.
      await http.drain(options.drainTimeoutMs);
      await models.close();
      await shm.close();
      await release();
      log.info('backend stopped');
    })());
  return { url, port, server: http.server, metricsUrl, models: models.all, options, admission, decodePool: decoders.pool, close };
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

const hostForUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);
