/**
 * Triton's extension endpoints besides inference: system shared memory (and CUDA shared memory's "not
 * supported"), logging, and trace settings.
 */
import { InferenceError, invalidArgument } from '../../../shared/errors';
import type { LogSettings } from '../../config/logSettings';
import type { SystemSharedMemory } from '../../shm/systemSharedMemory';
import { withAdmittedBody, type BodyAdmission } from '../body/admittedBody';
import { sendJson } from '../respond';
import type { RouteContext, Router } from '../router';

/** What the extension routes need. */
export interface ExtensionRouteDeps {
  shm: SystemSharedMemory;
  logSettings: LogSettings;
  admission: BodyAdmission;
  /** Resolves a model named in a per-model trace path (Triton's 404 for an unknown one). */
  lookupModel(name: string): unknown;
}

// Small JSON bodies (register, settings): an empty body reads as {}.
async function readJson(admission: BodyAdmission, req: RouteContext['req']): Promise<Record<string, unknown>> {
  return withAdmittedBody(admission, req, (bytes) => {
    const text = new TextDecoder().decode(bytes).trim();
    if (!text) return {};
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      throw invalidArgument(`request body is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgument('request body must be a JSON object');
    return v as Record<string, unknown>;
  });
}

const cudaUnsupported = () =>
  new InferenceError('UNSUPPORTED', 'CUDA shared memory is not supported by this server: use system shared memory (/v2/systemsharedmemory) or send tensors in the request');

// Triton's defaults with tracing off; we do not trace, so only trace_level ["OFF"] is accepted.
const TRACE_SETTINGS = { trace_level: ['OFF'], trace_rate: '1000', trace_count: '-1', log_frequency: '0', trace_file: '', trace_mode: 'triton' };

export function registerExtensionRoutes(r: Router, deps: ExtensionRouteDeps): void {
  const { shm } = deps;
  const sys = '/v2/systemsharedmemory';
  r.add('GET', `${sys}/status`, ({ res }) => sendJson(res, 200, shm.status()));
  r.add('GET', `${sys}/region/:name/status`, ({ res, params }) => sendJson(res, 200, shm.status(params.name)));
  r.add('POST', `${sys}/region/:name/register`, async ({ req, res, params }) => {
    const body = await readJson(deps.admission, req);
    await shm.register(params.name, body.key as string, (body.offset ?? 0) as number, body.byte_size as number);
    sendJson(res, 200, '');
  });
  r.add('POST', `${sys}/unregister`, async ({ req, res }) => {
    req.resume();
    await shm.unregister();
    sendJson(res, 200, '');
  });
  r.add('POST', `${sys}/region/:name/unregister`, async ({ req, res, params }) => {
    req.resume();
    await shm.unregister(params.name);
    sendJson(res, 200, '');
  });

  const cuda = '/v2/cudasharedmemory';
  for (const [method, path] of [
    ['GET', `${cuda}/status`],
    ['GET', `${cuda}/region/:name/status`],
    ['POST', `${cuda}/region/:name/register`],
    ['POST', `${cuda}/unregister`],
    ['POST', `${cuda}/region/:name/unregister`],
  ] as const) {
    r.add(method, path, ({ req }) => {
      req.resume();
      throw cudaUnsupported();
    });
  }

  r.add('GET', '/v2/logging', ({ res }) => sendJson(res, 200, deps.logSettings.get()));
  r.add('POST', '/v2/logging', async ({ req, res }) => sendJson(res, 200, deps.logSettings.update(await readJson(deps.admission, req))));

  const trace = async ({ req, res, params }: RouteContext) => {
    if (params.model !== undefined) deps.lookupModel(params.model);
    if (req.method === 'POST') {
      const body = await readJson(deps.admission, req);
      for (const [key, v] of Object.entries(body)) {
        if (key === 'trace_level' && Array.isArray(v) && v.length === 1 && v[0] === 'OFF') continue;
        throw invalidArgument(`tracing is not supported by this server: only {"trace_level": ["OFF"]} is accepted (got ${key}: ${JSON.stringify(v)})`);
      }
    } else {
      req.resume();
    }
    sendJson(res, 200, TRACE_SETTINGS);
  };
  for (const method of ['GET', 'POST']) {
    r.add(method, '/v2/trace/setting', trace);
    r.add(method, '/v2/models/:model/trace/setting', trace);
  }
}
