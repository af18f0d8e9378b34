/**
 * fast-check against both servers on loopback: the JSON infer decoder (through the backend), the embeddings
 * parser, and the gateway's validation. Whatever the body, the answer is 200 or a 4xx with {"error"} (never a
 * 5xx, never a hang), the gateway and the backend give the same status for the same body, and both keep serving.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/node';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { keysFor } from '../gateway/support/tenants';

const TOKEN = 'fuzz-shared-secret-0123456789';
let backend: Backend;
let gateway: RunningGateway;
let key: string;
beforeAll(async () => {
  backend = await startTestBackend({ requireToken: TOKEN });
  const made = await keysFor({ t: { models: ['*'], rate: 1_000_000, burst: 1_000_000 } });
  key = made.keys.t;
  gateway = await startGateway({ port: 0, backends: [`a=${backend.url}`], keys: made.file, backendToken: TOKEN, logLevel: 'silent' });
});
afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});

async function send(base: string, path: string, body: Uint8Array, headers: Record<string, string>): Promise<{ status: number; error?: string }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  if (res.status === 200) return { status: 200 };
  const parsed = JSON.parse(text);
  expect(Object.keys(parsed)).toEqual(['error']);
  return { status: res.status, error: parsed.error };
}

/** Sends one body to the backend and through the gateway; checks what the suite promises of every answer. */
async function both(path: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<number> {
  const direct = await send(backend.url, path, body, { 'x-siglip-gateway-token': TOKEN, ...headers });
  const via = await send(gateway.url, path, body, { authorization: `Bearer ${key}`, ...headers });
  expect(direct.status).toBeLessThan(500);
  expect(via.status).toBe(direct.status);
  if (direct.status !== 200) expect(via.error).toBe(direct.error);
  return direct.status;
}

const enc = (s: string) => new TextEncoder().encode(s);
const ids = JSON.stringify({ inputs: [{ name: 'INPUT_IDS', shape: [2, 64], datatype: 'INT64', data: new Array(128).fill(0).map((_, i) => i % 300) }] });
const texts = JSON.stringify({ parameters: { embed_model: 'siglip_text' }, inputs: [{ name: 'INPUT_TEXT', shape: [2, 1], datatype: 'BYTES', data: ['a cat', 'a dog'] }] });

/** A valid body with a few random edits: characters dropped, inserted or replaced, or a slice repeated. */
function mutated(valid: string): fc.Arbitrary<string> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('[', ']', '{', '}', ',', '"', ':', '-', '0', '1e400', 'NaN', 'null', 'true', ' ', '\\u0000', '99999999999999999999', '-1', '"FP32"', '"BYTES"') }),
    fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let s = valid;
    for (const e of edits) {
      const at = e.at % (s.length + 1);
      if (e.kind === 'drop') s = s.slice(0, at) + s.slice(at + e.len);
      else if (e.kind === 'insert') s = s.slice(0, at) + e.text + s.slice(at);
      else s = s.slice(0, at) + s.slice(at, at + e.len).repeat(3) + s.slice(at + e.len);
    }
    return s;
  });
}

describe('fuzzed bodies (fast-check, both servers)', () => {
  it('siglip_text: mutated JSON infer requests get the same 200 or 4xx from both', async () => {
    await fc.assert(fc.asyncProperty(mutated(ids), async (body) => void (await both('/v2/models/siglip_text/infer', enc(body)))), { numRuns: 120 });
  });

  it('embed_text: mutated requests, texts and parameters included', async () => {
    await fc.assert(fc.asyncProperty(mutated(texts), async (body) => void (await both('/v2/models/embed_text/infer', enc(body)))), { numRuns: 80 });
  });

  it('any JSON value as an infer request or an embeddings request', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('/v2/models/siglip_text/infer', '/v1/embeddings'), async (value, path) => {
        await both(path, enc(JSON.stringify(value)));
      }),
      { numRuns: 80 },
    );
  });

  it('arbitrary bytes, with and without the binary extension header', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(undefined, '0', '10', '64', 'x'), async (bytes, headerLength) => {
        await both('/v2/models/siglip_text/infer', bytes, headerLength === undefined ? {} : { 'inference-header-content-length': headerLength });
      }),
      { numRuns: 80 },
    );
  });

  it('and both still serve afterwards', async () => {
    expect(await both('/v2/models/siglip_text/infer', enc(ids))).toBe(200);
  });
});
