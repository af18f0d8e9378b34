// `siglip perf` against a real backend started in this process (bundled demo models, CPU), over binary tensors,
// JSON and the raw binary request. Windows are short and --stability-percentage is wide so every point settles in
// 3 windows; the assertions are about the figures, never about how fast anything ran.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { encodeBytesElements } from '../../shared/codec/binaryTensor';
import type { PerfStatus } from '../../client/perf/measure/perfStatus';
import { serverAverages, ensembleTotals } from '../../client/perf/measure/serverStats';
import { resolvePerfOptions, type PerfOptionsInput } from '../../client/perf/options/perfOptions';
import { runPerf } from '../../client/perf/runPerf';
import { startTestBackend } from '../helpers/backend';

const SEED = new URL('../../../shared/seed-data/', import.meta.url);
const DATA = (path: string) => new URL(`../../data/${path}`, import.meta.url).pathname;
const PERF_CSV_HEADER =
  'Concurrency,Inferences/Second,Client Send,Network+Server Send/Recv,Server Queue,Server Compute Input,Server Compute Infer,Server Compute Output,Client Recv,p50 latency,p90 latency,p95 latency,p99 latency';

let backend: Backend;
const out = mkdtempSync(join(tmpdir(), 'siglip-perf-e2e-'));

beforeAll(async () => {
  backend = await startTestBackend();
});
afterAll(() => backend?.close());

async function perf(raw: Omit<PerfOptionsInput, 'url'>) {
  const lines: string[] = [];
  const errors: string[] = [];
  const result = await runPerf(
    resolvePerfOptions({ url: backend.url, measurementInterval: 300, stabilityPercentage: 999, maxTrials: 4, ...raw }),
    { out: (l) => lines.push(l), err: (l) => errors.push(l) },
  );
  return { ...result, lines, errors };
}

/** The check: the server's queue + compute never exceed what the client waited, and the figures agree. */
function expectSane(s: PerfStatus, batchSize = 1) {
  const c = s.client;
  expect(c.requestCount).toBeGreaterThan(0);
  expect(c.inferPerSec).toBeCloseTo((c.requestCount * batchSize) / (c.durationNs / 1e9), 6);
  const p = [...c.percentileLatencyNs.values()];
  expect(p).toEqual([...p].sort((a, b) => a - b));
  expect(c.latencies[0]).toBeLessThanOrEqual(c.avgLatencyNs);
  expect(c.avgSendTimeNs + c.avgReceiveTimeNs).toBeLessThanOrEqual(c.avgRequestTimeNs);
  const st = s.server!;
  expect(st.successCount).toBeGreaterThan(0);
  expect(Math.abs(st.successCount - c.requestCount)).toBeLessThanOrEqual(c.requestCount * 0.25 + 4);
  expect(st.inferenceCount).toBeGreaterThanOrEqual(st.executionCount);
  const { queueUs, computeUs } = st.composing.size ? ensembleTotals(st) : serverAverages(st);
  expect(queueUs + computeUs).toBeLessThanOrEqual(c.avgLatencyNs / 1000);
  expect(serverAveragesOrTotal(st)).toBeLessThanOrEqual(c.avgLatencyNs / 1000);
}

function serverAveragesOrTotal(st: NonNullable<PerfStatus['server']>): number {
  return Math.floor(st.cummTimeNs / st.successCount / 1000);
}

describe('siglip perf against the backend', () => {
  it('measures siglip_vision over binary tensors, sweeping concurrency 1:2, with the CSV, JSON and HTML reports', async () => {
    const csv = join(out, 'vision.csv');
    const r = await perf({ model: 'siglip_vision', concurrencyRange: '1:2', filename: csv, json: join(out, 'vision.json'), report: join(out, 'vision.html') });
    expect(r.statuses.map((s) => s.concurrency)).toEqual([1, 2]);
    for (const s of r.statuses) expectSane(s);
    expect(r.lines).toContain('Request concurrency: 2');
    expect(r.lines).toContain('Inferences/Second vs. Client Average Batch Latency');
    expect(r.lines.filter((l) => /^Concurrency: [12], throughput: [\d.e+]+ infer\/sec, latency \d+ usec$/.test(l))).toHaveLength(2);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe(PERF_CSV_HEADER);
    expect(rows).toHaveLength(3);
    const json = JSON.parse(readFileSync(join(out, 'vision.json'), 'utf8'));
    expect(json.points).toHaveLength(2);
    expect(json.points[0].server.inferences_per_execution).toBeGreaterThanOrEqual(1);
    expect(readFileSync(join(out, 'vision.html'), 'utf8')).toContain('<svg id="breakdown-chart"');
  });

  it('measures siglip_vision over JSON tensors (--input-tensor-format json --output-tensor-format json), batch 2, with data/siglip_vision', async () => {
    const r = await perf({ model: 'siglip_vision', inputTensorFormat: 'json', outputTensorFormat: 'json', batchSize: 2, inputData: [DATA('siglip_vision/pixel_values.json')] });
    expect(r.statuses).toHaveLength(1);
    expectSane(r.statuses[0], 2);
    // Batch 2: the server counts two inferences per request.
    expect(r.statuses[0].server!.inferenceCount).toBe(2 * r.statuses[0].server!.successCount);
  });

  it('measures an exact --request-count in one window per point', async () => {
    const r = await perf({ model: 'siglip_vision', requestCount: 12, concurrencyRange: '3:4' });
    expect(r.statuses.map((s) => [s.concurrency, s.client.requestCount, s.server!.successCount])).toEqual([
      [3, 12, 12],
      [4, 12, 12],
    ]);
  });

  it('measures an offered load with --request-rate-range (open loop, Poisson)', async () => {
    const r = await perf({ model: 'siglip_vision', requestRateRange: '20', requestDistribution: 'poisson' });
    expect(r.statuses[0].requestRate).toBe(20);
    expectSane(r.statuses[0]);
    expect(r.lines).toContain('Request Rate: 20 inference requests per second');
  });

  it('stops at the first failed request with the server\'s message', async () => {
    // The backend refuses a negative queue timeout with a 400.
    await expect(perf({ model: 'siglip_vision', requestParameter: ['timeout:-1:int'] })).rejects.toThrow(/Thread \[0\] had error: HTTP 400 .*timeout/);
  });

  // Needs the backend's embed_image input named INPUT_IMAGE, as the seed file and the old deployment call it.
  it('measures embed_image with the seed base64 file and siglip_vision as its composing model', async () => {
    const r = await perf({
      model: 'embed_image',
      inputData: [new URL('embed_image_base64.json', SEED).pathname],
      requestParameter: ['base64_encoded:true:bool'],
      blsComposingModels: ['siglip_vision'],
    });
    const s = r.statuses[0];
    expectSane(s);
    expect([...s.server!.composing.keys()]).toEqual(['siglip_vision:1']);
    expect(r.lines).toContain('  Composing models: ');
  });

  // Needs the backend's raw binary request support (Inference-Header-Content-Length: 0).
  it('measures embed_image with raw binary requests (--input-tensor-format raw): the JPEG is the whole body', async () => {
    const jpeg = readFileSync(new URL('images/imagenet_2.jpg', SEED));
    const data = join(out, 'raw.json');
    writeFileSync(data, JSON.stringify({ data: [{ INPUT_IMAGE: { b64: Buffer.from(encodeBytesElements([jpeg])).toString('base64') } }] }));
    const r = await perf({ model: 'embed_image', inputData: [data], inputTensorFormat: 'raw' });
    expectSane(r.statuses[0]);
  });
});
