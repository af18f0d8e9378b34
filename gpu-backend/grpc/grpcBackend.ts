/**
 * The backend's gRPC side, started by server.ts next to HTTP: GRPCInferenceService and grpc.health.v1 on
 * --grpc-port, over the same models, batchers, statistics, admission budget and lifecycle. The port opens before
 * the models load (health, live and ready answer; the rest says the server is starting), as HTTP's does.
 */
import type { BackendOptions } from '../config/backendOptions';
import { BodyBufferPool } from '../../shared/http/bodyBufferPool';
import { loadModelRepository } from '../config/modelRepository';
import { GrpcServer, type GrpcServerDeps } from './grpcServer';
import { healthHandlers } from './healthService';
import { inferenceHandlers, type GrpcServedModels, type InferenceServiceDeps } from './inferenceService';
import { HEALTH_SERVICE, INFERENCE_SERVICE, serviceDefinition } from './protos';
import { grpcReceiveLimit } from './receiveLimit';

/** What the gRPC side shares with the rest of the backend from the start. */
export interface GrpcBackendDeps {
  log: GrpcServerDeps['log'];
  lifecycle: { readonly shuttingDown: boolean };
  models: GrpcServedModels;
  server: { name: string; version: string };
}

/** A listening gRPC side. */
export interface GrpcBackend {
  /** host:port, as gRPC clients take it (e.g. 127.0.0.1:8001). */
  url: string;
  port: number;
  /** Starts answering every method, with what exists once the models are loaded. */
  serve(deps: Omit<InferenceServiceDeps, 'models' | 'lifecycle' | 'bodyPool'>): void;
  /** Takes no new inference, ends open streams, lets calls in flight finish (at most `timeoutMs`), then closes. */
  drain(timeoutMs: number): Promise<void>;
  /** Closes at once (idempotent). */
  close(): Promise<void>;
}

/** Binds gRPC on `options.host`:`options.grpcPort` (a number: the caller skips gRPC when it is off). */
export async function startGrpcBackend(options: BackendOptions & { grpcPort: number }, deps: GrpcBackendDeps): Promise<GrpcBackend> {
  const configs = (await loadModelRepository(options.modelRepository)).map((e) => e.config);
  const server = new GrpcServer({
    log: deps.log,
    lifecycle: deps.lifecycle,
    requireToken: options.requireToken,
    maxReceiveBytes: grpcReceiveLimit(configs, options.maxBodyBytes),
  });
  let serving: InferenceServiceDeps | null = null;
  const bodyPool = new BodyBufferPool();
  const current = (): InferenceServiceDeps => {
    // Every method that reads these is refused until serve() (GrpcServer's start-up rule).
    if (!serving) throw new Error('gRPC service used before the backend serves');
    return serving;
  };
  server.server.addService(
    serviceDefinition(INFERENCE_SERVICE, { requests: ['ModelInfer', 'ModelStreamInfer'], responses: ['ModelInfer', 'ModelStreamInfer'] }),
    inferenceHandlers(server, { server: deps.server, lifecycle: deps.lifecycle, models: deps.models, deps: current }),
  );
  server.server.addService(serviceDefinition(HEALTH_SERVICE), healthHandlers(server, () => server.serving && deps.models.ready));
  const port = await server.listen(options.host, options.grpcPort);
  return {
    url: `${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    port,
    serve(d) {
      serving = { ...d, models: deps.models, lifecycle: deps.lifecycle, bodyPool };
      server.serve();
    },
    drain: (timeoutMs) => server.drain(timeoutMs),
    close: () => server.close(),
  };
}
