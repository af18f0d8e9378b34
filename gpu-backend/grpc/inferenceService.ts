/**
 * GRPCInferenceService: Triton's gRPC methods over the same models, statistics and extensions as the HTTP routes
 * (http/routes/routeTable.ts, extensionRoutes.ts), each answering with the same content in the protocol's
 * messages. Inference is in modelInfer.ts.
 */
import type * as grpc from '@grpc/grpc-js';
import { InferenceError, invalidArgument } from '../../shared/errors';
import type { ServedModel } from '../models/types';
import type { GrpcServer } from './grpcServer';
import { modelInferHandler, modelStreamInferHandler, type GrpcInferDeps } from './modelInfer';

/** The models, as the HTTP routes see them (models/modelRegistry.ts). */
export interface GrpcServedModels {
  readonly all: ReadonlyMap<string, ServedModel>;
  readonly ready: boolean;
  lookup(name: string, version?: string): ServedModel;
}

/** Triton's logging extension, shared with /v2/logging (config/logSettings.ts). */
export interface GrpcLogSettings {
  /** The settings by Triton's names (log_info, log_verbose_level, ...). */
  get(): object;
  /** Applies some settings (refusing unsupported ones as a whole); returns them all. */
  update(settings: Record<string, unknown>): object;
}

/** System shared memory, shared with /v2/systemsharedmemory (see grpcSharedMemory.ts). */
export interface GrpcSystemSharedMemory {
  readonly enabled: boolean;
  register(name: string, key: string, offset: number, byteSize: number): Promise<void>;
  unregister(name?: string): Promise<void>;
  status(name?: string): { name: string; key: string; offset: number; byte_size: number }[];
}

/** What the service answers from once the models are loaded. */
export interface InferenceServiceDeps extends GrpcInferDeps {
  models: GrpcServedModels;
  logSettings?: GrpcLogSettings;
  systemSharedMemory?: GrpcSystemSharedMemory;
}

/** Everything the service needs: fixed facts now, the rest (`deps`) once the backend serves. */
export interface InferenceServiceOptions {
  server: { name: string; version: string };
  lifecycle: { readonly shuttingDown: boolean };
  models: GrpcServedModels;
  deps: () => InferenceServiceDeps;
}

// Triton's trace settings with tracing off: this server does not trace (as GET /v2/trace/setting says).
const TRACE_SETTINGS: Record<string, string[]> = { trace_level: ['OFF'], trace_rate: ['1000'], trace_count: ['-1'], log_frequency: ['0'], trace_file: [''], trace_mode: ['triton'] };

const cudaUnsupported = () =>
  new InferenceError('UNSUPPORTED', 'CUDA shared memory is not supported by this server: use system shared memory (SystemSharedMemoryRegister) or send tensors in the request');

interface NameVersion {
  name?: string;
  version?: string;
}

type Setting = { parameter_choice?: 'bool_param' | 'uint32_param' | 'string_param'; bool_param?: boolean; uint32_param?: number; string_param?: string };

const settingValue = (v: string | number | boolean): Setting =>
  typeof v === 'boolean' ? { bool_param: v } : typeof v === 'number' ? { uint32_param: v } : { string_param: v };

