import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureModel } from '../../model-tools/ensureModel';
import type { FakeHub } from '../hub/fakeHub';
import { serveHubCheckpoint } from './hubCheckpoint';

describe('ensureModel', () => {
  let dir: string;
  let hub: FakeHub;
  let endpoint: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'siglip-ensure-'));
    ({ hub, endpoint } = await serveHubCheckpoint(dir, 'google/siglip-tiny'));
  });
  afterAll(async () => {
    await hub.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('fetches and converts on first use, then does neither', async () => {
    const options = { repo: 'google/siglip-tiny', cacheDir: join(dir, 'cache'), modelRepository: join(dir, 'repo'), endpoint };
    const first = await ensureModel(options);
    expect(first.converted).toBe(true);
    expect(first.fetch.offline).toBe(false);
    expect(first.checkpointDir).toBe(join(dir, 'cache', 'google--siglip-tiny'));
    expect((await readdir(join(dir, 'repo'))).filter((n) => !n.startsWith('.')).sort()).toEqual(['embed_image', 'embed_text', 'siglip_text', 'siglip_vision']);

    const seen = hub.requests.length;
    const second = await ensureModel(options);
    expect(second).toMatchObject({ converted: false, fetch: { offline: true } });
    expect(hub.requests.length).toBe(seen);
  });

  it('converts again when the flavor or dtype changes', async () => {
    const options = { repo: 'google/siglip-tiny', cacheDir: join(dir, 'cache'), modelRepository: join(dir, 'repo2'), endpoint };
    expect((await ensureModel(options)).converted).toBe(true);
    expect((await ensureModel({ ...options, flavor: 'cuda', dtype: 'fp16' })).converted).toBe(true);
    const config = JSON.parse(await readFile(join(dir, 'repo2', 'siglip_vision', 'config.json'), 'utf8'));
    expect(config.parameters.conversion).toMatchObject({ flavor: 'cuda', dtype: 'fp16' });
  });
});
