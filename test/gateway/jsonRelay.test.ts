/**
 * JSON infer bodies relayed by the Node gateway while they arrive (JsonInferCheck, RelayBody), end to end: the
 * real backend (demo models on CPU) behind a byte-counting TCP proxy, behind real Node gateways on loopback. A
 * large body goes on to the backend from its first `data` array, its last byte held back until the check at
 * its end has passed: a good one is answered as the backend answers it, a bad one is refused with the backend's
 * own message without the backend ever holding the whole body, and a client that leaves costs nothing.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/node';
import type { Backend } from '../../gpu-backend/server';
import { jsonPixelRequest, startTestBackend } from '../helpers/backend';
import { maxAbsDiff, reference } from '../helpers/fixtures';
import { IMAGE, inferImage, knownImages, modelStats } from '../helpers/visionRequests';
import { keysFor } from './support/tenants';

const INFER = '/v2/models/siglip_vision/infer';

/** One request the proxy saw going to the backend: its head, and how much of its body got through. */
interface SeenRequest {
  method: string;
  path: string;
  /** Its Content-Length. */
  declared: number;
  /** Body bytes that reached the backend. */
  received: number;
  /** The connection closed while this was its last request (the gateway gave the request up). */
  cut: boolean;
}

/** A TCP proxy in front of the backend that reads the HTTP requests going through it (heads, body byte counts). */
interface CountingProxy {
  url: string;
  /** Requests seen since the last `reset`. */
  seen(path?: string): SeenRequest[];
  reset(): void;
  close(): Promise<void>;
}

