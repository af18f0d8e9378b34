/**
 * `npm run bench -- reliability`: a soak. Three backends and a gateway run as child processes on loopback; a
 * mixed load (vision binary and JSON, raw-bytes and base64 images, texts, /v1/embeddings, and bad inputs) runs
 * through the gateway and straight at the backends for BENCH_SOAK_SECONDS (default 600) while backends are
 * killed (-9), stopped (SIGSTOP/SIGCONT) and drained (SIGTERM), and restarted. Each request is retried on
 * 503/429/504 as a client would; it is lost if it never gets its right answer. RSS of the gateway and of the
 * backend that lives the whole run is sampled every 5 s.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { generateApiKey } from '../gateway/auth/apiKey';
import { startCli, type ChildServer } from './processes';
import type { BenchRow } from './table';

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
const CONCURRENCY = Number(process.env.BENCH_SOAK_CONCURRENCY ?? 12);
const TOKEN = 'soak-shared-secret-0123456789abcdef';
const PORTS = { a: 18_301, b: 18_311, c: 18_321, gateway: 18_380 };
const fixture = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../test/fixtures/siglip/${name}`, import.meta.url))));
const seed = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../../shared/seed-data/images/${name}`, import.meta.url))));

interface Outcome {
  status: number;
  body: Uint8Array;
  headers: Record<string, string | string[] | undefined>;
}

interface Kind {
  name: string;
  weight: number;
  /** Status this request must end with after retries (4xx kinds are the bad inputs). */
  expect: number;
  send(base: string, headers: Record<string, string>): Promise<Outcome>;
  /** The answer a correct 200 carries (within 1e-4: batching changes the last bits); undefined when only the status is checked. */
  answer?: number[];
}

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });

async function post(url: string, body: Uint8Array | string, headers: Record<string, string>): Promise<Outcome> {
  const res = await request(url, { method: 'POST', body, headers, dispatcher: agent, headersTimeout: 60_000, bodyTimeout: 60_000 });
  return { status: res.statusCode, body: new Uint8Array(await res.body.arrayBuffer()), headers: res.headers };
}

/** The embedding values of an answer (binary answers: the float32s after the JSON header). */
function embeddingOf(o: Outcome): number[] {
  const n = Number(o.headers['inference-header-content-length'] ?? -1);
  if (n >= 0) return Array.from(new Float32Array(o.body.slice(n).buffer));
  const json = JSON.parse(Buffer.from(o.body).toString('utf8'));
  if (json.outputs) return json.outputs.flatMap((x: { data: number[] }) => x.data);
  return json.data.flatMap((d: { embedding: number[] }) => d.embedding);
}

function sameEmbedding(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= 1e-4);
}

function kinds(): Kind[] {
  const pixels = fixture('photos_pixel_values_3x3x384x384.f32').subarray(0, 3 * 384 * 384 * 4);
  const jsonPixels = JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', data: Array.from(new Float32Array(pixels.slice().buffer)) }] });
  const binHeader = Buffer.from(JSON.stringify({ inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { binary_data_size: pixels.length } }], parameters: { binary_data_output: true } }));
  const binary = Buffer.concat([binHeader, pixels]);
  const photo = seed('imagenet_0.jpg');
  const base64 = JSON.stringify({ parameters: { base64_encoded: true }, inputs: [{ name: 'INPUT_IMAGE', shape: [1, 1], datatype: 'BYTES', data: [Buffer.from(seed('imagenet_1.jpg')).toString('base64')] }] });
  const text = JSON.stringify({ parameters: { embed_model: 'siglip_text' }, inputs: [{ name: 'INPUT_TEXT', shape: [2, 1], datatype: 'BYTES', data: ['a photo of a cat', 'a photo of a dog'] }] });
  const embeddings = JSON.stringify({ input: ['a photo of a tench', { image: `data:image/jpeg;base64,${Buffer.from(seed('imagenet_2.jpg')).toString('base64')}` }] });
  const infer = (m: string) => `/v2/models/${m}/infer`;
  const json = { 'content-type': 'application/json' };
  return [
    { name: 'vision binary', weight: 4, expect: 200, send: (b, h) => post(b + infer('siglip_vision'), binary, { ...h, 'content-type': 'application/octet-stream', 'inference-header-content-length': String(binHeader.length) }) },
    { name: 'vision JSON', weight: 1, expect: 200, send: (b, h) => post(b + infer('siglip_vision'), jsonPixels, { ...h, ...json }) },
    { name: 'image raw bytes', weight: 3, expect: 200, send: (b, h) => post(b + infer('embed_image'), photo, { ...h, 'content-type': 'application/octet-stream', 'inference-header-content-length': '0' }) },
    { name: 'image base64', weight: 1, expect: 200, send: (b, h) => post(b + infer('embed_image'), base64, { ...h, ...json }) },
    { name: 'texts', weight: 3, expect: 200, send: (b, h) => post(b + infer('embed_text'), text, { ...h, ...json }) },
    { name: '/v1/embeddings', weight: 1, expect: 200, send: (b, h) => post(`${b}/v1/embeddings`, embeddings, { ...h, ...json }) },
    { name: 'bad: token id out of range', weight: 1, expect: 400, send: (b, h) => post(b + infer('siglip_text'), JSON.stringify({ inputs: [{ name: 'INPUT_IDS', shape: [1, 64], datatype: 'INT64', data: [40_000, ...new Array(63).fill(1)] }] }), { ...h, ...json }) },
    { name: 'bad: not an image', weight: 1, expect: 400, send: (b, h) => post(b + infer('embed_image'), 'definitely not an image file', { ...h, 'inference-header-content-length': '0' }) },
    { name: 'bad: malformed JSON', weight: 1, expect: 400, send: (b, h) => post(b + infer('siglip_vision'), '{"inputs": [', { ...h, ...json }) },
    { name: 'bad: batch too large', weight: 1, expect: 400, send: (b, h) => post(b + infer('embed_text'), JSON.stringify({ inputs: [{ name: 'INPUT_TEXT', shape: [61], datatype: 'BYTES', data: new Array(61).fill('x') }] }), { ...h, ...json }) },
  ];
}

