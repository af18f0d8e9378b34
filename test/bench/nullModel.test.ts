import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNullModelRepository } from '../../bench/nullModel';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';

// The bench's compute-free siglip_vision must be served like the demo model: same name, input and output.
describe('bench/nullModel.ts', () => {
  let dir: string;
  let backend: Backend;
  beforeAll(async () => {
    dir = await writeNullModelRepository(await mkdtemp(join(tmpdir(), 'null-model-test-')));
    backend = await startTestBackend({ modelRepository: dir });
  });
  afterAll(async () => {
    await backend?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves siglip_vision [n,3,384,384] → [n,64]: the per-channel means projected, batch rows independent', async () => {
    const image = (c: number[]) => Float32Array.from({ length: 3 * 384 * 384 }, (_, i) => c[Math.floor(i / (384 * 384))]);
    const a = image([1, 0, 0]);
    const b = image([0, 2, -1]);
    const both = new Float32Array(a.length * 2);
    both.set(a);
    both.set(b, a.length);
    const res = await fetch(`${backend.url}/v2/models/siglip_vision/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [2, 3, 384, 384], datatype: 'FP32', data: Array.from(both) }] }),
    });
    expect(res.status).toBe(200);
    const out = (await res.json()).outputs[0];
    expect([out.name, out.shape]).toEqual(['EMBEDDING', [2, 64]]);
    const w = (r: number, k: number) => Math.sin(r * 64 + k + 1);
    for (let k = 0; k < 64; k++) {
      expect(out.data[k]).toBeCloseTo(w(0, k), 5);
      expect(out.data[64 + k]).toBeCloseTo(2 * w(1, k) - w(2, k), 5);
    }
  });
});