async function startCountingProxy(target: string): Promise<CountingProxy> {
  const { hostname, port } = new URL(target);
  let seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let head = Buffer.alloc(0);
    let current: SeenRequest | undefined;
    const parse = (d: Buffer): void => {
      while (d.length > 0) {
        if (current && current.received < current.declared) {
          const take = Math.min(d.length, current.declared - current.received);
          current.received += take;
          d = d.subarray(take);
          continue;
        }
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = head.subarray(0, end).toString('latin1').split('\r\n');
        d = head.subarray(end + 4);
        head = Buffer.alloc(0);
        const [method, path] = lines[0].split(' ');
        const length = lines.find((l) => /^content-length:/i.test(l));
        // Every request the gateway sends has a Content-Length or no body (a relayed body keeps its declared one).
        expect(lines.some((l) => /^transfer-encoding:/i.test(l))).toBe(false);
        current = { method, path, declared: length ? Number(length.split(':')[1]) : 0, received: 0, cut: false };
        seen.push(current);
      }
    };
    client.on('data', (d: Buffer) => {
      parse(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    const close = () => {
      if (current) current.cut = true;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen: (path) => seen.filter((r) => path === undefined || r.path === path),
    reset: () => (seen = []),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * POSTs `body` on its own connection in two parts: the first `cut` bytes, then (once `between` resolves) the rest.
 * The Content-Length is the whole body's.
 */
function stagedPost(url: string, body: Buffer, headers: Record<string, string>, cut: number, between: () => Promise<void>): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(`${url}${INFER}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.write(body.subarray(0, cut));
    between().then(
      () => req.end(body.subarray(cut)),
      (err: unknown) => {
        req.destroy();
        reject(err);
      },
    );
  });
}

/** POSTs a whole JSON body (fetch sets its Content-Length). */
async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}, path = INFER): Promise<Answer> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body as BodyInit });
  const h: IncomingHttpHeaders = {};
  res.headers.forEach((v, k) => (h[k] = v));
  return { status: res.status, headers: h, text: await res.text() };
}

/** The `{"error": ...}` message of a refusal (and nothing else in the body). */
function errorOf(a: Answer): string {
  const body = JSON.parse(a.text);
  expect(Object.keys(body)).toEqual(['error']);
  return body.error as string;
}

const successes = async () => (await modelStats(backend.url)).inference_stats.success.count as number;
const WAIT = { timeout: 30_000, interval: 20 };

let backend: Backend;
let proxy: CountingProxy;
/** Default settings: JSON bodies of 1 MiB or more are relayed while they arrive. */
let gw: RunningGateway;
/** Every JSON body checked whole before any backend sees it. */
let gwWhole: RunningGateway;
/** Every JSON body relayed while it arrives, however small. */
let gwStream: RunningGateway;
let keys: Record<string, string>;
const auth = (tenant: string) => ({ authorization: `Bearer ${keys[tenant]}` });

beforeAll(async () => {
  backend = await startTestBackend();
  proxy = await startCountingProxy(backend.url);
  const made = await keysFor({
    t: { models: ['*'], rate: 1000, burst: 1000 },
    // Next to no refill over a test: each request's cost shows in what is left.
    cost: { models: ['*'], rate: 0.001, burst: 5 },
    big: { models: ['*'], rate: 0.001, burst: 3 },
  });
  keys = made.keys;
  const common = { port: 0, backends: [`a=${proxy.url}`], keys: made.file, logLevel: 'silent' as const, healthIntervalMs: 60_000 };
  [gw, gwWhole, gwStream] = await Promise.all([startGateway(common), startGateway({ ...common, relayJsonFromBytes: 2 ** 31 }), startGateway({ ...common, relayJsonFromBytes: 0 })]);
});
afterAll(async () => {
  await Promise.all([gw?.close(), gwWhole?.close(), gwStream?.close()]);
  await proxy?.close();
  await backend?.close();
});

/** A good request through `url` still gets the reference embedding. */
async function expectServing(url: string): Promise<void> {
  const image = knownImages[1];
  const r = await inferImage(url, image.pixels, { headers: auth('t') });
  expect(r.status).toBe(200);
  expect(maxAbsDiff(r.embedding!, image.expected)).toBeLessThanOrEqual(1e-4);
}

/** The seed clients' JSON: one image as a flat `data` array of 442,368 numbers (about 9 MB). */
const seedBody = (image = knownImages[2]) => Buffer.from(jsonPixelRequest(image.pixels, 1));

const pixelsJson = (data: unknown[], shape = [1, 3, 384, 384], extra = '') =>
  Buffer.from(`{"inputs":[{"name":"PIXEL_VALUES","shape":${JSON.stringify(shape)},"datatype":"FP32","data":${JSON.stringify(data)}${extra}}]}`);

/** Large bodies that go wrong only near their end. */
function badLargeBodies(): [string, Buffer][] {
  const pixels = Array.from(knownImages[0].pixels);
  const good = seedBody(knownImages[0]);
  return [
    ['one element too few', pixelsJson(pixels.slice(0, IMAGE - 1))],
    ['a string as its last element', pixelsJson([...pixels.slice(0, IMAGE - 1), '0.5'])],
    ['truncated JSON (its Content-Length that of what is sent)', good.subarray(0, good.length - 2)],
    ['trailing garbage', Buffer.concat([good, Buffer.from(' x')])],
    ['a name after the data naming another input', pixelsJson(pixels, [1, 3, 384, 384], ',"name":"IMAGE"')],
  ];
}

describe('a large JSON body relayed while it arrives', () => {
  it('gets the reference embedding for a 9 MB seed-style siglip_vision request, going on to the backend before it has all arrived', async () => {
    const image = knownImages[2];
    const body = seedBody(image);
    expect(body.length).toBeGreaterThan(7_500_000);
    const before = await successes();
    proxy.reset();
    // 60% sent, then nothing until the backend has more than half of it: the gateway relays as it reads.
    const answer = await stagedPost(gw.url, body, auth('t'), Math.floor(body.length * 0.6), () =>
      vi.waitFor(() => expect(proxy.seen(INFER)[0]?.received ?? 0).toBeGreaterThan(body.length / 2), WAIT),
    );
    expect(answer.status).toBe(200);
    const out = JSON.parse(answer.text).outputs[0];
    expect(out.name).toBe('EMBEDDING');
    expect(maxAbsDiff(Float32Array.from(out.data as number[]), image.expected)).toBeLessThanOrEqual(1e-4);
    expect(proxy.seen(INFER).map((r) => [r.declared, r.received])).toEqual([[body.length, body.length]]);
    expect(await successes()).toBe(before + 1);
  }, 120_000);

  it('refuses a body that goes wrong near its end with the backend message, the backend never holding it all or computing it', async () => {
    for (const [what, body] of badLargeBodies()) {
      const direct = await post(backend.url, body);
      expect(direct.status, what).toBe(400);
      const backendSays = errorOf(direct);
      const before = await successes();
      proxy.reset();
      // Most of it sent, and most of that relayed, before the end that is wrong arrives.
      const answer = await stagedPost(gw.url, body, auth('t'), Math.floor(body.length * 0.9), () =>
        vi.waitFor(() => expect(proxy.seen(INFER)[0]?.received ?? 0).toBeGreaterThan(body.length * 0.8), WAIT),
      );
      expect([answer.status, errorOf(answer)], what).toEqual([400, backendSays]);
      expect(answer.headers['content-type'], what).toMatch(/^application\/json/);
      // The gateway gave the backend request up without its last byte.
      await vi.waitFor(() => expect(proxy.seen(INFER).every((r) => r.cut)).toBe(true), WAIT);
      const relayed = proxy.seen(INFER);
      expect(relayed, what).toHaveLength(1);
      expect(relayed[0].declared, what).toBe(body.length);
      expect(relayed[0].received, what).toBeLessThan(body.length);
      expect(await successes(), what).toBe(before);
      await expectServing(gw.url);
    }
  }, 300_000);

  it('stops relaying a large body at the chunk where it stops being JSON, and answers once the client has sent it all', async () => {
    const good = seedBody(knownImages[0]);
    const at = good.indexOf(',', good.length >> 1);
    // A second comma halfway through the data: malformed from that byte on.
    const body = Buffer.concat([good.subarray(0, at), Buffer.from(','), good.subarray(at)]);
    const direct = await post(backend.url, body);
    expect([direct.status, errorOf(direct)]).toEqual([400, `malformed JSON at byte ${at + 1}: unexpected ','`]);
    const before = await successes();
    proxy.reset();
    const answer = await post(gw.url, body, auth('t'));
    expect([answer.status, errorOf(answer)]).toEqual([400, errorOf(direct)]);
    await vi.waitFor(() => expect(proxy.seen(INFER).every((r) => r.cut)).toBe(true), WAIT);
    // What went on is what came before the chunk that broke the syntax, at most.
    for (const r of proxy.seen(INFER)) expect(r.received).toBeLessThanOrEqual(at + 1);
    expect(await successes()).toBe(before);
    await expectServing(gw.url);
  }, 120_000);

  it('keeps serving after a client sends half a large body and leaves, counting nothing as a success', async () => {
    const body = seedBody();
    const before = await successes();
    proxy.reset();
    const req = request(`${gw.url}${INFER}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...auth('t'), 'content-length': String(body.length) } });
    const gone = new Promise<void>((resolve) => req.on('error', () => resolve()).on('close', () => resolve()));
    req.write(body.subarray(0, body.length >> 1));
    await vi.waitFor(() => expect(proxy.seen(INFER)[0]?.received ?? 0).toBeGreaterThan(body.length * 0.4), WAIT);
    req.destroy();
    await gone;
    // The gateway gives its backend request up, and the backend its half body.
    await vi.waitFor(() => expect(proxy.seen(INFER).map((r) => r.cut)).toEqual([true]), WAIT);
    expect(proxy.seen(INFER)[0].received).toBeLessThan(body.length);
    expect(await successes()).toBe(before);
    // Both still serve, the backend still in the gateway's pool.
    expect((await (await fetch(`${gw.url}/status`)).json()).backends).toEqual([{ name: 'a', ready: true }]);
    await expectServing(gw.url);
    await expectServing(backend.url);
    const again = await post(gw.url, body, auth('t'));
    expect(again.status).toBe(200);
    expect(await successes()).toBe(before + 3);
  }, 120_000);
});

