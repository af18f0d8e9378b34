/**
 * The Triton deployment we replace (../shared/seed-data/README.md): every request its clients send, exactly as
 * they write it, against the demo repository (what `npm start` serves), directly and through the Node gateway.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/node';
import type { Backend } from '../../gpu-backend/server';
import { loadImageProcessorConfig } from '../../gpu-backend/models/preprocess/imageProcessorConfig';
import { imageLimitsSchema } from '../../gpu-backend/models/preprocess/imageLimits';
import { preprocessImage } from '../../gpu-backend/models/preprocess/preprocessImage';
import { binaryRequest, readBinaryResponse, startTestBackend } from '../helpers/backend';
import { cosine, maxAbsDiff } from '../helpers/fixtures';
import { keysFor } from '../gateway/support/tenants';

const SEED = fileURLToPath(new URL('../../../shared/seed-data/', import.meta.url));
const PHOTOS = [0, 1, 2, 3].map((i) => new Uint8Array(readFileSync(`${SEED}images/imagenet_${i}.jpg`)));
const INPUT_IDS: number[] = JSON.parse(readFileSync(`${SEED}siglip_text_input_ids.json`, 'utf8')).data[0].INPUT_IDS;
const TOKEN = 'seed-clients-shared-secret-01';

let backend: Backend;
let gateway: RunningGateway;
let key: string;
// Where the clients point: the backend itself, or the gateway with an API key.
const targets: Record<string, () => { url: string; headers: Record<string, string> }> = {
  backend: () => ({ url: backend.url, headers: { 'x-siglip-gateway-token': TOKEN } }),
  gateway: () => ({ url: gateway.url, headers: { authorization: `Bearer ${key}` } }),
};

beforeAll(async () => {
  backend = await startTestBackend({ requireToken: TOKEN });
  const made = await keysFor({ seed: { models: ['*'], rate: 0.001, burst: 500 } });
  key = made.keys.seed;
  gateway = await startGateway({ port: 0, backends: [`a=${backend.url}`], keys: made.file, backendToken: TOKEN });
});
afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});

/** The accuracy check's request: the file is the body; the embedding follows the response's JSON header. */
async function embedRaw(url: string, headers: Record<string, string>, file: Uint8Array): Promise<{ res: Response; embedding?: Float32Array; header?: any }> {
  const res = await fetch(`${url}/v2/models/embed_image/infer`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': '0', ...headers },
    body: file as Uint8Array<ArrayBuffer>,
  });
  if (res.status !== 200) return { res };
  const { header, binary } = await readBinaryResponse(res.clone());
  return { res, header, embedding: new Float32Array(binary.slice().buffer) };
}

