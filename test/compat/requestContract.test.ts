/**
 * One request contract: the same body, sent to the backend and through the gateway, gets the same status; and a
 * body the backend refuses for its shape or fields never reaches the backend through the gateway.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/node';
import type { Backend } from '../../gpu-backend/server';
import { encodeBytesElements } from '../../shared/codec/binaryTensor';
import { binaryRequest, startTestBackend } from '../helpers/backend';
import { fixturePath } from '../helpers/fixtures';
import { keysFor } from '../gateway/support/tenants';

const TOKEN = 'contract-parity-secret-0123';
let backend: Backend;
let gateway: RunningGateway;
let key: string;
const reached: string[] = [];

beforeAll(async () => {
  backend = await startTestBackend({ requireToken: TOKEN });
  backend.server.on('request', (req: IncomingMessage) => reached.push(`${req.method} ${req.url}`));
  const made = await keysFor({ t: { models: ['*'], rate: 1000, burst: 100_000 } });
  key = made.keys.t;
  gateway = await startGateway({ port: 0, backends: [`a=${backend.url}`], keys: made.file, backendToken: TOKEN });
});
afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});

const IMAGE = 3 * 384 * 384;
const png = readFileSync(fixturePath('chelsea.png'));
const b64 = png.toString('base64');
const pixels = (n: number, extra: object = {}) =>
  JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [n, 3, 384, 384], datatype: 'FP32', data: new Array(n * IMAGE).fill(0) }], ...extra });
const texts = (shape: number[], data: string[], parameters?: object) =>
  JSON.stringify({ ...(parameters && { parameters }), inputs: [{ name: 'INPUT_TEXT', shape, datatype: 'BYTES', data }] });
const images = (shape: number[], data: string[], parameters: object = { base64_encoded: true }) =>
  JSON.stringify({ parameters, inputs: [{ name: 'INPUT_IMAGE', shape, datatype: 'BYTES', data }] });

interface Case {
  name: string;
  path: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
  status: number;
  /** A refusal of the request's form or fields: the gateway answers it without asking a backend. */
  structural?: boolean;
}

const infer = (model: string) => `/v2/models/${model}/infer`;
const raw = { 'inference-header-content-length': '0', 'content-type': 'application/octet-stream' };
const vision = binaryRequest({ inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { binary_data_size: IMAGE * 4 } }] }, new Float32Array(IMAGE));
const textBytes = encodeBytesElements([new TextEncoder().encode('a cat'), new TextEncoder().encode('a dog')]);
const textBinary = (shape: number[]) => binaryRequest({ inputs: [{ name: 'INPUT_TEXT', shape, datatype: 'BYTES', parameters: { binary_data_size: textBytes.length } }] }, textBytes);

