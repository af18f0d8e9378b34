import { describe, expect, it } from 'vitest';
import { createOrtRunner } from '../../gpu-backend/runtime/ortRunner';
import { createThreadedOrtRunner } from '../../gpu-backend/runtime/threadedRunner';
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
      const inputs = { PIXEL_VALUES: { data: pixels.slice(), datatype: 'FP32' as const, dims: [2, 3, 384, 384] } };
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

  it('reads inputs in shared memory in place (the batch buffers), with the same result as a plain copy', async () => {
    const runner = await createThreadedOrtRunner(options);
    try {
      const plain = readF32('photos_pixel_values_3x3x384x384.f32').subarray(0, 3 * 384 * 384);
      const shared = new Float32Array(new SharedArrayBuffer(plain.byteLength));
      shared.set(plain);
      const fromShared = await runner.run({ PIXEL_VALUES: { data: shared, datatype: 'FP32' as const, dims: [1, 3, 384, 384] } }, ['EMBEDDING']);
      const fromPlain = await runner.run({ PIXEL_VALUES: { data: plain.slice(), datatype: 'FP32' as const, dims: [1, 3, 384, 384] } }, ['EMBEDDING']);
      expect(Array.from(fromShared.EMBEDDING.data as Float32Array)).toEqual(Array.from(fromPlain.EMBEDDING.data as Float32Array));
      expect(maxAbsDiff(fromShared.EMBEDDING.data as Float32Array, reference.photos.pooler_output[0])).toBeLessThanOrEqual(1e-4);
      expect(shared.byteLength).toBe(plain.byteLength); // still ours: shared, not moved
    } finally {
      await runner.release();
    }
  });

  it('keeps the process alive while a run is pending, and refuses runs after release', async () => {
    const runner = await createThreadedOrtRunner(options);
    const out = await runner.run({ PIXEL_VALUES: { data: new Float32Array(3 * 384 * 384), datatype: 'FP32' as const, dims: [1, 3, 384, 384] } }, ['EMBEDDING']);
    expect(out.EMBEDDING.data.length).toBe(64);
    await runner.release();
    await expect(runner.run({ PIXEL_VALUES: { data: new Float32Array(3 * 384 * 384), datatype: 'FP32' as const, dims: [1, 3, 384, 384] } }, ['EMBEDDING'])).rejects.toThrow(/released/);
  });

  it('reports a model that cannot load as a start-up error', async () => {
    await expect(createThreadedOrtRunner({ ...options, modelPath: '/nonexistent/model.onnx' })).rejects.toThrow(/nonexistent/);
  });
});
