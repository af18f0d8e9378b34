// `siglip perf -i grpc` against a real backend's gRPC port (bundled demo models, CPU): perf_analyzer's gRPC client,
// raw_input_contents, N parallel unary calls, server statistics over ModelStatistics. Windows are short and
// --stability-percentage wide so every point settles in 3 windows; the assertions are about the figures, never
// about how fast anything ran.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PerfStatus } from '../../client/perf/measure/perfStatus';
import { serverAverages } from '../../client/perf/measure/serverStats';
import { resolvePerfOptions, type PerfOptionsInput } from '../../client/perf/options/perfOptions';
import { runPerf } from '../../client/perf/runPerf';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';

const SEED = new URL('../../../shared/seed-data/', import.meta.url);
const out = mkdtempSync(join(tmpdir(), 'siglip-perf-grpc-'));
let backend: Backend;

beforeAll(async () => {
  backend = await startTestBackend();
});
afterAll(() => backend?.close());

async function perf(raw: Omit<PerfOptionsInput, 'url' | 'protocol'>) {
  const lines: string[] = [];
  const result = await runPerf(resolvePerfOptions({ protocol: 'grpc', url: backend.grpcUrl!, measurementInterval: 300, stabilityPercentage: 999, maxTrials: 4, ...raw }), {
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
  });
  return { ...result, lines };
}

function expectSane(s: PerfStatus): void {
  const c = s.client;
  expect(c.requestCount).toBeGreaterThan(0);
  expect(c.avgSendTimeNs + c.avgReceiveTimeNs).toBeLessThanOrEqual(c.avgRequestTimeNs);
  const st = s.server!;
  expect(st.successCount).toBeGreaterThan(0);
  expect(st.inferenceCount).toBeGreaterThanOrEqual(st.executionCount);
  const { queueUs, computeUs } = serverAverages(st);
  expect(queueUs + computeUs).toBeLessThanOrEqual(c.avgLatencyNs / 1000);
}

describe('siglip perf -i grpc', () => {
  it('measures siglip_vision over raw_input_contents at concurrency 1:2, with the server figures and the CSV', async () => {
    const csv = join(out, 'vision.csv');
    const r = await perf({ model: 'siglip_vision', concurrencyRange: '1:2', filename: csv });
    expect(r.serverStats).toBe(true);
    expect(r.run.url).toBe(`grpc://${backend.grpcUrl}`);
    expect(r.statuses.map((s) => s.concurrency)).toEqual([1, 2]);
    r.statuses.forEach(expectSane);
    expect(r.lines.filter((l) => /^Concurrency: [12], throughput: [\d.e+]+ infer\/sec, latency \d+ usec$/.test(l))).toHaveLength(2);
    // perf_analyzer's wording for the gRPC client's times.
    expect(r.lines.filter((l) => /^ {4}Avg gRPC time: \d+ usec \(\(un\)marshal request\/response \d+ usec \+ response wait \d+ usec\)$/.test(l))).toHaveLength(2);
    expect(readFileSync(csv, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('measures an exact --request-count: every request reached the server', async () => {
    const r = await perf({ model: 'siglip_vision', requestCount: 12, concurrencyRange: '4' });
    expect(r.statuses.map((s) => [s.client.requestCount, s.server!.successCount])).toEqual([[12, 12]]);
  });

  it('measures embed_image as the seed README runs it: base64 data, base64_encoded:true:bool, siglip_vision composing', async () => {
    const r = await perf({
      model: 'embed_image',
      inputData: [new URL('embed_image_base64.json', SEED).pathname],
      requestParameter: ['base64_encoded:true:bool'],
      blsComposingModels: ['siglip_vision'],
      concurrencyRange: '4',
    });
    expectSane(r.statuses[0]);
    expect([...r.statuses[0].server!.composing.keys()]).toEqual(['siglip_vision:1']);
  });

  it("stops at the first failed call with the server's status and message", async () => {
    await expect(perf({ model: 'siglip_vision', requestParameter: ['timeout:-1:int'] })).rejects.toThrow(
      /Thread \[0\] had error: gRPC INVALID_ARGUMENT from .*: parameter timeout must be a non-negative number of microseconds/,
    );
  });

  it('refuses the HTTP-only tensor forms in one line', async () => {
    await expect(perf({ model: 'siglip_vision', inputTensorFormat: 'json' })).rejects.toThrow(/-i grpc sends raw_input_contents/);
  });
});
