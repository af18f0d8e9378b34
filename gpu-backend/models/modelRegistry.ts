import type { Logger } from 'pino';
import { notFound } from '../../shared/errors';
import type { BackendOptions } from '../config/backendOptions';
import { loadModelRepository, type RepositoryEntry } from '../config/modelRepository';
import { createRunners, runtimeParameters, type RunnerFactory } from '../runtime/createRunners';
import type { Metrics } from '../stats/metrics';
import { ModelTelemetry } from '../stats/telemetry';
import type { WorkerPool } from '../workers/workerPool';
import { OnnxModel } from './onnxModel';
import { createPipelineModel } from './pipelines';
import type { ServedModel } from './types';

/** What loading a repository needs besides the backend options. */
export interface RegistryDeps {
  metrics: Metrics;
  /** The decode and preprocessing pool (null: on the event loop). */
  pool: WorkerPool | null;
  createRunner: RunnerFactory;
  log: Logger;
}

/** The models a backend serves, loaded from its repository: ONNX models and the pipelines in front of them. */
export class ModelRegistry {
  private readonly models = new Map<string, ServedModel>();
  private loaded = false;

  /** Loads every model of the repository (ONNX models first: pipelines wrap them) and warms each up; on failure releases what loaded. */
  async load(options: BackendOptions, deps: RegistryDeps): Promise<void> {
    try {
      const entries = await loadModelRepository(options.modelRepository);
      const order = (e: RepositoryEntry) => (e.config.platform === 'onnxruntime_onnx' ? 0 : 1);
      for (const entry of [...entries].sort((a, b) => order(a) - order(b))) this.models.set(entry.name, await loadOne(entry, this.models, options, deps));
      for (const m of this.models.values()) await m.warmup();
      this.loaded = true;
    } catch (err) {
      await this.close().catch(() => {});
      throw err;
    }
  }

  /** Every model, by name. */
  get all(): ReadonlyMap<string, ServedModel> {
    return this.models;
  }

  /** The model (and version) a request names, or Triton's 404. */
  lookup(name: string, version?: string): ServedModel {
    const m = this.models.get(name);
    if (!m) throw notFound(`Request for unknown model: '${name}' is not found`);
    if (version !== undefined && version !== m.version) throw notFound(`Request for unknown model: '${name}' version ${version} is not found`);
    return m;
  }

  /** Every model is warmed up and able to run (false before load). */
  get ready(): boolean {
    if (!this.loaded) return false;
    for (const m of this.models.values()) if (!m.ready) return false;
    return true;
  }

  /** Drains every model (pipelines first), then releases their sessions. */
  async close(): Promise<void> {
    for (const m of [...this.models.values()].reverse()) await m.close();
  }
}

async function loadOne(entry: RepositoryEntry, models: Map<string, ServedModel>, options: BackendOptions, deps: RegistryDeps): Promise<ServedModel> {
  const { log } = deps;
  const telemetry = new ModelTelemetry(deps.metrics, entry.name, entry.version);
  if (entry.config.platform === 'onnxruntime_onnx') {
    const params = runtimeParameters(entry, { providers: options.providers, strict: options.strictProvider });
    const runners = await createRunners(entry, params, (msg) => log.warn({ model: entry.name }, msg), deps.createRunner, {
      onCrash: (message) => log.error({ model: entry.name, error: message }, 'model instance crashed; reloading it (not ready until it is back)'),
      onRestored: () => log.info({ model: entry.name }, 'model instance reloaded; serving again'),
      onRestoreFailed: (message, retryInMs) => log.error({ model: entry.name, error: message, retryInMs }, 'model instance failed to reload'),
    });
    const model = new OnnxModel(entry.name, entry.version, entry.config, runners, telemetry);
    log.info({ model: entry.name, version: entry.version, provider: model.provider, instances: runners.length }, 'model loaded');
    return model;
  }
  const limits = {
    maxEncodedBytes: options.maxImageBytes,
    maxPixels: options.maxImagePixels,
    maxRequestPixels: options.maxRequestPixels,
    maxTextBytes: options.maxTextBytes,
    maxRequestTextBytes: options.maxRequestTextBytes,
  };
  const model = await createPipelineModel(entry, models, telemetry, deps.pool, limits);
  log.info({ model: entry.name, version: entry.version, target: model.tritonConfig.parameters.default_embed_model?.string_value }, 'pipeline loaded');
  return model;
}
