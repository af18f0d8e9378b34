import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/node';
import { keysFor } from './support/tenants';

// A backend that refuses every infer at once, without reading the body the gateway is still relaying.
const METADATA = {
  name: 'toy',
  versions: ['1'],
  platform: 'onnxruntime_onnx',
  inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [-1, 3, 384, 384] }],
  outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 1] }],
};

let server: Server;
let gw: RunningGateway;
let key: string;
let infers = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.url === '/v2/models/toy/infer') {
      infers++;
      return json(400, { error: 'refused before reading the body' });
    }
    req.resume();
    if (req.url === '/v2/health/ready') return json(200, '');
    if (req.url === '/v2/models/toy') return json(200, METADATA);
    if (req.url === '/v2/models/toy/config') return json(200, { name: 'toy', max_batch_size: 8 });
    if (req.url === '/v2/repository/index') return json(200, [{ name: 'toy', version: '1', state: 'READY' }]);
    return json(404, { error: 'not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const made = await keysFor({ t: { models: ['*'], rate: 1000, burst: 1000 } });
  key = made.keys.t;
  gw = await startGateway({ port: 0, backends: [`a=http://127.0.0.1:${(server.address() as AddressInfo).port}`], keys: made.file, healthIntervalMs: 60_000 });
});
afterAll(async () => {
  await gw?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
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
    expect(infers).toBe(4); // no retries
    expect((await (await fetch(`${gw.url}/status`)).json()).backends).toEqual([{ name: 'a', ready: true }]);
  });
});
