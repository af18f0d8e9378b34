import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { embedImages } from '../../client/validate/embedImages';
import { embedTexts } from '../../client/validate/embedTexts';
import { ImageRejectedError } from '../../client/validate/http/imageRejectedError';
import { parseRetryAfter, retryDelayMs, DEFAULT_RETRY_POLICY } from '../../client/validate/http/retryPolicy';
import { V2Client } from '../../client/validate/http/v2Client';
import { imageColourEmbedding, textColourEmbedding } from './support/colourEmbedding';
import { startLoopbackServer, type LoopbackOptions, type LoopbackServer } from './support/loopbackServer';
import { writeSyntheticDataset, type SyntheticDataset } from './support/syntheticDataset';

let dataDir: string;
let data: SyntheticDataset;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'validate-client-'));
  data = await writeSyntheticDataset({ dir: dataDir, classes: 3, trainPerClass: 4, validPerClass: 4 });
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

let server: LoopbackServer | undefined;
let client: V2Client | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

// A client whose waits are recorded instead of slept.
async function setUp(options: LoopbackOptions = {}, clientOptions: { apiKey?: string; connections?: number; maxAttempts?: number } = {}) {
  server = await startLoopbackServer(options);
  const waits: number[] = [];
  client = new V2Client({
    url: server.url,
    apiKey: clientOptions.apiKey,
    connections: clientOptions.connections ?? 4,
    retry: { sleep: async (ms) => void waits.push(ms), random: () => 0.5, maxAttempts: clientOptions.maxAttempts ?? 8 },
  });
  return { server, client, waits };
}

const images = () => [...data.train, ...data.valid].map((path, i) => ({ path, name: path.slice(dataDir.length + 1), label: i % 3 }));

describe('V2Client', () => {
  it("sends an image file's bytes as the raw-bytes request and reads the float32 embedding after the JSON header", async () => {
    const { client } = await setUp();
    const bytes = await import('node:fs/promises').then((fs) => fs.readFile(data.valid[0]));
    expect(Array.from(await client.embedImage(bytes))).toEqual(Array.from(await imageColourEmbedding(bytes)));
  });

  it('sends texts as an INPUT_TEXT BYTES batch for siglip_text, one embedding per text', async () => {
    const { client } = await setUp();
    const texts = ['a photo of #ff0000', 'a photo of #00ff00'];
    const got = await client.embedTexts(texts);
    expect(got.map((e) => Array.from(e))).toEqual(texts.map((t) => Array.from(textColourEmbedding(t))));
  });

  it('adds Authorization: Bearer with --api-key, and says to pass one when refused', async () => {
    const { client } = await setUp({ apiKey: 'k1' }, { apiKey: 'k1' });
    await expect(client.modelMetadata('embed_image')).resolves.toMatchObject({ name: 'embed_image' });
    await client.close();
    const anonymous = new V2Client({ url: server!.url, connections: 1 });
    await expect(anonymous.modelMetadata('embed_image')).rejects.toThrow('GET /v2/models/embed_image answered 401 (missing or wrong API key): pass a valid --api-key for the gateway');
    await anonymous.close();
  });

  it('retries 503 and 429, waiting what Retry-After asks', async () => {
    const { client, server, waits } = await setUp({
      intercept: (model, n) => (n === 1 ? { status: 503, retryAfter: '2' } : n === 2 ? { status: 429, retryAfter: '1' } : undefined),
    });
    const bytes = await import('node:fs/promises').then((fs) => fs.readFile(data.train[0]));
    await expect(client.embedImage(bytes)).resolves.toHaveLength(8);
    expect(waits).toEqual([2000, 1000]);
    expect(server.stats.imageRequests).toBe(3);
  });

  it('backs off exponentially without Retry-After, and gives up after the last attempt with what to do', async () => {
    const { client, waits } = await setUp({ intercept: () => ({ status: 503, error: 'overloaded' }) }, { maxAttempts: 4 });
    await expect(client.embedTexts(['x'])).rejects.toThrow('POST /v2/models/embed_text/infer was still answered 503 (overloaded) after 4 attempts: lower --concurrency or try again later');
    // 250, 500, 1000 ms steps, jittered to 3/4 of the step by random() = 0.5.
    expect(waits).toEqual([188, 375, 750]);
  });

  it('reports a refused image as ImageRejectedError with the server message', async () => {
    const { client } = await setUp();
    await expect(client.embedImage(Buffer.from('not an image'))).rejects.toSatisfy(
      (e: unknown) => e instanceof ImageRejectedError && e.status === 400 && e.message.startsWith('400: INPUT_IMAGE: cannot decode the image'),
    );
  });

  it('fails at once, saying what to do, when nothing listens at --url', async () => {
    const { server } = await setUp();
    const url = server.url;
    await server.close();
    const c = new V2Client({ url, connections: 1 });
    await expect(c.modelMetadata('embed_image')).rejects.toThrow(`cannot reach ${url} (ECONNREFUSED): start the server (siglip serve) or pass --url`);
    await c.close();
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP-dates (RFC 9110 §10.2.3)', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(retryDelayMs(1, '120', { ...DEFAULT_RETRY_POLICY, maxDelayMs: 30_000 })).toBe(30_000);
  });
});

describe('embedImages', () => {
  it('keeps at most --concurrency requests in flight over keep-alive connections', async () => {
    const { client, server } = await setUp({}, { connections: 3 });
    const all = images();
    const r = await embedImages(all, { client, concurrency: 3 });
    expect(r.embedded).toBe(all.length);
    expect(r.embeddings.every((e) => e?.length === 8)).toBe(true);
    expect(server.stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(server.stats.connections).toBeLessThanOrEqual(3);
  });

  it('counts, reports and skips a corrupt image instead of failing the run', async () => {
    const { client } = await setUp();
    const corrupt = join(dataDir, 'corrupt.JPEG');
    await writeFile(corrupt, 'definitely not a JPEG');
    const all = [...images().slice(0, 3), { path: corrupt, name: 'valid/x/corrupt.JPEG', label: 0 }];
    const seen: string[] = [];
    const r = await embedImages(all, { client, concurrency: 2, onRejected: (x) => seen.push(x.name) });
    expect(r.rejected).toEqual([{ name: 'valid/x/corrupt.JPEG', error: expect.stringContaining('400: INPUT_IMAGE: cannot decode the image') }]);
    expect(seen).toEqual(['valid/x/corrupt.JPEG']);
    expect(r.embeddings.slice(0, 3).every((e) => e !== undefined)).toBe(true);
    expect(r.embeddings[3]).toBeUndefined();
  });
});

describe('embedTexts', () => {
  it('sends each distinct text once, in batches of at most 60', async () => {
    const { client, server } = await setUp();
    const texts = Array.from({ length: 130 }, (_, i) => `prompt ${i % 125}`); // 125 distinct
    const r = await embedTexts(texts, { client, concurrency: 1 });
    expect(server.stats.textBatchSizes).toEqual([60, 60, 5]);
    expect(r.byText.size).toBe(125);
    expect(Array.from(r.byText.get('prompt 7')!)).toEqual(Array.from(textColourEmbedding('prompt 7')));
  });
});
