import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { binaryRequest, jsonPixelRequest, readBinaryResponse, startTestBackend } from '../helpers/backend';
import { maxAbsDiff, readF32, reference, row } from '../helpers/fixtures';

const IMAGE = 3 * 384 * 384;

describe('siglip_vision under concurrency', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await startTestBackend();
  });
  afterAll(() => backend.close());

  it('answers 60 concurrent single-image requests, each with its own embedding, in fewer executions than inferences', { timeout: 60_000 }, async () => {
    // Five distinct inputs with known outputs, interleaved so any mix-up shows.
    const inputs = [
      ...[0, 1].map((i) => ({ pixels: row(readF32('random_pixels_2x3x384x384.f32'), i, IMAGE), expected: reference.random_pixels.pooler_output[i] })),
      ...[0, 1, 2].map((i) => ({ pixels: row(readF32('photos_pixel_values_3x3x384x384.f32'), i, IMAGE), expected: reference.photos.pooler_output[i] })),
    ];
    const before = (await (await fetch(`${backend.url}/v2/models/siglip_vision/stats`)).json()).model_stats[0];
    // Two bursts: the second one's binary bodies land in buffers the first one's gave back to the pool.
    const burst = () => Promise.all(
      Array.from({ length: 60 }, async (_, k) => {
        const { pixels, expected } = inputs[k % inputs.length];
        const useBinary = k % 2 === 1;
        const req = useBinary
          ? binaryRequest(
              { id: `req-${k}`, inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { binary_data_size: IMAGE * 4 } }], outputs: [{ name: 'EMBEDDING', parameters: { binary_data: true } }] },
              pixels,
            )
          : { body: jsonPixelRequest(pixels, 1, { id: `req-${k}` }), headers: { 'content-type': 'application/json' } };
        const res = await fetch(`${backend.url}/v2/models/siglip_vision/infer`, { method: 'POST', ...req });
        expect(res.status).toBe(200);
        let data: ArrayLike<number>;
        let id: string;
        if (useBinary) {
          const { header, binary } = await readBinaryResponse(res);
          id = header.id;
          data = new Float32Array(binary.slice().buffer);
        } else {
          const body = await res.json();
          id = body.id;
          data = body.outputs[0].data;
        }
        return { k, id, err: maxAbsDiff(data, expected) };
      }),
    );
    const results = [...(await burst()), ...(await burst())];
    for (const r of results) {
      expect(r.id).toBe(`req-${r.k}`);
      expect(r.err).toBeLessThanOrEqual(1e-4);
    }
    const after = (await (await fetch(`${backend.url}/v2/models/siglip_vision/stats`)).json()).model_stats[0];
    const inferences = after.inference_count - before.inference_count;
    const executions = after.execution_count - before.execution_count;
    expect(inferences).toBe(120);
    expect(executions).toBeLessThan(inferences);
    expect(after.inference_stats.success.count - before.inference_stats.success.count).toBe(120);
  });

  it('answers a request of max_batch_size whole, and refuses one larger with 400 at once (as Triton does)', async () => {
    const max = backend.models.get('siglip_vision')!.config.max_batch_size;
    const base = readF32('random_pixels_2x3x384x384.f32');
    const send = (n: number) => {
      const pixels = new Float32Array(n * IMAGE);
      for (let i = 0; i < n; i++) pixels.set(row(base, i % 2, IMAGE), i * IMAGE);
      const { body, headers } = binaryRequest(
        { inputs: [{ name: 'PIXEL_VALUES', shape: [n, 3, 384, 384], datatype: 'FP32', parameters: { binary_data_size: pixels.byteLength } }], parameters: { binary_data_output: true } },
        pixels,
      );
      return fetch(`${backend.url}/v2/models/siglip_vision/infer`, { method: 'POST', headers, body });
    };
    const res = await send(max);
    expect(res.status).toBe(200);
    const { header, binary } = await readBinaryResponse(res);
    expect(header.outputs[0].shape).toEqual([max, 64]);
    const emb = new Float32Array(binary.slice().buffer);
    for (let i = 0; i < max; i++) expect(maxAbsDiff(row(emb, i, 64), reference.random_pixels.pooler_output[i % 2])).toBeLessThanOrEqual(1e-4);
    const over = await send(max + 1);
    expect(over.status).toBe(400);
    expect((await over.json()).error).toBe(`PIXEL_VALUES: batch size ${max + 1} exceeds the maximum of ${max} for model 'siglip_vision'; send at most ${max} items per request`);
  });
});