describe('checked whole or relayed while it arrives: the same answers', () => {
  it('answers a 9 MB request alike through a gateway that checks JSON whole and one that relays it, and as the backend does', async () => {
    const body = seedBody(knownImages[3]);
    const [whole, relayed, direct] = [await post(gwWhole.url, body, auth('t')), await post(gw.url, body, auth('t')), await post(backend.url, body)];
    expect(whole.status).toBe(200);
    expect(relayed.text).toBe(whole.text);
    expect(direct.text).toBe(whole.text);
    expect(maxAbsDiff(Float32Array.from(JSON.parse(whole.text).outputs[0].data as number[]), knownImages[3].expected)).toBeLessThanOrEqual(1e-4);
  }, 120_000);

  it('refuses bad large bodies alike, the whole check before any byte reaches the backend', async () => {
    for (const [what, body] of badLargeBodies()) {
      proxy.reset();
      const whole = await post(gwWhole.url, body, auth('t'));
      expect(whole.status, what).toBe(400);
      // Nothing went on: checked whole, the body never left the gateway.
      expect(proxy.seen(INFER), what).toEqual([]);
      const relayed = await post(gw.url, body, auth('t'));
      expect([relayed.status, errorOf(relayed)], what).toEqual([400, errorOf(whole)]);
    }
  }, 300_000);

  it('answers small requests alike (INT64 ids, BYTES texts, good and bad), relayed from the first byte or checked whole', async () => {
    const ids = reference.text.input_ids;
    const idsBody = (rows: number[][], shape = [rows.length, 64]) => JSON.stringify({ inputs: [{ name: 'INPUT_IDS', datatype: 'INT64', shape, data: rows }] });
    const textBody = (items: unknown[], shape: number[]) => JSON.stringify({ inputs: [{ name: 'INPUT_TEXT', datatype: 'BYTES', shape, data: items }] });
    // Whether the gateway refuses it itself, or (good requests, and values, which are the backend's to read) the backend answers.
    const cases: [string, string, string, 'backend' | 'gateway'][] = [
      ['INT64 ids, batch 2', 'siglip_text', idsBody(ids), 'backend'],
      ['INT64 ids, batch 3, pretty-printed', 'siglip_text', JSON.stringify(JSON.parse(idsBody([...ids, ids[0]])), null, 2), 'backend'],
      ['BYTES texts, shape [n]', 'embed_text', textBody(['a photo of a cat', 'un chat é 日本'], [2]), 'backend'],
      ['BYTES texts, shape [n,1]', 'embed_text', textBody([['a dog'], ['a cat']], [2, 1]), 'backend'],
      ['an id over the vocabulary', 'siglip_text', idsBody([[...ids[0].slice(0, 63), 32000]]), 'backend'],
      ['a fraction in INT64 ids', 'siglip_text', idsBody([[0.5, ...ids[0].slice(1)]]), 'backend'],
      ['one id too many', 'siglip_text', idsBody([[...ids[0], 1]]), 'gateway'],
      ['a number among BYTES', 'embed_text', textBody(['a', 1], [2]), 'gateway'],
      ['truncated JSON', 'siglip_text', idsBody(ids).slice(0, -3), 'gateway'],
      ['an unknown output', 'siglip_text', JSON.stringify({ ...JSON.parse(idsBody(ids)), outputs: [{ name: 'LOGITS' }] }), 'gateway'],
    ];
    let good = 0;
    for (const [what, model, body, answers] of cases) {
      const path = `/v2/models/${model}/infer`;
      const through = async (g: RunningGateway) => {
        proxy.reset();
        const answer = await post(g.url, body, auth('t'), path);
        // A body the gateway refuses never reaches the backend whole; any other does.
        if (answers === 'gateway') await vi.waitFor(() => expect(proxy.seen(path).every((r) => r.cut && r.received < r.declared), what).toBe(true), WAIT);
        else expect(proxy.seen(path).map((r) => r.received), what).toEqual([Buffer.byteLength(body)]);
        return answer;
      };
      const whole = await through(gwWhole);
      // Checked whole (as by default, for a body this small), a refused body does not even start to go on.
      if (answers === 'gateway') expect(proxy.seen(path), what).toEqual([]);
      const byDefault = await through(gw);
      if (answers === 'gateway') expect(proxy.seen(path), what).toEqual([]);
      const relayed = await through(gwStream);
      const direct = await post(backend.url, body, {}, path);
      expect([relayed.status, relayed.text], what).toEqual([whole.status, whole.text]);
      expect([byDefault.status, byDefault.text], what).toEqual([whole.status, whole.text]);
      expect([direct.status, direct.text], what).toEqual([whole.status, whole.text]);
      if (whole.status === 200) good++;
      else expect(whole.status, what).toBe(400);
    }
    expect(good).toBe(4);
  }, 120_000);
});

