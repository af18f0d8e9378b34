import { describe, expect, it } from 'vitest';
import { ModelCatalog, type ModelInfo } from '../../gateway/backends/modelCatalog';
import { validateInferBody } from '../../gateway/validation/inferBody';
import { fakeClock } from './support/fakeClock';
import { encodeBytesElements } from '../../shared/codec/binaryTensor';

/** A catalog answered by a function, to get ModelInfo exactly as the gateway derives it. */
async function modelFrom(meta: object, config: object = { max_batch_size: 8 }): Promise<ModelInfo> {
  const catalog = new ModelCatalog(
    { forward: async (req) => Response.json(req.path.endsWith('/config') ? config : meta) },
    { clock: fakeClock(), maxBytesElementSize: 1024 },
  );
  return (await catalog.get('m'))!;
}

const enc = new TextEncoder();
const bytesElements = (...items: string[]) => encodeBytesElements(items.map((s) => enc.encode(s)));
const binaryBody = (header: object, tail: Uint8Array) => {
  const h = enc.encode(JSON.stringify(header));
  const body = new Uint8Array(h.length + tail.length);
  body.set(h);
  body.set(tail, h.length);
  return { body, headerLength: String(h.length) };
};

const TEXT = { name: 'm', versions: ['1'], inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [-1, 1] }], outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 4] }] };
const IDS = { name: 'm', inputs: [{ name: 'INPUT_IDS', datatype: 'INT64', shape: [-1, 4] }, { name: 'MASK', datatype: 'INT64', shape: [-1, 4] }], outputs: [{ name: 'E', datatype: 'FP32', shape: [-1, 2] }] };

describe('validateInferBody', () => {
  it('returns the batch size of a valid JSON request with BYTES strings', async () => {
    const model = await modelFrom(TEXT);
    const body = enc.encode(JSON.stringify({ inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [3], data: ['a', 'b', 'c'] }] }));
    expect(validateInferBody(body, undefined, model)).toBe(3);
  });

  it('counts BYTES elements in the binary part against the shape', async () => {
    const model = await modelFrom(TEXT);
    const tail = bytesElements('a photo of a cat', 'a dog');
    const ok = binaryBody({ inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: tail.length } }] }, tail);
    expect(validateInferBody(ok.body, ok.headerLength, model)).toBe(2);
    const wrong = binaryBody({ inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [3], parameters: { binary_data_size: tail.length } }] }, tail);
    expect(() => validateInferBody(wrong.body, wrong.headerLength, model)).toThrow('TEXT: expected 3 BYTES elements for its shape, got 2');
    const cut = tail.subarray(0, tail.length - 1);
    const truncated = binaryBody({ inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: cut.length } }] }, cut);
    expect(() => validateInferBody(truncated.body, truncated.headerLength, model)).toThrow(/TEXT: BYTES element 1 declares 5 bytes, but only 4 remain/);
  });

  it('requires every input of the model, once, with one batch size', async () => {
    const model = await modelFrom(IDS);
    const input = (name: string, n: number) => ({ name, datatype: 'INT64', shape: [n, 4], data: new Array(n * 4).fill(1) });
    const req = (...inputs: object[]) => enc.encode(JSON.stringify({ inputs }));
    expect(validateInferBody(req(input('INPUT_IDS', 2), input('MASK', 2)), undefined, model)).toBe(2);
    expect(() => validateInferBody(req(input('INPUT_IDS', 2)), undefined, model)).toThrow("model 'm' expects input 'MASK', which the request lacks");
    expect(() => validateInferBody(req(input('INPUT_IDS', 2), input('INPUT_IDS', 2)), undefined, model)).toThrow("input 'INPUT_IDS' appears more than once");
    expect(() => validateInferBody(req(input('INPUT_IDS', 2), input('MASK', 3)), undefined, model)).toThrow("MASK: batch size 3 differs from the other inputs' 2");
  });

  it('refuses binary_data_size without the binary header, and data together with it', async () => {
    const model = await modelFrom(TEXT);
    const header = { inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 5 } }] };
    expect(() => validateInferBody(enc.encode(JSON.stringify(header)), undefined, model)).toThrow('TEXT: binary_data_size is set, but the request has no Inference-Header-Content-Length header');
    const both = binaryBody({ inputs: [{ ...header.inputs[0], data: ['x'] }] }, bytesElements('x'));
    expect(() => validateInferBody(both.body, both.headerLength, model)).toThrow(/has both data and binary_data_size/);
  });
});

