import { describe, expect, it } from 'vitest';
import { createOrtRunner } from '../../gpu-backend/runtime/ortRunner';
import { createThreadedOrtRunner } from '../../gpu-backend/runtime/threadedRunner';
import type { TensorData } from '../../gpu-backend/runtime/types';
import { maxAbsDiff, readF32, reference } from '../helpers/fixtures';

const options = {
  modelPath: 'model_repository/siglip_vision/1/model.onnx',
  providers: ['cpu'],
  strictProvider: true,
  inputNames: { PIXEL_VALUES: 'pixel_values' },
  outputNames: { EMBEDDING: 'pooler_output' },
};

describe('createThreadedOrtRunner', () => {
  it('computes in its own thread what the in-process session computes', async () => {
    const pixels = readF32('random_pixels_2x3x384x384.f32');
    const threaded = await createThreadedOrtRunner(options);
    const inline = await createOrtRunner(options);
    try {
      const inputs = { PIXEL_VALUES: { data: pixels.slice(), dims: [2, 3, 384, 384] } };
      const a = (await threaded.run(inputs, ['EMBEDDING'])).EMBEDDING;
      const b = (await inline.run(inputs, ['EMBEDDING'])).EMBEDDING;
      expect(a.dims).toEqual([2, 64]);
      expect(Array.from(a.data as Float32Array)).toEqual(Array.from(b.data as Float32Array));
      expect(maxAbsDiff((a.data as Float32Array).subarray(0, 64), reference.random_pixels.pooler_output[0])).toBeLessThanOrEqual(1e-4);
      expect(threaded.provider).toBe('cpu');
    } finally {
      await threaded.release();
      await inline.release();
    }
  });

  it('moves input buffers to its thread and hands them back through reclaim, without copying', async () => {
    const runner = await createThreadedOrtRunner(options);
    try {
      const data = new Float32Array(3 * 384 * 384).fill(0.25);
      const back: Record<string, TensorData> = {};
      const out = await runner.run({ PIXEL_VALUES: { data, dims: [1, 3, 384, 384] } }, ['EMBEDDING'], (name, d) => (back[name] = d));
      expect(data.byteLength).toBe(0); // transferred away ...
      expect(back.PIXEL_VALUES.length).toBe(3 * 384 * 384); // ... and returned intact
      expect((back.PIXEL_VALUES as Float32Array)[1000]).toBe(0.25);
      expect(out.EMBEDDING.dims).toEqual([1, 64]);
    } finally {
      await runner.release();
    }
  });

  it('keeps the process alive while a run is pending, and refuses runs after release', async () => {
    const runner = await createThreadedOrtRunner(options);
    const out = await runner.run({ PIXEL_VALUES: { data: new Float32Array(3 * 384 * 384), dims: [1, 3, 384, 384] } }, ['EMBEDDING']);
    expect(out.EMBEDDING.data.length).toBe(64);
    await runner.release();
    await expect(runner.run({ PIXEL_VALUES: { data: new Float32Array(3 * 384 * 384), dims: [1, 3, 384, 384] } }, ['EMBEDDING'])).rejects.toThrow(/released/);
  });

  it('reports a model that cannot load as a start-up error', async () => {
    await expect(createThreadedOrtRunner({ ...options, modelPath: '/nonexistent/model.onnx' })).rejects.toThrow(/nonexistent/);
  });
});
