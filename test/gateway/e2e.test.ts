import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { startGateway, type RunningGateway } from '../../gateway/node';
import { jsonPixelRequest, startTestBackend } from '../helpers/backend';
import { readFileSync } from 'node:fs';
import { fixturePath, maxAbsDiff } from '../helpers/fixtures';
import { inferImage, knownImages } from '../helpers/visionRequests';
import { keysFor } from './support/tenants';

// The real backend (demo model on CPU) behind the real Node gateway, on loopback.
const TOKEN = 'e2e-shared-secret-0123456789';
let a: Backend;
let b: Backend;
let gw: RunningGateway;
let keys: Record<string, string>;

beforeAll(async () => {
  [a, b] = await Promise.all([startTestBackend({ requireToken: TOKEN }), startTestBackend({ requireToken: TOKEN })]);
  const made = await keysFor({
    big: { models: ['siglip_vision', 'embed_text', 'embed_image'], rate: 1000, burst: 1000 },
    small: { models: ['siglip_vision'], rate: 0.001, burst: 2 },
  });
  keys = made.keys;
  gw = await startGateway({ port: 0, backends: [`a=${a.url}`, `b=${b.url}`], keys: made.file, backendToken: TOKEN, logLevel: 'silent' });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([a?.close(), b?.close()]);
});

const auth = (tenant: string) => ({ authorization: `Bearer ${keys[tenant]}` });

describe('gateway in front of real backends', () => {
  it('serves the Python client request (JSON) with an Authorization header, with the reference embedding', async () => {
    const image = knownImages[2];
    const res = await fetch(`${gw.url}/v2/models/siglip_vision/infer`, {
      method: 'POST',
      headers: { ...auth('big'), 'content-type': 'application/json' },
      body: jsonPixelRequest(image.pixels, 1),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-limit')).toBe('1000');
    const out = (await res.json()).outputs[0];
    expect(out.name).toBe('EMBEDDING');
    expect(maxAbsDiff(Float32Array.from(out.data), image.expected)).toBeLessThanOrEqual(1e-4);
  });

  it('serves /v1/embeddings with mixed text and image items, as the backend does directly', async () => {
    const png = readFileSync(fixturePath('coffee.png')).toString('base64');
    const body = JSON.stringify({ input: ['a photo of a coffee cup', { image: `data:image/png;base64,${png}` }] });
    const viaGateway = await fetch(`${gw.url}/v1/embeddings`, { method: 'POST', headers: { ...auth('big'), 'content-type': 'application/json' }, body });
    expect(viaGateway.status).toBe(200);
    expect(viaGateway.headers.get('ratelimit-remaining')).not.toBeNull();
    const direct = await fetch(`${b.url}/v1/embeddings`, { method: 'POST', headers: { 'x-siglip-gateway-token': TOKEN }, body });
    const [g, d] = [await viaGateway.json(), await direct.json()];
    expect(g.data.map((x: { index: number }) => x.index)).toEqual([0, 1]);
    for (let i = 0; i < 2; i++) expect(maxAbsDiff(g.data[i].embedding, d.data[i].embedding)).toBeLessThanOrEqual(1e-6);
  });

  it('gives a tenant over quota 429s while another tenant is unaffected', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await inferImage(gw.url, knownImages[0].pixels, { headers: auth('small') })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const other = await inferImage(gw.url, knownImages[1].pixels, { headers: auth('big') });
    expect(other.status).toBe(200);
    expect(maxAbsDiff(other.embedding!, knownImages[1].expected)).toBeLessThanOrEqual(1e-4);
  });

  it('refuses callers without a key before the backends see them', async () => {
    expect((await inferImage(gw.url, knownImages[0].pixels)).status).toBe(401);
    // And the backends refuse anyone without the gateway's secret.
    expect((await inferImage(a.url, knownImages[0].pixels)).status).toBe(401);
  });

  it('reports both backends and the served models in /status', async () => {
    const status = await (await fetch(`${gw.url}/status`)).json();
    expect(status.backends).toEqual([{ name: 'a', ready: true }, { name: 'b', ready: true }]);
    expect(status.models.find((m: { name: string }) => m.name === 'siglip_vision')).toMatchObject({
      inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [-1, 3, 384, 384] }],
    });
  });

  it('loses no accepted request when one of two backends stops mid-load: one correct answer each', async () => {
    const requests = Array.from({ length: 30 }, (_, i) => knownImages[i % knownImages.length]);
    const pending = requests.map((image) => inferImage(gw.url, image.pixels, { headers: auth('big') }).then((r) => ({ r, image })));
    // Once backend a has answered some of them (so it is serving, with more queued), stop it: it
    // finishes what it accepted, and refuses the rest, which the gateway sends to b.
    const served = async () => {
      const res = await fetch(`${a.url}/v2/models/siglip_vision/stats`, { headers: { 'x-siglip-gateway-token': TOKEN } });
      return (await res.json()).model_stats[0].inference_stats.success.count as number;
    };
    const before = await served();
    while ((await served()) === before) await new Promise((r) => setTimeout(r, 2));
    await a.close();
    const more = requests.slice(0, 10).map((image) => inferImage(gw.url, image.pixels, { headers: auth('big') }).then((r) => ({ r, image })));
    const results = await Promise.all([...pending, ...more]);
    expect(results).toHaveLength(40);
    for (const { r, image } of results) {
      expect(r.status).toBe(200);
      expect(maxAbsDiff(r.embedding!, image.expected)).toBeLessThanOrEqual(1e-4);
    }
  });
});
