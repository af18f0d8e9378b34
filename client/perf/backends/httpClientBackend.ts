// The KServe v2 HTTP/REST client backend: GET /v2/models/{m}, /config and /stats, with the -H headers (a gateway's
// API key) on every call.
import { Pool } from 'undici';
import { PerfUsageError } from '../errors';
import type { TritonModelStats } from '../measure/serverStats';
import type { ModelConfigJson, ModelMetadataJson } from '../model/modelInfo';
import { buildHttpRequestPlan, modelPath } from '../requests/buildRequestPlan';
import type { ClientBackend } from './clientBackend';

/** An HTTP client backend for the server at `url`. */
export function createHttpClientBackend(url: URL, headers: Record<string, string>): ClientBackend {
  const pool = new Pool(url.origin, { connections: 2, keepAliveTimeout: 60_000 });
  const getJson = async <T>(path: string, what: string): Promise<T> => {
    let res;
    try {
      res = await pool.request({ path, method: 'GET', headers, headersTimeout: 30_000, bodyTimeout: 30_000 });
    } catch (err) {
      throw new PerfUsageError(`failed to get ${what} from ${url.origin}${path}: ${(err as Error).message}; is the server running (-u)?`);
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      let msg = text.trim().slice(0, 300);
      try {
        msg = (JSON.parse(text) as { error?: string }).error ?? msg;
      } catch {
        // not JSON: keep the text
      }
      throw new PerfUsageError(`failed to get ${what}: HTTP ${res.statusCode} from ${path}: ${msg}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new PerfUsageError(`failed to get ${what}: ${path} did not answer JSON`);
    }
  };
  return {
    protocol: 'http',
    modelMetadata: (name, version) => getJson<ModelMetadataJson>(modelPath(url, name, version), 'model metadata'),
    modelConfig: (name, version) => getJson<ModelConfigJson>(`${modelPath(url, name, version)}/config`, 'model config'),
    modelStatistics: async (name) =>
      (await getJson<{ model_stats?: TritonModelStats[] }>(`${modelPath(url, name, '')}/stats`, 'model statistics')).model_stats ?? [],
    requestPlan: (o) => buildHttpRequestPlan({ ...o, baseUrl: url, headers }),
    close: () => pool.close(),
  };
}
