/** Helpers for the Worker tests: a stub backend behind the global fetch, and tenants written to KV. */
import { env } from 'cloudflare:workers';
import { vi } from 'vitest';
import { generateApiKey } from '../../gateway/auth/apiKey';
import type { KvKeyRecord } from '../../gateway/auth/kvKeyStore';

const BACKEND = 'http://backend-a.test';

/** What the stub backend saw. */
export const seen: { path: string; headers: Headers }[] = [];

const TOY = {
  name: 'toy',
  versions: ['1'],
  platform: 'onnxruntime_onnx',
  inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [-1, 3, 2, 2] }],
  outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 4] }],
};

// A model with a pixel input as big as SigLIP's, for bodies of megabytes.
const PIXELS = { ...TOY, name: 'pixels', inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [-1, 3, 384, 384] }] };

/** Replaces the isolate's fetch (the Worker shares the isolate with the tests) with a tiny KServe backend. */
export function stubBackend(): void {
  seen.length = 0;
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.origin !== BACKEND) throw new TypeError(`unexpected fetch to ${url.origin}`);
    seen.push({ path: url.pathname, headers: req.headers });
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /v2/health/ready':
        return new Response(null, { status: 200 });
      case 'GET /v2/models/toy':
        return Response.json(TOY);
      case 'GET /v2/models/toy/config':
        return Response.json({ name: 'toy', max_batch_size: 8 });
      case 'GET /v2/models/pixels':
        return Response.json(PIXELS);
      case 'GET /v2/models/pixels/config':
        return Response.json({ name: 'pixels', max_batch_size: 8 });
      case 'GET /v2/models/toy/ready':
        return new Response(null, { status: 200 });
      case 'POST /v2/models/toy/infer':
        return Response.json({ model_name: 'toy', outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
      default:
        return Response.json({ error: 'not found' }, { status: 404 });
    }
  });
}

/** Writes a tenant's key record to KV (as `siglip keys create --kv` would) and returns the key. */
export async function createTenant(tenant: string, policy: { models?: string[]; rate?: number; burst?: number } = {}): Promise<string> {
  const k = await generateApiKey();
  const record: KvKeyRecord = { sha256: k.sha256, tenant, models: policy.models ?? ['*'], rate: policy.rate ?? 100, burst: policy.burst ?? 100 };
  await (env as unknown as { KEYS: KVNamespace }).KEYS.put(`key:${k.id}`, JSON.stringify(record));
  return k.key;
}