describe('what a JSON request costs: its batch size', () => {
  const idsOf = (n: number) => JSON.stringify({ inputs: [{ name: 'INPUT_IDS', datatype: 'INT64', shape: [n, 64], data: Array.from({ length: n }, (_, i) => reference.text.input_ids[i % 2]) }] });
  const TEXT = '/v2/models/siglip_text/infer';

  for (const [where, target] of [
    ['checked whole', () => gw],
    ['relayed while it arrives', () => gwStream],
  ] as const) {
    it(`takes n tokens for a batch of n, ${where}`, async () => {
      const url = target().url;
      // A burst of 5. More than all of it can never pass (refused for 1 token)...
      const tooBig = await post(url, idsOf(6), auth('cost'), TEXT);
      expect([tooBig.status, errorOf(tooBig), tooBig.headers['ratelimit-remaining']]).toEqual([413, "a batch of 6 exceeds tenant 'cost' burst of 5; send at most 5 per request", '4']);
      // ...then 3 pass, 3 more are too many, and 1 fits.
      const first = await post(url, idsOf(3), auth('cost'), TEXT);
      expect([first.status, first.headers['ratelimit-remaining']]).toEqual([200, '1']);
      const second = await post(url, idsOf(3), auth('cost'), TEXT);
      expect([second.status, errorOf(second)]).toEqual([429, expect.stringMatching(/^rate limit exceeded: this request needs 3 token\(s\); retry in \d+ s$/)]);
      const third = await post(url, idsOf(1), auth('cost'), TEXT);
      expect([third.status, third.headers['ratelimit-remaining']]).toEqual([200, '0']);
    }, 60_000);
  }

  it('takes 2 tokens for an 18 MB batch of 2 images, known from its first data array, and refuses the next one early with 429', async () => {
    const pixels = new Float32Array(2 * IMAGE);
    pixels.set(knownImages[0].pixels);
    pixels.set(knownImages[1].pixels, IMAGE);
    const body = Buffer.from(jsonPixelRequest(pixels, 2));
    const first = await post(gw.url, body, auth('big'));
    expect([first.status, first.headers['ratelimit-remaining']]).toEqual([200, '1']);
    const out = JSON.parse(first.text).outputs[0];
    expect(out.shape[0]).toBe(2);
    const width = out.shape[1] as number;
    for (const i of [0, 1]) expect(maxAbsDiff((out.data as number[]).slice(i * width, (i + 1) * width), knownImages[i].expected)).toBeLessThanOrEqual(1e-4);
    const before = await successes();
    const second = await post(gw.url, body, auth('big'));
    expect([second.status, errorOf(second)]).toEqual([429, expect.stringMatching(/this request needs 2 token\(s\)/)]);
    expect(await successes()).toBe(before);
    // One token is left: a batch of one still passes.
    const one = await post(gw.url, seedBody(), auth('big'));
    expect([one.status, one.headers['ratelimit-remaining']]).toEqual([200, '0']);
  }, 180_000);
});
