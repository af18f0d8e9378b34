import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { binaryRequest, jsonPixelRequest, readBinaryResponse, startTestBackend } from '../helpers/backend';
import { maxAbsDiff, readF32, reference, row } from '../helpers/fixtures';

const IMAGE = 3 * 384 * 384;
const sets = [
  { name: 'random pixels', file: 'random_pixels_2x3x384x384.f32', expected: reference.random_pixels.pooler_output },
  { name: 'photos', file: 'photos_pixel_values_3x3x384x384.f32', expected: reference.photos.pooler_output },
];

describe('siglip_vision parity with HF transformers (demo model)', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await startTestBackend();
  });
  afterAll(() => backend.close());

  for (const set of sets) {
    const pixels = readF32(set.file);
    const n = set.expected.length;

    it(`matches reference.json within 1e-4 for ${set.name}, one JSON request per image`, async () => {
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${backend.url}/v2/models/siglip_vision/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: jsonPixelRequest(row(pixels, i, IMAGE), 1),
        });
        expect(res.status).toBe(200);
        const body = await res.json();
        expect(body.outputs[0]).toMatchObject({ name: 'EMBEDDING', datatype: 'FP32', shape: [1, 64] });
        expect(maxAbsDiff(body.outputs[0].data, set.expected[i])).toBeLessThanOrEqual(1e-4);
      }
    });

    it(`matches reference.json within 1e-4 for ${set.name}, as one binary request of batch ${n}`, async () => {
      const { body, headers } = binaryRequest(
        {
          inputs: [{ name: 'PIXEL_VALUES', shape: [n, 3, 384, 384], datatype: 'FP32', parameters: { binary_data_size: pixels.byteLength } }],
          outputs: [{ name: 'EMBEDDING', parameters: { binary_data: true } }],
        },
        pixels,
      );
      const res = await fetch(`${backend.url}/v2/models/siglip_vision/infer`, { method: 'POST', headers, body });
      expect(res.status).toBe(200);
      const { header, binary } = await readBinaryResponse(res);
      expect(header.outputs[0]).toMatchObject({ name: 'EMBEDDING', shape: [n, 64], parameters: { binary_data_size: n * 64 * 4 } });
      const emb = new Float32Array(binary.slice().buffer);
      for (let i = 0; i < n; i++) expect(maxAbsDiff(row(emb, i, 64), set.expected[i])).toBeLessThanOrEqual(1e-4);
    });
  }
});
