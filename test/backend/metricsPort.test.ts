/** Triton's metrics port, its GPU gauges (from nvidia-smi), and the statistics perf_analyzer reads of composing models. */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { parseNvidiaSmi } from '../../gpu-backend/stats/gpuMetrics';
import { startTestBackend } from '../helpers/backend';
import { fixturePath } from '../helpers/fixtures';
import { modelStats } from '../helpers/visionRequests';

let dir: string;
let backend: Backend;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fake-smi-'));
  // A stand-in for nvidia-smi that answers the query the backend makes, for two GPUs.
  const smi = join(dir, 'nvidia-smi');
  await writeFile(smi, '#!/bin/sh\necho "GPU-1111-aaaa, 37, 1024, 81920, 123.45"\necho "GPU-2222-bbbb, 0, 0, 81920, [N/A]"\n');
  await chmod(smi, 0o755);
  backend = await startTestBackend({ metricsPort: 0, nvidiaSmi: smi });
});
afterAll(async () => {
  await backend.close();
  await rm(dir, { recursive: true, force: true });
});

describe("Triton's metrics port", () => {
  it('serves /metrics on its own port, with the same series as the API port', async () => {
    expect(backend.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await (await fetch(backend.metricsUrl!)).text();
    expect(text).toContain('nv_inference_request_success{model="siglip_vision",version="1"}');
    expect((await fetch(backend.metricsUrl!.replace('/metrics', '/v2/health/ready'))).status).toBe(404);
  });

  it('serves nv_gpu_* by gpu_uuid in the text form perf_analyzer parses: utilization 0..1, bytes, watts', async () => {
    const text = await (await fetch(backend.metricsUrl!)).text();
    expect(text).toContain('nv_gpu_utilization{gpu_uuid="GPU-1111-aaaa"} 0.37');
    expect(text).toContain(`nv_gpu_memory_used_bytes{gpu_uuid="GPU-1111-aaaa"} ${1024 * 1024 * 1024}`);
    expect(text).toContain(`nv_gpu_memory_total_bytes{gpu_uuid="GPU-1111-aaaa"} ${81920 * 1024 * 1024}`);
    expect(text).toContain('nv_gpu_power_usage{gpu_uuid="GPU-1111-aaaa"} 123.45');
    expect(text).toContain('nv_gpu_power_usage{gpu_uuid="GPU-2222-bbbb"} 0');
  });

  it('has no nv_gpu_* series where nvidia-smi is absent', async () => {
    const cpuOnly = await startTestBackend({ metricsPort: 0, nvidiaSmi: join(dir, 'no-such-command') });
    try {
      const text = await (await fetch(cpuOnly.metricsUrl!)).text();
      expect(text).not.toMatch(/^nv_gpu_utilization\{/m);
    } finally {
      await cpuOnly.close();
    }
  });

  it('parses nvidia-smi rows, [N/A] as 0', () => {
    expect(parseNvidiaSmi('GPU-x, 50, 10, 20, [N/A]\n')).toEqual([{ uuid: 'GPU-x', utilization: 0.5, memoryUsedBytes: 10 * 1048576, memoryTotalBytes: 20 * 1048576, powerWatts: 0 }]);
  });
});

describe('statistics of a composing model (embed_image → siglip_vision)', () => {
  it("counts each row a pipeline sends as a request of the target, with equal compute counts", async () => {
    const before = await modelStats(backend.url, 'siglip_vision');
    const res = await fetch(`${backend.url}/v2/models/embed_image/infer`, {
      method: 'POST',
      headers: { 'inference-header-content-length': '0' },
      body: new Uint8Array(readFileSync(fixturePath('chelsea.png'))),
    });
    expect(res.status).toBe(200);
    const after = await modelStats(backend.url, 'siglip_vision');
    const d = (k: string) => after.inference_stats[k].count - before.inference_stats[k].count;
    expect(d('success')).toBe(1);
    expect(d('queue')).toBe(1);
    expect([d('compute_input'), d('compute_infer'), d('compute_output')]).toEqual([1, 1, 1]);
  });
});
