import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/node';
import { startLoopbackBackend, type LoopbackBackend } from './support/loopbackBackend';
import { keysFor } from './support/tenants';

// A backend that refuses every infer at once, without reading the (1.77 MB) body the gateway is still relaying.
let backend: LoopbackBackend;
let gw: RunningGateway;
let key: string;

beforeAll(async () => {
  backend = await startLoopbackBackend('a', { itemShape: [3, 384, 384], refuseInfer: { status: 400, error: 'refused before reading the body' } });
  const made = await keysFor({ t: { models: ['*'], rate: 1000, burst: 1000 } });
  key = made.keys.t;
  gw = await startGateway({ port: 0, backends: [`a=${backend.url}`], keys: made.file, healthIntervalMs: 60_000, logLevel: 'silent' });
});
afterAll(async () => {
  await gw?.close();
  await backend?.kill();
});

describe('a backend that answers while the gateway still relays the body', () => {
  it('gets its answer to the client as it is, once, and stays in the pool', async () => {
    const pixels = new Float32Array(3 * 384 * 384);
    const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { binary_data_size: pixels.byteLength } }] }));
    const body = Buffer.concat([header, Buffer.from(pixels.buffer)]);
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${gw.url}/v2/models/toy/infer`, {
        method: 'POST',
        body,
        headers: { 'inference-header-content-length': String(header.length), authorization: `Bearer ${key}` },
      });
      expect([res.status, await res.json()]).toEqual([400, { error: 'refused before reading the body' }]);
    }
    expect(backend.started.filter((p) => p.endsWith('/infer'))).toHaveLength(4); // no retries
    expect((await (await fetch(`${gw.url}/status`)).json()).backends).toEqual([{ name: 'a', ready: true }]);
  });
});
