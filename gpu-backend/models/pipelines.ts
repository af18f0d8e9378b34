import type { RepositoryEntry } from '../config/modelRepository';
import type { ModelTelemetry } from '../stats/telemetry';
import type { ServedModel } from './types';

/** Builds a `pipeline` model (preprocessing in front of an ONNX model) from its config. */
export async function createPipelineModel(
  entry: RepositoryEntry,
  models: Map<string, ServedModel>,
  telemetry: ModelTelemetry,
  pool: unknown,
): Promise<ServedModel> {
  void models;
  void telemetry;
  void pool;
  throw new Error(`${entry.dir}/config.json: pipeline models are not supported yet`);
}
