import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchModel } from '../../model-tools/hub/fetchModel';
import { FakeHub } from './fakeHub';

const REPO = 'google/siglip-test';
const weights = randomBytes(300_000);
const config = Buffer.from(JSON.stringify({ model_type: 'siglip_vision_model', hidden_size: 64 }));
const tokenizer = Buffer.from('{"model":{"type":"Unigram"}}');

describe('fetchModel against a local imitation of the hub', () => {
  let hub: FakeHub;
  let endpoint: string;
  let dir: string;

  beforeEach(async () => {
    hub = new FakeHub(REPO, [
      { path: 'config.json', content: config },
      { path: 'tokenizer.json', content: tokenizer },
      { path: 'model.safetensors', content: weights, lfs: true },
      { path: 'README.md', content: Buffer.from('# not fetched') },
    ]);
    endpoint = await hub.start();
    dir = await mkdtemp(join(tmpdir(), 'siglip-fetch-'));
  });
  afterEach(async () => {
    await hub.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads the checkpoint files, verified against the listed hashes, and skips the others', async () => {
    const progress: string[] = [];
    const r = await fetchModel({ repo: REPO, into: dir, endpoint, onProgress: (p) => p.done === p.total && progress.push(p.file) });
    expect(r.offline).toBe(false);
    expect(r.commit).toBe(hub.commit);
    expect((await readFile(join(dir, 'model.safetensors'))).equals(weights)).toBe(true);
    expect(await readFile(join(dir, 'config.json'))).toEqual(config);
    expect(await readFile(join(dir, 'tokenizer.json'))).toEqual(tokenizer);
    expect((await readdir(dir)).sort()).toEqual(['.siglip-fetch.json', 'config.json', 'model.safetensors', 'tokenizer.json']);
    expect(progress).toContain('model.safetensors');
    // The LFS file went through the hub's redirect to the CDN route.
    expect(hub.requests.some((q) => q.url.startsWith('/cdn/'))).toBe(true);
  });

  it('resumes with a Range request when the connection drops mid-file', async () => {
    hub.faults.cutOnce = { path: 'model.safetensors', afterBytes: 100_000 };
    await fetchModel({ repo: REPO, into: dir, endpoint });
    expect((await readFile(join(dir, 'model.safetensors'))).equals(weights)).toBe(true);
    const bodyReads = hub.requests.filter((q) => q.url.startsWith('/cdn/') && q.range !== 'bytes=0-0');
    expect(bodyReads.length).toBe(2);
    const resumedAt = Number(/^bytes=(\d+)-/.exec(bodyReads[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(100_000);
  });

  it('continues a .part file left by an interrupted run instead of starting over', async () => {
    await writeFile(join(dir, 'model.safetensors.part'), weights.subarray(0, 123_456));
    await fetchModel({ repo: REPO, into: dir, endpoint });
    expect((await readFile(join(dir, 'model.safetensors'))).equals(weights)).toBe(true);
    const bodyReads = hub.requests.filter((q) => q.url.startsWith('/cdn/') && q.range !== 'bytes=0-0');
    expect(bodyReads.map((q) => q.range)).toEqual([`bytes=123456-${weights.length - 1}`]);
  });

  it('rejects a file whose content does not match the hub hash, and leaves nothing behind', async () => {
    const bad = Buffer.from(weights);
    bad[1234] ^= 0xff;
    hub.faults.corrupt = { path: 'model.safetensors', content: bad };
    await expect(fetchModel({ repo: REPO, into: dir, endpoint })).rejects.toThrow(/model\.safetensors: sha256 mismatch/);
    const left = await readdir(dir);
    expect(left).not.toContain('model.safetensors');
    expect(left).not.toContain('model.safetensors.part');
    expect(left).not.toContain('.siglip-fetch.json');
  });

  it('works offline once a verified copy is there: the second run makes no request', async () => {
    await fetchModel({ repo: REPO, into: dir, endpoint });
    const seen = hub.requests.length;
    await hub.stop();
    const again = await fetchModel({ repo: REPO, into: dir, endpoint });
    expect(again.offline).toBe(true);
    expect(hub.requests.length).toBe(seen);
    expect(again.files.sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
  });

  it('keeps already-verified files when a run is repeated without a manifest', async () => {
    await fetchModel({ repo: REPO, into: dir, endpoint });
    await rm(join(dir, '.siglip-fetch.json'));
    hub.requests.length = 0;
    await fetchModel({ repo: REPO, into: dir, endpoint });
    expect(hub.requests.filter((q) => q.url.includes('/resolve/') || q.url.startsWith('/cdn/'))).toEqual([]);
  });

  it('sends the token as Authorization: Bearer on every hub request', async () => {
    await fetchModel({ repo: REPO, into: dir, endpoint, token: 'hf_secret' });
    expect(hub.requests.length).toBeGreaterThan(3);
    for (const q of hub.requests) expect(q.authorization).toBe('Bearer hf_secret');
  });

  it('says which required file the repo lacks', async () => {
    hub.files.splice(hub.files.findIndex((f) => f.path === 'model.safetensors'), 1);
    await expect(fetchModel({ repo: REPO, into: dir, endpoint })).rejects.toThrow(/has no model\.safetensors/);
  });
});
