// `siglip perf` through the real Node gateway with an API key (-H 'Authorization: Bearer KEY'): the same figures
// as against the backend, server statistics included (the gateway forwards /v2/models/{m}/stats).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { startGateway, type RunningGateway } from '../../gateway/node';
import { PerfUsageError } from '../../client/perf/errors';
import { resolvePerfOptions } from '../../client/perf/options/perfOptions';
import { runPerf } from '../../client/perf/runPerf';
import { startTestBackend } from '../helpers/backend';
import { keysFor } from '../gateway/support/tenants';

const TOKEN = 'perf-gateway-shared-secret-0123456789';
let backend: Backend;
let gw: RunningGateway;
let key: string;

beforeAll(async () => {
  backend = await startTestBackend({ requireToken: TOKEN });
  const made = await keysFor({ bench: { models: ['siglip_vision'], rate: 100_000, burst: 100_000 } });
  key = made.keys.bench;
  gw = await startGateway({ port: 0, backends: [`a=${backend.url}`], keys: made.file, backendToken: TOKEN });
});
afterAll(async () => {
  await gw?.close();
  await backend?.close();
});

const perf = (header: string[]) =>
  runPerf(resolvePerfOptions({ model: 'siglip_vision', url: gw.url, header, measurementInterval: 300, stabilityPercentage: 999, maxTrials: 4 }), {
    out: () => {},
    err: () => {},
  });

describe('siglip perf through the gateway', () => {
  it('measures siglip_vision with the tenant key, server statistics included', async () => {
    const r = await perf([`Authorization: Bearer ${key}`]);
    expect(r.serverStats).toBe(true);
    const s = r.statuses[0];
    expect(s.client.requestCount).toBeGreaterThan(0);
    expect(s.server!.successCount).toBeGreaterThan(0);
    const queueAndCompute = (s.server!.queueTimeNs + s.server!.computeInputTimeNs + s.server!.computeInferTimeNs + s.server!.computeOutputTimeNs) / s.server!.successCount;
    expect(queueAndCompute).toBeLessThanOrEqual(s.client.avgLatencyNs);
  });

  it('without the key, says so in one line before sending any load', async () => {
    const err = await perf([]).catch((e) => e);
    expect(err).toBeInstanceOf(PerfUsageError);
    expect(err.message).toMatch(/^failed to get model metadata: HTTP 401 /);
    expect(err.message).not.toContain('\n');
  });
});