describe('ModelCatalog body limits', () => {
  it('derives the limits from the largest batch of the model inputs', async () => {
    const fixed = await modelFrom({ name: 'm', inputs: [{ name: 'X', datatype: 'FP32', shape: [-1, 3, 384, 384] }], outputs: [] }, { max_batch_size: 4 });
    expect(fixed.maxBodyBytes.binary).toBe(64 * 1024 + 4 * 442_368 * 4);
    expect(fixed.maxBodyBytes.json).toBe(64 * 1024 + 4 * 442_368 * 24);
    const text = await modelFrom(TEXT, { max_batch_size: 16 });
    expect(text.maxBodyBytes.binary).toBe(64 * 1024 + 16 * 1024);
  });

  it('remembers that a model does not exist, for a few seconds, when the backends have no repository index', async () => {
    const clock = fakeClock();
    let calls = 0;
    const catalog = new ModelCatalog(
      { forward: async (req) => (req.path.startsWith('/v2/models/') && calls++, Response.json({ error: 'nope' }, { status: 404 })) },
      { clock, negativeTtlMs: 5_000 },
    );
    expect(await catalog.get('ghost')).toBeUndefined();
    expect(await catalog.get('ghost')).toBeUndefined();
    expect(calls).toBe(1);
    // Fresh for 5 s (lru-cache: stale once more than its TTL has passed).
    clock.advance(5_001);
    await catalog.get('ghost');
    expect(calls).toBe(2);
  });

  it("answers names the backends' repository index lacks without asking for their metadata, one index request per TTL", async () => {
    const clock = fakeClock();
    const paths: string[] = [];
    const catalog = new ModelCatalog(
      {
        forward: async (req) => {
          paths.push(req.path);
          if (req.path === '/v2/repository/index') return Response.json([{ name: 'm', version: '1', state: 'READY' }]);
          return Response.json(req.path.endsWith('/config') ? { max_batch_size: 8 } : TEXT);
        },
      },
      { clock, indexTtlMs: 10_000 },
    );
    for (let i = 0; i < 100; i++) expect(await catalog.get(`random-${i}`)).toBeUndefined();
    expect((await catalog.get('m'))?.name).toBe('m');
    expect(paths).toEqual(['/v2/repository/index', '/v2/models/m', '/v2/models/m/config']);
    clock.advance(10_000);
    await catalog.get('another');
    expect(paths.filter((p) => p === '/v2/repository/index')).toHaveLength(2);
  });

  it('keeps at most maxEntries models, however many names clients try', async () => {
    const clock = fakeClock();
    const catalog = new ModelCatalog({ forward: async () => Response.json({ error: 'nope' }, { status: 404 }) }, { clock, maxEntries: 10 });
    for (let i = 0; i < 50; i++) await catalog.get(`ghost-${i}`);
    expect((catalog as unknown as { entries: Map<string, unknown> }).entries.size).toBeLessThanOrEqual(10);
  });

  it('answers 503 (and caches nothing) when the backends cannot say', async () => {
    let status = 503;
    const catalog = new ModelCatalog({ forward: async (req) => (req.path.endsWith('/config') ? Response.json({ max_batch_size: 1 }) : status === 200 ? Response.json(TEXT) : Response.json({ error: 'x' }, { status })) }, { clock: fakeClock() });
    await expect(catalog.get('m')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    status = 200;
    expect((await catalog.get('m'))?.name).toBe('m');
  });
});
