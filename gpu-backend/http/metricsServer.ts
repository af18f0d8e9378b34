import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InferenceError, notFound } from '../../shared/errors';
import type { ServedModel } from '../models/types';
import type { Metrics } from '../stats/metrics';
import { listen } from './httpServer';
import { sendError } from './respond';
import { sendMetrics } from './routes/routeTable';

/** Triton's metrics port: GET /metrics, nothing else (perf_analyzer's --collect-metrics scrapes it). */
export async function serveMetrics(metrics: Metrics, models: ReadonlyMap<string, ServedModel>, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    if ((req.url ?? '/').split('?')[0] !== '/metrics') return sendError(res, notFound(`no route for ${req.method} ${req.url}; the metrics port serves GET /metrics`));
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, new InferenceError('METHOD_NOT_ALLOWED', `method ${req.method} not allowed for /metrics; use GET`));
    sendMetrics(res, metrics, models).catch((err: unknown) => sendError(res, err));
  });
  await listen(server, port, host);
  return { server, port: (server.address() as AddressInfo).port };
}
