/** `GET /health` and `GET /status`: what the gateway and its backends look like, computed for the cache. */
import type { BackendStatus } from '../backends/backendPool';
import type { ModelCatalog, ModelInfo } from '../backends/modelCatalog';

/** The pool as these views need it. */
export interface HealthSource {
  refreshIfStale(): Promise<void>;
  status(): BackendStatus[];
}

/** Liveness (this answer) plus readiness: 200 when at least one backend is ready, else 503. */
export async function computeHealth(pool: HealthSource): Promise<{ status: number; body: unknown }> {
  await pool.refreshIfStale();
  const ready = pool.status().filter((b) => b.ready).length;
  return { status: ready > 0 ? 200 : 503, body: { live: true, ready: ready > 0, backends_ready: ready } };
}

/** Backends by name, their readiness, the models with versions and shapes, and the gateway's version. */
export async function computeStatus(
  pool: HealthSource,
  catalog: ModelCatalog,
  gateway: { name: string; version: string },
): Promise<{ status: number; body: unknown }> {
  await pool.refreshIfStale();
  const backends = pool.status().map(({ name, ready }) => ({ name, ready }));
  let models: ReturnType<typeof describeModel>[] = [];
  let modelsError: string | undefined;
  try {
    const names = [...new Set((await catalog.repositoryIndex()).map((e) => e.name))];
    // Metadata is cached by the catalog, so a status refresh costs one index request once models are known.
    const infos = await Promise.all(names.map((n) => catalog.get(n)));
    models = infos.filter((m): m is ModelInfo => m !== undefined).map(describeModel);
  } catch {
    // No key is needed for /status: say what failed, not the backends' own messages.
    modelsError = 'the backends could not list their models';
  }
  const body: Record<string, unknown> = { gateway, ready: backends.some((b) => b.ready), backends, models };
  if (modelsError) body.models_error = modelsError;
  return { status: 200, body };
}

function describeModel(m: ModelInfo) {
  return {
    name: m.name,
    versions: m.versions,
    platform: m.platform,
    max_batch_size: m.maxBatchSize,
    inputs: m.inputs,
    outputs: m.outputs,
  };
}