function rssMiB(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the soak and returns its rows. */
export async function benchReliability(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'siglip-soak-'));
  const k = await generateApiKey();
  const keysFile = join(dir, 'keys.json');
  await writeFile(keysFile, JSON.stringify({ version: 1, tenants: { soak: { models: ['*'], rate: 1_000_000, burst: 1_000_000, keys: [{ id: k.id, sha256: k.sha256 }] } } }));
  // Info: the ready line is how the bench knows a child listens (access lines are read and dropped).
  const backendArgs = (port: number) => ['backend', '--port', String(port), '--require-token', TOKEN, '--workers', '1'];
  const startBackendAt = (port: number) => startCli(backendArgs(port), 'backend ready');
  const servers: Record<'a' | 'b' | 'c', ChildServer> = {
    a: await startBackendAt(PORTS.a),
    b: await startBackendAt(PORTS.b),
    c: await startBackendAt(PORTS.c),
  };
  const gateway = await startCli(
    ['gateway', '--port', String(PORTS.gateway), '--keys', keysFile, '--backend-token', TOKEN,
      ...(['a', 'b', 'c'] as const).flatMap((n) => ['--backend', `${n}=http://127.0.0.1:${PORTS[n]}`])],
    'gateway ready',
  );
  const list = kinds();
  const direct = { 'x-siglip-gateway-token': TOKEN };
  const viaGateway = { authorization: `Bearer ${k.key}` };
  // The right answers, from a healthy backend before any fault.
  for (const kind of list) {
    if (kind.expect !== 200) continue;
    const o = await kind.send(servers.b.url, direct);
    if (o.status !== 200) throw new Error(`${kind.name}: ${o.status} before the soak started`);
    kind.answer = embeddingOf(o);
  }

  const counts = { sent: 0, answered: 0, retried: 0, lost: 0, wrong: 0, bad: 0 };
  const byStatus = new Map<number, number>();
  const lostExamples: string[] = [];
  const faults = { kill9: 0, stop: 0, drain: 0 };
  const rss: { t: number; gateway: number; backend: number }[] = [];
  const started = Date.now();
  const until = started + SECONDS * 1000;
  const weights = list.flatMap((kind) => new Array(kind.weight).fill(kind) as Kind[]);

  async function one(kind: Kind, i: number): Promise<void> {
    counts.sent++;
    if (kind.expect !== 200) counts.bad++;
    // Nine in ten through the gateway; the rest at a backend that may be down (then the next one).
    const targets = i % 10 === 0 ? [servers.a, servers.b, servers.c].map((s) => s.url) : [gateway.url];
    let last = 'no attempt';
    for (let attempt = 0; attempt < 8; attempt++) {
      const base = targets[attempt % targets.length];
      try {
        const o = await kind.send(base, base === gateway.url ? viaGateway : direct);
        byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
        if (o.status === kind.expect) {
          counts.answered++;
          if (kind.answer !== undefined && !sameEmbedding(embeddingOf(o), kind.answer)) {
            counts.wrong++;
            lostExamples.push(`${kind.name}: a 200 with the wrong embedding`);
          }
          return;
        }
        last = `${o.status} ${Buffer.from(o.body).toString('utf8').slice(0, 120)}`;
        // Retryable: load, a backend restarting or unreachable. Anything else is a wrong answer.
        if (o.status !== 503 && o.status !== 429 && o.status !== 504) break;
        const after = Number(o.headers['retry-after'] ?? 0);
        await sleep(Math.min(2000, Math.max(after * 1000, 100 * 2 ** attempt)));
      } catch (err) {
        last = (err as Error).message;
        await sleep(100 * 2 ** attempt);
      }
      counts.retried++;
    }
    counts.lost++;
    if (lostExamples.length < 10) lostExamples.push(`${kind.name}: ${last}`);
  }

  const workers = Array.from({ length: CONCURRENCY }, async (_, w) => {
    for (let i = w; Date.now() < until; i += CONCURRENCY) await one(weights[i % weights.length], i);
  });

  const sampler = (async () => {
    while (Date.now() < until) {
      rss.push({ t: (Date.now() - started) / 1000, gateway: rssMiB(gateway.child.pid), backend: rssMiB(servers.b.child.pid) });
      await sleep(5000);
    }
  })();

  // One fault cycle every 40 s: kill -9 a and restart it; stop b for 3 s; drain c with SIGTERM and restart it.
  const chaos = (async () => {
    for (let cycle = 0; Date.now() + 40_000 < until; cycle++) {
      await sleep(8_000);
      servers.a.child.kill('SIGKILL');
      faults.kill9++;
      await new Promise((r) => servers.a.child.once('exit', r));
      await sleep(4_000);
      servers.a = await startBackendAt(PORTS.a);
      await sleep(6_000);
      servers.b.child.kill('SIGSTOP');
      faults.stop++;
      await sleep(3_000);
      servers.b.child.kill('SIGCONT');
      await sleep(6_000);
      faults.drain++;
      await servers.c.stop();
      servers.c = await startBackendAt(PORTS.c);
      await sleep(Math.max(0, 40_000 - 27_000));
    }
  })();

  await Promise.all([...workers, sampler, chaos]);
  await Promise.all([gateway.stop(), servers.a.stop(), servers.b.stop(), servers.c.stop()]);
  await agent.close();

  const settled = rss.filter((s) => s.t >= SECONDS * 0.2);
  const span = (key: 'gateway' | 'backend') => {
    const xs = settled.map((s) => s[key]).filter(Number.isFinite);
    return { first: xs[0], last: xs[xs.length - 1], max: Math.max(...xs) };
  };
  const g = span('gateway');
  const b = span('backend');
  const rate = counts.answered / SECONDS;
  const statuses = [...byStatus.entries()].sort((x, y) => x[0] - y[0]).map(([s, n]) => `${s}: ${n}`).join(', ');
  if (lostExamples.length) process.stderr.write(`soak: lost or wrong:\n  ${lostExamples.join('\n  ')}\n`);
  const section = 'reliability soak';
  return [
    { section, measure: `mixed load, ${CONCURRENCY} clients, ${SECONDS} s, 3 backends + gateway (children)`, result: `${counts.sent} requests (${rate.toFixed(1)}/s answered), ${counts.bad} of them bad inputs; statuses seen ${statuses}` },
    { section, measure: 'faults', result: `${faults.kill9} kill -9 + restart, ${faults.stop} SIGSTOP 3 s, ${faults.drain} SIGTERM drain + restart` },
    { section, measure: 'requests lost (no right answer after retries) / wrong 200s', result: `${counts.lost} lost, ${counts.wrong} wrong (retries taken: ${counts.retried})`, target: counts.lost + counts.wrong === 0 ? '0 ✔' : '0 ✘' },
    {
      section,
      measure: 'RSS after warm-up: first → last (max), MiB',
      result: `gateway ${g.first.toFixed(0)} → ${g.last.toFixed(0)} (${g.max.toFixed(0)}); long-lived backend ${b.first.toFixed(0)} → ${b.last.toFixed(0)} (${b.max.toFixed(0)})`,
      target: g.last <= g.first * 1.25 && b.last <= b.first * 1.25 ? 'flat (≤ +25%) ✔' : 'flat ✘',
    },
  ];
}
