import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, spawnBackend, type BackendProcess } from '../helpers/backendProcess';
import { fixturePath, maxAbsDiff, reference } from '../helpers/fixtures';
import { modelStats } from '../helpers/visionRequests';

const run = promisify(execFile);

/** Runs the unchanged Triton client, examples/client.py, and parses what it prints. */
async function pythonClient(url: string, pixels: string, threads: number): Promise<{ count: number; dim: number; embeddings: number[][] }> {
  const { stdout } = await run('python3', ['examples/client.py', url, '--pixels', fixturePath(pixels), '--threads', String(threads)], {
    cwd: PROJECT_ROOT,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, SIGLIP_API_KEY: '' },
  });
  return JSON.parse(stdout);
}

describe('examples/client.py (the existing Triton client) against `siglip backend`', () => {
  let backend: BackendProcess;
  beforeAll(async () => {
    backend = await spawnBackend(['--providers', 'cpu']);
  });
  afterAll(() => backend?.kill());

  it('gets the 64-d embedding of one image, matching HF transformers within 1e-4', async () => {
    const out = await pythonClient(backend.url, 'random_pixels_2x3x384x384.f32', 1);
    expect(out.count).toBe(1);
    expect(out.dim).toBe(64);
    // With one thread the client sends the file's first image.
    expect(maxAbsDiff(out.embeddings[0], reference.random_pixels.pooler_output[0])).toBeLessThanOrEqual(1e-4);
  });

  it('serves 60 threads at once, each with its own image\'s embedding, in fewer executions than inferences', async () => {
    const before = await modelStats(backend.url);
    const out = await pythonClient(backend.url, 'photos_pixel_values_3x3x384x384.f32', 60);
    expect(out.count).toBe(60);
    // Thread i sends image i % 3 of the file and the client prints results in thread order.
    out.embeddings.forEach((embedding, i) => {
      expect(maxAbsDiff(embedding, reference.photos.pooler_output[i % 3]), `thread ${i}`).toBeLessThanOrEqual(1e-4);
    });
    const after = await modelStats(backend.url);
    const inferences = after.inference_count - before.inference_count;
    const executions = after.execution_count - before.execution_count;
    expect(inferences).toBe(60);
    expect(executions).toBeLessThan(inferences);
    expect(after.inference_stats.success.count - before.inference_stats.success.count).toBe(60);
  });
});
