import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type ChildServer } from '../../bench/processes';
import type { FakeHub } from '../hub/fakeHub';
import { maxAbsDiff, readF32, reference, row } from '../helpers/fixtures';
import { serveHubCheckpoint } from './hubCheckpoint';

// `siglip serve --model REPO` against a stand-in for the hub on 127.0.0.1: fetch, convert, serve, in one command.
describe('siglip serve --model', () => {
  let dir: string;
  let hub: FakeHub;
  let server: ChildServer | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'siglip-serve-model-'));
    let endpoint: string;
    ({ hub, endpoint } = await serveHubCheckpoint(dir, 'google/siglip-tiny'));
    server = await startCli(
      ['serve', '--model', 'google/siglip-tiny', '--models-dir', join(dir, 'models'), '--flavor', 'portable', '--no-gateway', '--port', '0', '--providers', 'cpu', '--workers', '1'],
      'backend ready',
      { HF_ENDPOINT: endpoint },
    );
  });
  afterAll(async () => {
    await server?.stop();
    await hub.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('fetches and converts the checkpoint on first use, then serves it with the reference outputs', async () => {
    const pixels = row(readF32('photos_pixel_values_3x3x384x384.f32'), 1, 3 * 384 * 384);
    const res = await fetch(`${server!.url}/v2/models/siglip_vision/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', data: Array.from(pixels) }] }),
    });
    expect(res.status).toBe(200);
    expect(maxAbsDiff((await res.json()).outputs[0].data, reference.photos.pooler_output[1])).toBeLessThanOrEqual(1e-4);
    const models = (await (await fetch(`${server!.url}/v2/repository/index`, { method: 'POST' })).json()).map((m: { name: string }) => m.name).sort();
    expect(models).toEqual(['embed_image', 'embed_text', 'siglip_text', 'siglip_vision']);
    expect(hub.requests.length).toBeGreaterThan(0);
  });
});