/** The service's handlers. */
export function inferenceHandlers(server: GrpcServer, o: InferenceServiceOptions): grpc.UntypedServiceImplementation {
  const { models, lifecycle } = o;
  const lookup = ({ name, version }: NameVersion) => models.lookup(name ?? '', version || undefined);
  const health = { public: true, duringStartup: true };
  const stats = (list: Iterable<ServedModel>) => ({ model_stats: [...list].map((m) => m.stats.toJSON(m.name, m.version)) });
  const shm = () => {
    const s = o.deps().systemSharedMemory;
    if (!s) throw new InferenceError('UNSUPPORTED', 'system shared memory is not available on this server; send tensors in the request');
    return s;
  };

  return {
    // Health: what GET /v2/health/live and /ready say (no token, answered while loading).
    ServerLive: server.unary(health, () => ({ live: !lifecycle.shuttingDown })),
    ServerReady: server.unary(health, () => ({ ready: !lifecycle.shuttingDown && models.ready })),
    ModelReady: server.unary({}, (req) => {
      const m = lookup(req as NameVersion);
      return { ready: m.ready && !lifecycle.shuttingDown };
    }),

    ServerMetadata: server.unary({}, () => {
      const d = o.deps();
      return {
        name: o.server.name,
        version: o.server.version,
        // The list GET /v2 gives: only what is implemented.
        extensions: [
          'binary_tensor_data',
          'parameters',
          'statistics',
          'model_configuration',
          'model_repository',
          ...(d.systemSharedMemory?.enabled ? ['system_shared_memory'] : []),
          ...(d.logSettings ? ['logging'] : []),
        ],
      };
    }),
    ModelMetadata: server.unary({}, (req) => lookup(req as NameVersion).metadata()),
    ModelConfig: server.unary({}, (req) => ({ config: lookup(req as NameVersion).tritonConfig })),
    ModelStatistics: server.unary({}, (req) => {
      const { name } = req as NameVersion;
      return stats(name ? [lookup(req as NameVersion)] : models.all.values());
    }),

    ModelInfer: modelInferHandler(server, o.deps),
    ModelStreamInfer: modelStreamInferHandler(server, o.deps),

    // Repository: loaded at start-up, as Triton with --model-control-mode=none; load and unload are refused.
    RepositoryIndex: server.unary({}, (req) => {
      const onlyReady = (req as { ready?: boolean }).ready === true;
      const index = [...models.all.values()].map((m) => ({ name: m.name, version: m.version, state: m.ready ? 'READY' : 'UNAVAILABLE', reason: '' }));
      return { models: onlyReady ? index.filter((e) => e.state === 'READY') : index };
    }),
    ...Object.fromEntries(
      (['load', 'unload'] as const).map((action) => [
        action === 'load' ? 'RepositoryModelLoad' : 'RepositoryModelUnload',
        server.unary({}, () => {
          throw invalidArgument(`explicit model ${action} is not allowed: models are loaded from the repository at start-up; restart the backend to change them`);
        }),
      ]),
    ),

    SystemSharedMemoryStatus: server.unary({}, (req) => {
      const { name } = req as { name?: string };
      const regions = shm().status(name || undefined);
      return { regions: Object.fromEntries(regions.map((r) => [r.name, r])) };
    }),
    SystemSharedMemoryRegister: server.unary({}, async (req) => {
      const r = req as { name?: string; key?: string; offset?: number; byte_size?: number };
      await shm().register(r.name ?? '', r.key ?? '', r.offset ?? 0, r.byte_size ?? 0);
      return {};
    }),
    SystemSharedMemoryUnregister: server.unary({}, async (req) => {
      const { name } = req as { name?: string };
      await shm().unregister(name || undefined);
      return {};
    }),
    CudaSharedMemoryStatus: server.unary({}, () => {
      throw cudaUnsupported();
    }),
    CudaSharedMemoryRegister: server.unary({}, () => {
      throw cudaUnsupported();
    }),
    CudaSharedMemoryUnregister: server.unary({}, () => {
      throw cudaUnsupported();
    }),

    TraceSetting: server.unary({}, (req) => {
      const r = req as { settings?: Record<string, { value?: string[] }>; model_name?: string };
      if (r.model_name) models.lookup(r.model_name);
      for (const [key, v] of Object.entries(r.settings ?? {})) {
        const value = v.value ?? [];
        if (key === 'trace_level' && value.length === 1 && value[0] === 'OFF') continue;
        throw invalidArgument(`tracing is not supported by this server: only {"trace_level": ["OFF"]} is accepted (got ${key}: ${JSON.stringify(value)})`);
      }
      return { settings: Object.fromEntries(Object.entries(TRACE_SETTINGS).map(([k, value]) => [k, { value }])) };
    }),
    LogSettings: server.unary({}, (req) => {
      const logs = o.deps().logSettings;
      if (!logs) throw new InferenceError('UNSUPPORTED', 'log settings are not available on this server');
      const given = Object.entries((req as { settings?: Record<string, Setting> }).settings ?? {});
      const values = given.map(([k, s]) => [k, s.parameter_choice ? s[s.parameter_choice] : undefined] as const);
      const now = values.length ? logs.update(Object.fromEntries(values)) : logs.get();
      return { settings: Object.fromEntries(Object.entries(now as Record<string, string | number | boolean>).map(([k, v]) => [k, settingValue(v)])) };
    }),
  };
}