async function postJson(url: string, headers: Record<string, string>, model: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v2/models/${model}/infer`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** siglip_vision's embedding of pixel values made the way the old deployment's processor made them: Pillow's BICUBIC. */
async function pillowReference(url: string, headers: Record<string, string>, file: Uint8Array): Promise<Float32Array> {
  const config = await loadImageProcessorConfig(fileURLToPath(new URL('../../model_repository/embed_image', import.meta.url)));
  const pixels = await preprocessImage(file, config, imageLimitsSchema.parse({}), undefined, 0, 'pil');
  const { body, headers: h } = binaryRequest(
    { inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { binary_data_size: pixels.byteLength } }], parameters: { binary_data_output: true } },
    pixels,
  );
  const res = await fetch(`${url}/v2/models/siglip_vision/infer`, { method: 'POST', headers: { ...h, ...headers }, body });
  expect(res.status).toBe(200);
  return new Float32Array((await readBinaryResponse(res)).binary.slice().buffer);
}

for (const [where, target] of Object.entries(targets)) {
  describe(`the old deployment's client requests, unchanged, ${where === 'backend' ? 'against the backend' : 'through the gateway with an API key'}`, () => {
    it("embed_image raw bytes (Inference-Header-Content-Length: 0) and JSON base64 give the same embedding, and match siglip_vision on Pillow BICUBIC pixels", async () => {
      const { url, headers } = target();
      const figures: string[] = [];
      for (const [i, file] of PHOTOS.entries()) {
        const raw = await embedRaw(url, headers, file);
        expect(raw.res.status).toBe(200);
        // Triton's answer to a raw request: every output in binary, its header length announced.
        expect(raw.res.headers.get('content-type')).toBe('application/octet-stream');
        expect(raw.header).toMatchObject({ model_name: 'embed_image', outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [1, 64], parameters: { binary_data_size: 256 } }] });
        const json = await postJson(url, headers, 'embed_image', {
          parameters: { base64_encoded: true },
          inputs: [{ name: 'INPUT_IMAGE', shape: [1, 1], datatype: 'BYTES', data: [Buffer.from(file).toString('base64')] }],
        });
        expect(json.status).toBe(200);
        const fromJson = Float32Array.from((await json.json()).outputs[0].data as number[]);
        const pillow = await pillowReference(url, headers, file);
        const diff = maxAbsDiff(raw.embedding!, fromJson);
        const cos = cosine(raw.embedding!, pillow);
        figures.push(`imagenet_${i}.jpg: raw vs JSON max |Δ| ${diff.toExponential(2)}, cosine to Pillow-BICUBIC siglip_vision ${cos.toFixed(7)}`);
        expect(diff).toBe(0);
        expect(cos).toBeGreaterThanOrEqual(0.9999);
      }
      console.info(`[seed embed_image, ${where}]\n  ${figures.join('\n  ')}`);
    });

    it('embed_text JSON with INPUT_TEXT [1,1] and embed_model siglip_text, as the clients send it', async () => {
      const { url, headers } = target();
      const res = await postJson(url, headers, 'embed_text', {
        parameters: { embed_model: 'siglip_text' },
        inputs: [{ name: 'INPUT_TEXT', shape: [1, 1], datatype: 'BYTES', data: ['a photo of a cat'] }],
      });
      expect(res.status).toBe(200);
      expect((await res.json()).outputs[0]).toMatchObject({ name: 'EMBEDDING', shape: [1, 64] });
    });

    it('siglip_text JSON with the real tokenizer ids of the seed file', async () => {
      const { url, headers } = target();
      expect(INPUT_IDS).toHaveLength(64);
      const res = await postJson(url, headers, 'siglip_text', { inputs: [{ name: 'INPUT_IDS', shape: [1, 64], datatype: 'INT64', data: INPUT_IDS }] });
      expect(res.status).toBe(200);
      expect((await res.json()).outputs[0].data).toHaveLength(64);
    });

    it('siglip_vision: the KServe v2 JSON request with 442,368 floats from concurrent clients, and the raw 1,769,472-byte body, agree', async () => {
      const { url, headers } = target();
      const pixels = Float32Array.from({ length: 3 * 384 * 384 }, (_, i) => Math.sin(i) * 0.9);
      const json = await Promise.all(
        Array.from({ length: 6 }, () => postJson(url, headers, 'siglip_vision', { inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', data: Array.from(pixels) }] })),
      );
      const fromJson = await Promise.all(json.map(async (r) => (expect(r.status).toBe(200), Float32Array.from((await r.json()).outputs[0].data as number[]))));
      const res = await fetch(`${url}/v2/models/siglip_vision/infer`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': '0', ...headers },
        body: new Uint8Array(pixels.buffer),
      });
      expect(res.status).toBe(200);
      const { header, binary } = await readBinaryResponse(res);
      expect(header.outputs[0]).toMatchObject({ name: 'EMBEDDING', shape: [1, 64], parameters: { binary_data_size: 256 } });
      const raw = new Float32Array(binary.slice().buffer);
      // The same floats in (the JSON decode is exact: test/codec); the raw request runs alone, while the JSON ones
      // may share a batch, and ONNX Runtime's CPU kernels may round a batch of 6 differently from a batch of 1.
      for (const e of fromJson) expect(maxAbsDiff(e, raw)).toBeLessThanOrEqual(1e-6);
    });

    it('refuses a raw body of the wrong size, and raw requests to a model with one input it cannot deduce, with 400', async () => {
      const { url, headers } = target();
      const short = await fetch(`${url}/v2/models/siglip_vision/infer`, {
        method: 'POST',
        headers: { 'Inference-Header-Content-Length': '0', ...headers },
        body: new Uint8Array(1_769_472 - 4),
      });
      expect(short.status).toBe(400);
      expect((await short.json()).error).toBe(
        "a raw binary request (Inference-Header-Content-Length: 0): 'PIXEL_VALUES' of shape [1,3,384,384] FP32 needs 1769472 bytes, but the body has 1769468",
      );
      const empty = await embedRaw(url, headers, new Uint8Array(0));
      expect(empty.res.status).toBe(400);
      expect((await empty.res.json()).error).toMatch(/empty body/);
      const notImage = await embedRaw(url, headers, new TextEncoder().encode('this is not an image file at all'));
      expect(notImage.res.status).toBe(400);
      expect((await notImage.res.json()).error).toMatch(/^INPUT_IMAGE\[0\]: not a decodable image/);
    });
  });
}

describe('the gateway charges the old clients as the backend counts them', () => {
  it('counts one raw-bytes embed_image request as one image', async () => {
    const { url, headers } = targets.gateway();
    const first = await embedRaw(url, headers, PHOTOS[0]);
    const second = await embedRaw(url, headers, PHOTOS[1]);
    const remaining = [first, second].map((r) => Number(r.res.headers.get('ratelimit-remaining')));
    expect(remaining[0] - remaining[1]).toBe(1);
  });
});