const CASES: Case[] = [
  // Valid: the disagreements, now accepted by both.
  { name: 'text shape [1,1]', path: infer('embed_text'), body: texts([1, 1], ['a photo of a cat'], { embed_model: 'siglip_text' }), status: 200 },
  { name: 'text shape [2]', path: infer('embed_text'), body: texts([2], ['a cat', 'a dog']), status: 200 },
  { name: "curl -d's form content type", path: infer('siglip_vision'), body: pixels(1), headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 200 },
  { name: 'no content type', path: infer('siglip_vision'), body: pixels(1), headers: { 'content-type': '' }, status: 200 },
  { name: 'an image as base64 with base64_encoded', path: infer('embed_image'), body: images([1, 1], [b64]), status: 200 },
  { name: 'raw image bytes', path: infer('embed_image'), body: new Uint8Array(png), headers: raw, status: 200 },
  { name: 'a raw text', path: infer('embed_text'), body: new TextEncoder().encode('a photo of a dog'), headers: raw, status: 200 },
  { name: 'raw pixels', path: infer('siglip_vision'), body: new Uint8Array(IMAGE * 4), headers: raw, status: 200 },
  { name: 'binary pixels', path: infer('siglip_vision'), body: vision.body, headers: vision.headers, status: 200 },
  { name: 'binary texts', path: infer('embed_text'), body: textBinary([2, 1]).body, headers: textBinary([2, 1]).headers, status: 200 },
  { name: 'a batch of max_batch_size', path: infer('siglip_vision'), body: pixels(32), status: 200 },
  { name: '/v1/embeddings with 256 items', path: '/v1/embeddings', body: JSON.stringify({ input: new Array(256).fill('a cat') }), status: 200 },
  { name: '/v1/embeddings with a form content type', path: '/v1/embeddings', body: JSON.stringify({ input: 'a cat' }), headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 200 },
  // Invalid, refused alike.
  { name: 'a batch of 33 (max 32)', path: infer('siglip_vision'), body: pixels(33), status: 400, structural: true },
  { name: 'a batch of 61 images (max 60)', path: infer('embed_image'), body: images([61], new Array(61).fill(b64)), status: 400, structural: true },
  { name: '/v1/embeddings with 300 items', path: '/v1/embeddings', body: JSON.stringify({ input: new Array(300).fill('a cat') }), status: 400, structural: true },
  { name: 'malformed JSON', path: infer('siglip_vision'), body: '{"inputs": [', status: 400, structural: true },
  { name: 'no inputs', path: infer('siglip_vision'), body: '{"inputs": []}', status: 400, structural: true },
  { name: 'the old input name IMAGE', path: infer('embed_image'), body: images([1], [b64]).replace('INPUT_IMAGE', 'IMAGE'), status: 400, structural: true },
  { name: 'a wrong datatype', path: infer('embed_text'), body: texts([1], ['x']).replace('"BYTES"', '"FP32"'), status: 400, structural: true },
  { name: 'text shape [1,2]', path: infer('embed_text'), body: texts([1, 2], ['a', 'b']), status: 400, structural: true },
  { name: 'fewer values than the shape', path: infer('siglip_text'), body: JSON.stringify({ inputs: [{ name: 'INPUT_IDS', shape: [1, 64], datatype: 'INT64', data: [1, 2] }] }), status: 400, structural: true },
  { name: 'an unknown output', path: infer('siglip_vision'), body: pixels(1, { outputs: [{ name: 'LOGITS' }] }), status: 400, structural: true },
  { name: 'a repeated output', path: infer('siglip_vision'), body: pixels(1, { outputs: [{ name: 'EMBEDDING' }, { name: 'EMBEDDING' }] }), status: 400, structural: true },
  { name: 'base64_encoded as a string', path: infer('embed_image'), body: images([1], [b64], { base64_encoded: 'true' }), status: 400, structural: true },
  { name: 'an embed_model of the wrong kind', path: infer('embed_image'), body: images([1], [b64], { base64_encoded: true, embed_model: 'siglip_text' }), status: 400, structural: true },
  { name: 'a negative timeout', path: infer('siglip_vision'), body: pixels(1, { parameters: { timeout: -5 } }), status: 400, structural: true },
  { name: 'a raw body of the wrong size', path: infer('siglip_vision'), body: new Uint8Array(100), headers: raw, status: 400, structural: true },
  { name: 'an empty raw body', path: infer('embed_image'), body: new Uint8Array(0), headers: raw, status: 400, structural: true },
  { name: 'BYTES elements not matching the shape', path: infer('embed_text'), body: textBinary([3]).body, headers: textBinary([3]).headers, status: 400, structural: true },
  { name: 'a content type no client sends', path: infer('siglip_vision'), body: pixels(1), headers: { 'content-type': 'text/html' }, status: 415, structural: true },
  { name: '/v1/embeddings with an unknown field', path: '/v1/embeddings', body: JSON.stringify({ input: 'x', nope: 1 }), status: 400, structural: true },
  { name: 'JSON nested too deep', path: infer('siglip_vision'), body: `{"parameters":{"p":${'['.repeat(3000)}${']'.repeat(3000)}},"inputs":[]}`, status: 400, structural: true },
  // Refused by the backend for what the data holds (only it decodes images): same status, forwarded.
  { name: 'base64 text without base64_encoded', path: infer('embed_image'), body: images([1], [b64], {}), status: 400 },
  { name: 'bytes that are no image', path: infer('embed_image'), body: new TextEncoder().encode('no image'), headers: raw, status: 400 },
];

async function send(base: string, auth: Record<string, string>, c: Case): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...auth, ...c.headers };
  if (headers['content-type'] === '') delete headers['content-type'];
  const res = await fetch(`${base}${c.path}`, { method: 'POST', headers, body: c.body as BodyInit });
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
}

describe('gateway/backend request parity', () => {
  it.each(CASES)('$name: the same status ($status) from both, the same error text', async (c) => {
    const direct = await send(backend.url, { 'x-siglip-gateway-token': TOKEN }, c);
    const before = reached.length;
    const via = await send(gateway.url, { authorization: `Bearer ${key}` }, c);
    const forwarded = reached.slice(before).filter((r) => r.startsWith('POST') && !r.includes('/v2/repository/index'));
    expect(direct.status).toBe(c.status);
    expect(via.status).toBe(c.status);
    if (c.status !== 200) {
      expect(via.body.error).toBe(direct.body.error);
      expect(direct.body.error.length).toBeGreaterThan(0);
    }
    // Nothing the backend would refuse for its form reaches it; the rest is forwarded once.
    expect(forwarded).toHaveLength(c.structural ? 0 : 1);
  });
});
