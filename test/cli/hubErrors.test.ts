import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchModel } from '../../model-tools/hub/fetchModel';
import { HubFetchError } from '../../model-tools/hub/hubFetchError';
import { FakeHub } from '../hub/fakeHub';

// What `siglip model fetch` and `serve --model` print when the hub fails them: what happened, then what to do.
const REPO = 'google/siglip-test';
const ADVICE = /set HF_ENDPOINT to a hub mirror you can reach, and HF_TOKEN for a gated or private repo; or, without the hub, convert a local checkout with `siglip model convert --from DIR/;

let hub: FakeHub;
let endpoint: string;
let dir: string;
beforeEach(async () => {
  hub = new FakeHub(REPO, [
    { path: 'config.json', content: Buffer.from('{}') },
    { path: 'model.safetensors', content: randomBytes(50_000), lfs: true },
  ]);
  endpoint = await hub.start();
  dir = await mkdtemp(join(tmpdir(), 'siglip-hub-'));
});
afterEach(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

const answering = (status: number): typeof fetch => (async () => new Response(JSON.stringify({ error: 'nope' }), { status, headers: { 'content-type': 'application/json' } }));

describe('hub failures as HubFetchError', () => {
  it('a refused repo (401/403) points at HF_TOKEN', async () => {
    const err = await fetchModel({ repo: REPO, into: dir, endpoint, fetch: answering(401) }).catch((e) => e);
    expect(err).toBeInstanceOf(HubFetchError);
    expect(err.status).toBe(401);
    expect(err.message).toMatch(new RegExp(`^the hub at ${endpoint} refused ${REPO}@main \\(HTTP 401; gated, private, or a bad HF_TOKEN\\): `));
    expect(err.message).toMatch(ADVICE);
  });

  it('an unknown repo or revision (404) says to check them', async () => {
    const err = await fetchModel({ repo: REPO, revision: 'v9', into: dir, endpoint, fetch: answering(404) }).catch((e) => e);
    expect(err.message).toMatch(new RegExp(`^the hub at ${endpoint} has no ${REPO}@v9 \\(HTTP 404\\): check the repo name and --revision`));
  });

  it('a download that keeps failing after its retries, with the reason (the hub library rejects with a bare string)', async () => {
    const dropDownloads = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if ((input instanceof Request ? input.url : String(input)).includes('/cdn/')) throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
      return fetch(input, init);
    }) as typeof fetch;
    const err = await fetchModel({ repo: REPO, into: dir, endpoint, fetch: dropDownloads, maxRetries: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(HubFetchError);
    expect(err.message).toMatch(new RegExp(`^cannot download ${REPO}@main from ${endpoint} \\(model\\.safetensors: download failed after 2 attempts at byte 0 of 50000: fetch failed\\): `));
    expect(err.message).toMatch(ADVICE);
    expect(err.message).not.toContain('\n');
  });

  it('leaves a hash mismatch as it was: no hub advice fits it', async () => {
    hub.faults.corrupt = { path: 'model.safetensors', content: randomBytes(50_000) };
    const err = await fetchModel({ repo: REPO, into: dir, endpoint }).catch((e) => e);
    expect(err).not.toBeInstanceOf(HubFetchError);
    expect(err.message).toMatch(/sha256 mismatch/);
  });
});
