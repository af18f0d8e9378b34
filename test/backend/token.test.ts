import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_TOKEN_HEADER } from '../../shared/protocol';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { readError } from '../helpers/errorResponse';
import { maxAbsDiff } from '../helpers/fixtures';
import { inferImage, knownImages } from '../helpers/visionRequests';

const TOKEN = 'gateway-secret-0123456789abcdef';

describe('backend with requireToken (only the gateway may call it)', () => {
  let backend: Backend;
  let url: string;
  beforeAll(async () => {
    backend = await startTestBackend({ requireToken: TOKEN });
    url = backend.url;
  });
  afterAll(() => backend.close());

  const protectedPaths = ['/v2', '/v2/models/siglip_vision', '/v2/models/siglip_vision/config', '/v2/models/siglip_vision/stats', '/v2/models/stats', '/metrics'];

  it('answers 401 {"error"} to an inference without the token, and computes nothing', async () => {
    const before = backend.models.get('siglip_vision')!.stats.inferenceCount;
    const r = await inferImage(url, knownImages[0].pixels);
    expect(r.status).toBe(401);
    expect(r.error).toContain(GATEWAY_TOKEN_HEADER);
    expect(backend.models.get('siglip_vision')!.stats.inferenceCount).toBe(before);
  });

  it('answers 401 to a wrong token, whether its length matches or not', async () => {
    for (const wrong of ['nope', TOKEN.slice(0, -1) + 'X', TOKEN + 'X', TOKEN.toUpperCase(), '']) {
      const r = await inferImage(url, knownImages[0].pixels, { headers: { [GATEWAY_TOKEN_HEADER]: wrong } });
      expect(r).toMatchObject({ status: 401, error: expect.stringContaining(GATEWAY_TOKEN_HEADER) });
    }
  });

  it('guards metadata, configuration, statistics and metrics as well', async () => {
    for (const path of protectedPaths) {
      expect(await readError(await fetch(url + path))).toMatchObject({ status: 401 });
      expect((await fetch(url + path, { headers: { [GATEWAY_TOKEN_HEADER]: TOKEN } })).status).toBe(200);
    }
  });

  it('keeps the health endpoints open for probes', async () => {
    for (const path of ['/v2/health/live', '/v2/health/ready']) expect((await fetch(url + path)).status).toBe(200);
  });

  it('serves an inference with the right token', async () => {
    const image = knownImages[3];
    const r = await inferImage(url, image.pixels, { headers: { [GATEWAY_TOKEN_HEADER]: TOKEN } });
    expect(r.status).toBe(200);
    expect(maxAbsDiff(r.embedding!, image.expected)).toBeLessThanOrEqual(1e-4);
  });
});

describe('backend without requireToken', () => {
  it('serves requests with no token header', async () => {
    const backend = await startTestBackend();
    try {
      expect((await inferImage(backend.url, knownImages[0].pixels)).status).toBe(200);
    } finally {
      await backend.close();
    }
  });
});

describe('requireToken option', () => {
  it('refuses a token too short to be a secret', async () => {
    await expect(startTestBackend({ requireToken: 'short' })).rejects.toThrow();
  });
});
