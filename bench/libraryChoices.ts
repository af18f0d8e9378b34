// `npm run bench -- libraries`: five hand-written parts against the well-kept library that does the same job, measured
// side by side in one process (docs/library-choices.md holds the decisions). Each row: what, ours, the library, and
// how they compare; behaviour rows say what the library would need around it. The exhaustive float16 check
// (every float32 bit pattern) is scripts/check-float16.ts; the suite itself stays under a minute on 2 cores.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import v8 from 'node:v8';
import vm from 'node:vm';
import FindMyWay from 'find-my-way';
import { LRUCache } from 'lru-cache';
import { f16round, setFloat16 } from '@petamoriken/float16';
import onnxProtoPackage from 'onnx-proto';
import getRawBody from 'raw-body';
import { Router } from '../gpu-backend/http/router';
import { buildRoutes, type RouteDeps } from '../gpu-backend/http/routes/routeTable';
import { MemoryTtlCache } from '../gateway/cache/memoryTtlCache';
import { ModelCatalog, type Forwarder, type ModelInfo } from '../gateway/backends/modelCatalog';
import type { CachedBody, Clock, ResponseCache } from '../gateway/types';
import { float32ToFloat16 } from '../model-tools/convert/tensor/halfFloat';
import { float64ToHalfBits } from '../shared/codec/jsonHalfFloat';
import { decodeTensorData } from '../shared/codec/jsonTensorData';
import { JsonCursor } from '../shared/codec/jsonCursor';
import { synthModel } from '../model-tools/synth/synthModel';
import { SafetensorsFile } from '../model-tools/convert/safetensors/safetensorsFile';
import { parseSiglipConfig } from '../model-tools/convert/siglip/siglipConfig';
import { TowerWeights } from '../model-tools/convert/siglip/towerWeights';
import { TOWER_PREFIX } from '../model-tools/convert/siglip/towerTensors';
import { buildVisionGraph } from '../model-tools/convert/siglip/towerGraphs';
import { ONNX_ELEM_TYPE, type GraphBuilder } from '../model-tools/convert/onnx/graphBuilder';
import { writeOnnxModel } from '../model-tools/convert/onnx/writeOnnxModel';
import { onnxProto } from '../model-tools/convert/onnx/onnxSchema';
import { readIncoming } from '../shared/http/incomingBody';
import { BodyBufferPool } from '../shared/http/bodyBufferPool';
import { readBody } from '../gpu-backend/http/body/readBody';
import { ByteBudget } from '../gpu-backend/http/body/byteBudget';
import { doubleRoundingCases, libraryHalfBits, sameHalf } from '../scripts/check-float16';
import { median, type BenchRow } from './table';

const { onnx } = onnxProtoPackage;
// Where an installed package lives (lru-cache's exports map hides its package.json from require.resolve).
const pkgDir = (pkg: string) => fileURLToPath(new URL(`../node_modules/${pkg}/`, import.meta.url));
const version = (pkg: string) => (JSON.parse(readFileSync(join(pkgDir(pkg), 'package.json'), 'utf8')) as { version: string }).version;

// A sink the optimizer cannot see through, so measured loops are not dropped.
let sink = 0;

/** Nanoseconds per call of `fn` (median of `rounds` rounds of `n` calls, after one warm-up round). */
function nsPerCall(fn: (i: number) => unknown, n: number, rounds = 5): number {
  const times: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (fn(i) === sink) sink++;
    const ns = Number(process.hrtime.bigint() - t) / n;
    if (r > 0) times.push(ns);
  }
  return median(times);
}

/** Milliseconds of one run of `fn` (median of `rounds`, after one warm-up run). */
async function msPerRun(fn: () => unknown, rounds = 3): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const t = performance.now();
    await fn();
    if (r > 0) times.push(performance.now() - t);
  }
  return median(times);
}

const ratio = (lib: number, ours: number, what = 'takes') => `library ${what} ${(lib / ours).toFixed(2)}× ours`;
const ns = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0)) + ' ns';

let gcFn: (() => void) | undefined;
function gc(): void {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  gcFn();
}

/** Heap bytes retained by what `build` returns (measured after full GCs). */
function retainedBytes(build: () => unknown): number {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = build();
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (kept === sink) sink++;
  return after - before;
}

// ------------------------------------------------------------------------------------------------------------------
// 1. Router: the real route table in our regex-list Router and in find-my-way.

function routeTable(): { router: Router; routes: { method: string; path: string }[] } {
  const routes: { method: string; path: string }[] = [];
  const proto = Router.prototype;
  const add = Object.getOwnPropertyDescriptor(proto, 'add')!.value as Router['add'];
  proto.add = function (this: Router, method, path, handler) {
    routes.push({ method, path });
    return add.call(this, method, path, handler);
  };
  const deps = {
    server: { name: 'bench', version: '0' },
    models: { all: new Map(), ready: true, lookup: () => undefined },
    metrics: {},
    embeddings: { imageModel: 'embed_image', textModel: 'embed_text', servedName: 'siglip', allowlist: [], maxImageBytes: 1 },
    lifecycle: { shuttingDown: false },
    shm: { enabled: false },
    logSettings: {},
    admission: {},
    log: {},
  } as unknown as RouteDeps;
  try {
    return { router: buildRoutes(deps), routes };
  } finally {
    proto.add = add;
  }
}

function benchRouter(): BenchRow[] {
  const { router, routes } = routeTable();
  const fmw = FindMyWay();
  const handler = () => {};
  for (const r of routes) fmw.on(r.method as 'GET', r.path, handler);
  const methods = [...new Set(routes.map((r) => r.method))];
  // What find-my-way needs around it to answer as our router does: a second lookup for HEAD, and one per other
  // method for a 405's Allow list.
  const fmwMatch = (method: string, path: string) => {
    const hit = fmw.find(method as 'GET', path) ?? (method === 'HEAD' ? fmw.find('GET', path) : null);
    if (hit) return hit;
    return { allowed: methods.filter((m) => m !== method && fmw.find(m as 'GET', path) !== null) };
  };
  const cases: [string, string, string][] = [
    ['hit POST /v2/models/siglip_vision/infer', 'POST', '/v2/models/siglip_vision/infer'],
    ['hit GET /v2/health/ready', 'GET', '/v2/health/ready'],
    ['404 GET /v2/nothing/here', 'GET', '/v2/nothing/here'],
    ['405 GET …/siglip_vision/infer (Allow: POST)', 'GET', '/v2/models/siglip_vision/infer'],
  ];
  const section = `router (${routes.length} routes) vs find-my-way ${version('find-my-way')}`;
  const rows: BenchRow[] = [];
  for (const [what, method, path] of cases) {
    const ours = nsPerCall(() => router.match(method, path), 200_000);
    const lib = nsPerCall(() => fmwMatch(method, path), 200_000);
    rows.push({ section, measure: `ns per match: ${what}`, result: `ours ${ns(ours)}, find-my-way ${ns(lib)}`, ratio: ratio(lib, ours) });
  }

  // Behaviour that matters, checked rather than assumed.
  const said = (f: () => unknown) => {
    try {
      const m = f() as { params?: Record<string, string>; allowed?: string[] } | null;
      if (m === null) return 'no match (404)';
      if (m.params) return `match ${JSON.stringify(m.params)}`;
      return m.allowed?.length ? `405, Allow: ${m.allowed.join(', ')}` : 'no match (404)';
    } catch (err) {
      return `throws ${(err as { status?: string; code?: string }).code ?? (err as Error).name} (400)`;
    }
  };
  const behaviour: [string, string, string][] = [
    ['HEAD /v2/health/ready', 'HEAD', '/v2/health/ready'],
    ['GET …/infer (POST-only path)', 'GET', '/v2/models/siglip_vision/infer'],
    ['GET /v2/models/%E0%A4%A (malformed)', 'GET', '/v2/models/%E0%A4%A'],
    ['GET /v2/models/caf%C3%A9', 'GET', '/v2/models/caf%C3%A9'],
    ['GET /v2/models/<150-char name>', 'GET', `/v2/models/${'m'.repeat(150)}`],
  ];
  for (const [what, method, path] of behaviour) {
    rows.push({
      section,
      measure: `behaviour: ${what}`,
      result: `ours: ${said(() => router.match(method, path))}; find-my-way find(): ${said(() => fmw.find(method as 'GET', path))}`,
    });
  }
  return rows;
}

// ------------------------------------------------------------------------------------------------------------------
// 2. TTL caches: MemoryTtlCache and ModelCatalog's bounded entries against lru-cache.

class ManualClock implements Clock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
}

/** ResponseCache on lru-cache, as MemoryTtlCache would be replaced (same async interface, same clock). */
class LruResponseCache implements ResponseCache {
  private readonly lru: LRUCache<string, CachedBody>;
  constructor(clock: Clock) {
    this.lru = new LRUCache<string, CachedBody>({ max: 64, ttl: 1, perf: clock });
  }
  async get(key: string): Promise<CachedBody | undefined> {
    return this.lru.get(key);
  }
  async set(key: string, value: CachedBody, ttlSeconds: number): Promise<void> {
    this.lru.set(key, value, { ttl: ttlSeconds * 1000, start: value.storedAt });
  }
}

// lru-cache stores no `undefined`: "no such model" needs a sentinel.
const NOT_SERVED = Symbol('not served');
type CatalogValue = ModelInfo | typeof NOT_SERVED;

interface CatalogInternals {
  remember(name: string, model: ModelInfo | undefined, ttlMs: number): void;
  peek(name: string): ModelInfo | undefined;
}

async function benchCaches(): Promise<BenchRow[]> {
  const section = `TTL caches vs lru-cache ${version('lru-cache')}`;
  const rows: BenchRow[] = [];
  const clock = new ManualClock();
  const body: CachedBody = { status: 200, body: '{"ok":true}', storedAt: clock.now() };

  // MemoryTtlCache: a handful of keys (/health, /status), behind the async ResponseCache interface.
  const keys = ['health', 'status', 'health?deep=1', 'status?fmt=json'];
  const ours = new MemoryTtlCache(clock);
  const lib = new LruResponseCache(clock);
  for (const k of keys) {
    await ours.set(k, body, 2);
    await lib.set(k, body, 2);
  }
  const oursGet = nsPerCall((i) => ours.get(keys[i & 3]), 500_000);
  const libGet = nsPerCall((i) => lib.get(keys[i & 3]), 500_000);
  const oursSet = nsPerCall((i) => ours.set(keys[i & 3], body, 2), 500_000);
  const libSet = nsPerCall((i) => lib.set(keys[i & 3], body, 2), 500_000);
  rows.push({ section, measure: 'MemoryTtlCache, 4 keys: get (hit, async)', result: `ours ${ns(oursGet)}, lru-cache ${ns(libGet)}`, ratio: ratio(libGet, oursGet) });
  rows.push({ section, measure: 'MemoryTtlCache, 4 keys: set (async)', result: `ours ${ns(oursSet)}, lru-cache ${ns(libSet)}`, ratio: ratio(libSet, oursSet) });

  // ModelCatalog's entries: 10k distinct names through maxEntries 1000 (each store past 1000 evicts).
  const N = 10_000;
  const MAX = 1000;
  const names = Array.from({ length: N }, (_, i) => `model_${i}`);
  const info = { name: 'm' } as ModelInfo;
  const noBackend: Forwarder = { forward: () => Promise.reject(new Error('not used')) };
  const newCatalog = () => new ModelCatalog(noBackend, { clock, maxEntries: MAX }) as unknown as CatalogInternals;
  const newLru = () => new LRUCache<string, CatalogValue>({ max: MAX, ttl: 60_000, perf: clock });
  // Half the names are known (60 s), half unknown (negative, 5 s), as a scan of made-up names would leave them.
  const fillOurs = (c: CatalogInternals) => { for (let i = 0; i < N; i++) c.remember(names[i], i & 1 ? undefined : info, i & 1 ? 5_000 : 60_000); };
  const fillLru = (c: LRUCache<string, CatalogValue>) => { for (let i = 0; i < N; i++) c.set(names[i], i & 1 ? NOT_SERVED : info, { ttl: i & 1 ? 5_000 : 60_000 }); };
  const oursFill = median(Array.from({ length: 5 }, () => { const c = newCatalog(); const t = process.hrtime.bigint(); fillOurs(c); return Number(process.hrtime.bigint() - t) / N; }));
  const libFill = median(Array.from({ length: 5 }, () => { const c = newLru(); const t = process.hrtime.bigint(); fillLru(c); return Number(process.hrtime.bigint() - t) / N; }));
  rows.push({ section, measure: `ModelCatalog entries: store, ${N} names into maxEntries ${MAX}`, result: `ours ${ns(oursFill)}, lru-cache ${ns(libFill)}`, ratio: ratio(libFill, oursFill) });
  const filledOurs = newCatalog();
  fillOurs(filledOurs);
  const filledLru = newLru();
  fillLru(filledLru);
  const present = names.slice(N - MAX).filter((_, i) => i % 2 === 0);
  const oursPeek = nsPerCall((i) => filledOurs.peek(present[i % present.length]), 500_000);
  const libPeek = nsPerCall((i) => filledLru.get(present[i % present.length]), 500_000);
  rows.push({ section, measure: 'ModelCatalog entries: fresh hit (peek / get)', result: `ours ${ns(oursPeek)}, lru-cache ${ns(libPeek)}`, ratio: ratio(libPeek, oursPeek) });
  const oursMem = retainedBytes(() => { const c = newCatalog(); fillOurs(c); return c; });
  const libMem = retainedBytes(() => { const c = newLru(); fillLru(c); return c; });
  rows.push({ section, measure: `ModelCatalog entries: heap retained after ${N} stores (${MAX} kept)`, result: `ours ${(oursMem / 1024).toFixed(0)} KiB, lru-cache ${(libMem / 1024).toFixed(0)} KiB`, ratio: ratio(libMem, oursMem, 'holds') });

  // Behaviour: eviction order when one entry is expired; negative caching and in-flight dedupe with fetchMethod.
  {
    const c = new ModelCatalog(noBackend, { clock, maxEntries: 2 }) as unknown as CatalogInternals;
    const l = new LRUCache<string, CatalogValue>({ max: 2, ttl: 60_000, perf: clock });
    c.remember('a', info, 60_000); l.set('a', info);
    c.remember('b', undefined, 5_000); l.set('b', NOT_SERVED, { ttl: 5_000 });
    clock.t += 6_000;
    c.remember('c', info, 60_000); l.set('c', info);
    const left = (has: (k: string) => boolean) => ['a', 'b', 'c'].filter(has).join(', ');
    const entries = (c as unknown as { entries: Map<string, unknown> }).entries;
    rows.push({ section, measure: 'behaviour: max 2, store a (60 s), b (5 s), wait 6 s, store c', result: `ours keeps ${left((k) => entries.has(k))} (expired first); lru-cache keeps ${left((k) => l.has(k) || l.peek(k, { allowStale: true }) !== undefined)} (least recently used first)` });
  }
  {
    let calls = 0;
    const l = new LRUCache<string, CatalogValue>({
      max: MAX,
      ttl: 60_000,
      perf: clock,
      fetchMethod: async (name, _stale, { options }) => {
        calls++;
        await new Promise((r) => setTimeout(r, 1));
        if (name.startsWith('unknown')) {
          options.ttl = 5_000;
          return NOT_SERVED;
        }
        if (name === 'failing') throw new Error('503');
        return info;
      },
    });
    await Promise.all([l.fetch('known'), l.fetch('known'), l.fetch('known')]);
    const dedupe = calls;
    await l.fetch('unknown_1');
    await l.fetch('unknown_1');
    const negative = calls - dedupe;
    const negTtl = l.getRemainingTTL('unknown_1');
    await l.fetch('failing').catch(() => {});
    await l.fetch('failing').catch(() => {});
    const failing = calls - dedupe - negative;
    rows.push({
      section,
      measure: 'behaviour: lru-cache fetchMethod as the catalog',
      result: `3 concurrent fetches → ${dedupe} fetch (dedupe); unknown name twice → ${negative} fetch, ttl ${negTtl} ms (negative caching via sentinel + options.ttl); a throw twice → ${failing} fetches (not cached)`,
    });
  }
  // The gateway also runs in workerd: what does the build it would resolve import?
  const nodeImports = (file: string) => (readFileSync(join(pkgDir('lru-cache'), file), 'utf8').match(/["'`]node:[a-z_]+["'`]/g) ?? []).length;
  rows.push({
    section,
    measure: 'behaviour: Node-only imports (workerd resolves the "browser"/"workerd" conditions)',
    result: `browser build ${nodeImports('dist/esm/browser/index.min.js')}; default build ${nodeImports('dist/esm/index.min.js')} (a caught dynamic import of node:diagnostics_channel); node build ${nodeImports('dist/esm/node/index.min.js')}`,
  });
  return rows;
}

// ------------------------------------------------------------------------------------------------------------------
// 3. Float16: float32 → half (converter) and double → half (JSON decoder) against @petamoriken/float16.

const libHalfBits = libraryHalfBits;

/** Weights-like float32 values: mostly N(0, 0.02), with some large, tiny and special values mixed in. */
function weightLike(n: number): Float32Array {
  const out = new Float32Array(n);
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    out[i] = i % 97 === 0 ? g * 3e4 : i % 89 === 0 ? g * 1e-6 : g * 0.02;
  }
  return out;
}

function benchFloat16(): BenchRow[] {
  const section = `float16 vs @petamoriken/float16 ${version('@petamoriken/float16')}`;
  const rows: BenchRow[] = [];
  const N = 10_000_000;
  const f32 = weightLike(N);
  const f64 = Float64Array.from(f32, (x, i) => x * (1 + (i % 7) * 2 ** -40));
  const dst = new Uint16Array(N);
  const ours32 = Math.min(...Array.from({ length: 3 }, () => { const t = performance.now(); float32ToFloat16(f32, dst); return performance.now() - t; }));
  const lib32 = Math.min(...Array.from({ length: 3 }, () => { const t = performance.now(); libHalfBits(f32); return performance.now() - t; }));
  rows.push({ section, measure: `float32 → half, ${N / 1e6}M weight-like values (array)`, result: `ours ${ours32.toFixed(0)} ms (${(N / ours32 / 1e3).toFixed(0)} M/s), Float16Array ${lib32.toFixed(0)} ms (${(N / lib32 / 1e3).toFixed(0)} M/s)`, ratio: ratio(lib32, ours32) });
  const ours64 = Math.min(...Array.from({ length: 3 }, () => { const t = performance.now(); for (let i = 0; i < N; i++) dst[i] = float64ToHalfBits(f64[i]); return performance.now() - t; }));
  const lib64 = Math.min(...Array.from({ length: 3 }, () => { const t = performance.now(); libHalfBits(f64); return performance.now() - t; }));
  rows.push({ section, measure: `double → half, ${N / 1e6}M values (array)`, result: `ours float64ToHalfBits ${ours64.toFixed(0)} ms, Float16Array ${lib64.toFixed(0)} ms`, ratio: ratio(lib64, ours64) });
  // The JSON decoder takes one element at a time: the library's per-value entry points.
  const M = 1_000_000;
  const dv = new DataView(new ArrayBuffer(2));
  const oursOne = nsPerCall((i) => float64ToHalfBits(f64[i]), M, 3);
  const libSet = nsPerCall((i) => setFloat16(dv, 0, f64[i], true), M / 10, 3);
  const libRound = nsPerCall((i) => f16round(f64[i]), M, 3);
  rows.push({ section, measure: 'double → half, one value at a time (the JSON sink)', result: `ours ${ns(oursOne)}, setFloat16 ${ns(libSet)}, f16round (a number, not bits) ${ns(libRound)}`, ratio: `setFloat16 takes ${(libSet / oursOne).toFixed(2)}× ours` });
  // What the conversion costs inside the JSON decoder: FP16 against FP32 on the same 442,368-value text.
  const values = Array.from(f32.subarray(0, 442_368));
  const text = new TextEncoder().encode(JSON.stringify(values));
  const decodeMs = (dt: 'FP16' | 'FP32') => median(Array.from({ length: 7 }, () => { const t = performance.now(); decodeTensorData(new JsonCursor(text), dt, values.length); return performance.now() - t; }));
  decodeMs('FP16');
  const fp16 = decodeMs('FP16');
  const fp32 = decodeMs('FP32');
  rows.push({ section, measure: 'decodeTensorData, 442,368 values (one pixel tensor) of JSON', result: `FP16 ${fp16.toFixed(1)} ms, FP32 ${fp32.toFixed(1)} ms`, ratio: `the half conversion is ≈${Math.max(0, ((fp16 - fp32) / fp16) * 100).toFixed(0)}% of FP16 decode` });

  // Correctness (the exhaustive 2^32 sweep: `npx tsx scripts/check-float16.ts`): a dense stride over every exponent.
  const sample = new Uint32Array(1 << 22);
  for (let i = 0; i < sample.length; i++) sample[i] = (i * 1031 + ((i * 2654435761) >>> 22)) >>> 0;
  const sampleF = new Float32Array(sample.buffer);
  const a = float32ToFloat16(sampleF);
  const b = libHalfBits(sampleF);
  let bad32 = 0;
  let bad64 = 0;
  for (let i = 0; i < sample.length; i++) {
    if (!sameHalf(a[i], b[i])) bad32++;
    if (!sameHalf(float64ToHalfBits(sampleF[i]), b[i])) bad64++;
  }
  rows.push({ section, measure: `identical half bits, ${sample.length.toLocaleString('en')} float32 patterns (NaNs as NaN)`, result: `float32ToFloat16 ${bad32} mismatches, float64ToHalfBits ${bad64} mismatches`, target: '0' });
  const traps = doubleRoundingCases(3);
  const lib = libHalfBits(traps);
  const json = decodeTensorData(new JsonCursor(new TextEncoder().encode(JSON.stringify(traps))), 'FP16', traps.length);
  const decoded = json.ok ? (json.data as Uint16Array) : new Uint16Array(traps.length);
  const viaF32 = float32ToFloat16(Float32Array.from(traps));
  let oursBad = 0;
  let jsonBad = 0;
  let viaBad = 0;
  for (let i = 0; i < traps.length; i++) {
    if (float64ToHalfBits(traps[i]) !== lib[i]) oursBad++;
    if (decoded[i] !== lib[i]) jsonBad++;
    if (viaF32[i] !== lib[i]) viaBad++;
  }
  const x = 1 + 2 ** -11 + 2 ** -40;
  rows.push({
    section,
    measure: `double rounding: ${traps.length} doubles a hair off a half tie (e.g. 1 + 2^-11 + 2^-40)`,
    result: `float64ToHalfBits ${oursBad} and the JSON FP16 decoder ${jsonBad} differ from the library; rounding via float32 would get ${viaBad} wrong. 1 + 2^-11 + 2^-40: ours 0x${float64ToHalfBits(x).toString(16)}, library 0x${libHalfBits([x])[0].toString(16)}, via float32 0x${float32ToFloat16(Float32Array.of(x))[0].toString(16)}`,
    target: '0',
  });
  return rows;
}

// ------------------------------------------------------------------------------------------------------------------
// 4. ONNX schema: our protobufjs descriptor subset against onnx-proto's generated onnx.proto, on a ~50 MB model.

// A SigLIP-architecture vision tower of ~50 MB of float32 weights (synthetic, seeded).
const VISION_50MB = {
  architectures: ['SiglipVisionModel'],
  model_type: 'siglip_vision_model',
  hidden_size: 384,
  intermediate_size: 1536,
  num_hidden_layers: 6,
  num_attention_heads: 6,
  num_channels: 3,
  image_size: 224,
  patch_size: 16,
  layer_norm_eps: 1e-6,
};

/** The graph as onnx-proto's ModelProto (camelCase fields), weights inline. */
function libraryModel(graph: GraphBuilder, opsets: { domain: string; version: number }[], weights: Uint8Array[]): Record<string, unknown> {
  const valueInfo = (v: GraphBuilder['inputs'][number]) => ({
    name: v.name,
    type: { tensorType: { elemType: ONNX_ELEM_TYPE[v.elemType], shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  return {
    irVersion: 8,
    producerName: 'siglip-serve',
    producerVersion: '0.1.0',
    opsetImport: opsets,
    graph: {
      name: graph.name,
      node: graph.nodes.map((n) => ({
        name: n.name,
        opType: n.op_type,
        ...(n.domain ? { domain: n.domain } : {}),
        input: n.input,
        output: n.output,
        attribute: n.attribute,
      })),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      initializer: graph.initializers.map((init, i) => ({ name: init.name, dims: init.dims, dataType: ONNX_ELEM_TYPE[init.elemType], rawData: weights[i] })),
    },
  };
}

type GraphNodes = NonNullable<NonNullable<Parameters<typeof onnx.GraphProto.create>[0]>['node']>;

async function benchOnnx(): Promise<BenchRow[]> {
  const section = `ONNX schema vs onnx-proto ${version('onnx-proto')} (onnx.proto of ONNX v1.10.2)`;
  const dir = await mkdtemp(join(tmpdir(), 'library-choices-onnx-'));
  try {
    await writeFile(join(dir, 'config.json'), JSON.stringify(VISION_50MB));
    await synthModel({ like: join(dir, 'config.json'), into: join(dir, 'ckpt'), seed: 3 });
    const file = await SafetensorsFile.open(join(dir, 'ckpt', 'model.safetensors'));
    const arch = parseSiglipConfig(VISION_50MB);
    const weights = TowerWeights.locate(file, TOWER_PREFIX.vision, 'embeddings.patch_embedding.weight')!;
    const { graph, opsets } = buildVisionGraph(arch.vision!, weights, 'fp32', 'portable');
    // Weights produced once, so both sides time encoding and writing only.
    const bytes: Uint8Array[] = [];
    for (const init of graph.initializers) {
      const b = await init.data();
      bytes.push(b);
      init.data = () => b;
    }
    await file.close();
    const oursPath = join(dir, 'ours.onnx');
    const libPath = join(dir, 'library.onnx');
    let libPeak = 0;
    let oursPeak = 0;
    const base = () => process.memoryUsage().arrayBuffers;
    const oursMs = await msPerRun(async () => {
      const before = base();
      await writeOnnxModel(graph, oursPath, { opsets, externalData: 'never', onProgress: () => { oursPeak = Math.max(oursPeak, base() - before); } });
    });
    const libMs = await msPerRun(async () => {
      const before = base();
      const encoded = onnx.ModelProto.encode(onnx.ModelProto.create(libraryModel(graph, opsets, bytes))).finish();
      libPeak = Math.max(libPeak, base() - before);
      await writeFile(libPath, encoded);
    });
    const oursFile = readFileSync(oursPath);
    const libFile = readFileSync(libPath);
    const identical = Buffer.compare(oursFile, libFile) === 0;
    // Parse-equivalence: both files decoded by the library (the full schema) to the same message.
    // Parse-equivalence: both files decoded by the library (the full schema) to the same message, defaults filled in
    // (proto2: an absent string reads as ""), bytes fields compared by hash.
    const hashed = (v: unknown): unknown =>
      ArrayBuffer.isView(v)
        ? `${v.byteLength}:${createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex')}`
        : Array.isArray(v)
          ? v.map(hashed)
          : v && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hashed(x)]))
            : v;
    const digest = (b: Uint8Array) => JSON.stringify(hashed(onnx.ModelProto.toObject(onnx.ModelProto.decode(b), { longs: String, defaults: true })));
    // Fields present in one file only (a default value written out, e.g. opset_import.domain = "").
    const presence = (b: Uint8Array) => JSON.stringify(hashed(onnx.ModelProto.toObject(onnx.ModelProto.decode(b), { longs: String, defaults: false })));
    const samePresence = presence(oursFile) === presence(libFile);
    const equivalent = digest(oursFile) === digest(libFile);
    // Our own schema reading the library's bytes back (the subset must round-trip what the converter writes).
    const oursDecoded = onnxProto.ModelProto.decode(libFile) as unknown as { graph: { initializer: unknown[]; node: unknown[] } };

    // The small parts (graph head and every TensorProto header): what the streaming writer encodes with a schema.
    const headerOurs = nsPerCall(() => {
      let n = onnxProto.GraphProto.encode(onnxProto.GraphProto.create({ name: graph.name, node: graph.nodes })).finish().length;
      for (const init of graph.initializers) n += onnxProto.TensorProto.encode(onnxProto.TensorProto.create({ name: init.name, dims: init.dims, data_type: ONNX_ELEM_TYPE[init.elemType] })).finish().length;
      return n;
    }, 20, 5);
    const libNodes = (libraryModel(graph, opsets, bytes).graph as { node: unknown[] }).node;
    const headerLib = nsPerCall(() => {
      let n = onnx.GraphProto.encode(onnx.GraphProto.create({ name: graph.name, node: libNodes as GraphNodes })).finish().length;
      for (const init of graph.initializers) n += onnx.TensorProto.encode(onnx.TensorProto.create({ name: init.name, dims: init.dims, dataType: ONNX_ELEM_TYPE[init.elemType] })).finish().length;
      return n;
    }, 20, 5);
    const size = (await stat(oursPath)).size;
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    const installed = execFileSync('du', ['-sk', pkgDir('onnx-proto')]).toString().split('\t')[0];
    return [
      { section, measure: `write a ${mb(size)} vision tower (${graph.nodes.length} nodes, ${graph.initializers.length} initializers)`, result: `ours (streaming) ${oursMs.toFixed(0)} ms, onnx-proto (whole message) ${libMs.toFixed(0)} ms`, ratio: ratio(libMs, oursMs) },
      { section, measure: 'extra buffer memory while writing', result: `ours ≤ ${mb(oursPeak)}, onnx-proto ${mb(libPeak)} (the whole file, which cannot pass 2 GiB)` },
      { section, measure: 'encode the graph head + all TensorProto headers', result: `ours ${(headerOurs / 1e3).toFixed(0)} µs, onnx-proto ${(headerLib / 1e3).toFixed(0)} µs`, ratio: ratio(headerLib, headerOurs) },
      { section, measure: 'same model from both', result: `${oursFile.length} vs ${libFile.length} bytes; byte-identical: ${identical ? 'yes' : 'no'}; parse-equivalent (decoded by onnx-proto, defaults filled in): ${equivalent ? 'yes' : 'no'}${samePresence ? '' : ' (onnx-proto writes the default opset_import.domain "" that ours omits)'}; our schema decodes the library file: ${oursDecoded.graph.node.length} nodes, ${oursDecoded.graph.initializer.length} initializers`, target: 'equivalent' },
      { section, measure: 'package', result: `onnx-proto ${version('onnx-proto')}: MIT, ${(Number(installed) / 1024).toFixed(0)} MB installed (a second protobufjs, 6.x, beside our 8.x), schema of ONNX v1.10.2; our subset: ${readFileSync(new URL('../model-tools/convert/onnx/onnxSchema.ts', import.meta.url)).length} bytes` },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------------------------
// 5. Body readers: readIncoming (under readBody: budget, pool, lead) against raw-body, on a 1.77 MB body.

const BODY = 3 * 384 * 384 * 4;
const CHUNK = 64 * 1024;

/** A request-like stream delivering BODY bytes in 64 KiB chunks (as Node's HTTP parser hands them over). */
function fakeRequest(chunks: Buffer[]): IncomingMessage {
  let i = 0;
  const r = new Readable({ read() { this.push(i < chunks.length ? chunks[i++] : null); } });
  return Object.assign(r, { headers: { 'content-length': String(BODY) } }) as unknown as IncomingMessage;
}

async function benchBodies(): Promise<BenchRow[]> {
  const section = `body reader vs raw-body ${version('raw-body')}`;
  const payload = Buffer.alloc(BODY, 7);
  const chunks = Array.from({ length: Math.ceil(BODY / CHUNK) }, (_, i) => payload.subarray(i * CHUNK, Math.min(BODY, (i + 1) * CHUNK)));
  const budget = new ByteBudget({ capacity: 256 * 1024 * 1024, maxWaiting: 64 });
  const pool = new BodyBufferPool();
  const R = 400;
  const ours = async () => {
    const body = await readBody(fakeRequest(chunks), { limit: 64 * 1024 * 1024, budget, idleTimeoutMs: 30_000, lead: 64, pool });
    pool.release(body.bytes);
    body.release();
  };
  const bare = () => readIncoming(fakeRequest(chunks), { length: BODY, limit: 64 * 1024 * 1024, idleTimeoutMs: 30_000, closed: () => new Error('closed') }, () => {});
  const lib = () => getRawBody(fakeRequest(chunks), { length: BODY, limit: 64 * 1024 * 1024 });
  const libPooled = async () => {
    const b = await getRawBody(fakeRequest(chunks), { length: BODY, limit: 64 * 1024 * 1024 });
    const into = pool.acquire(b.length, 64);
    into.set(b);
    pool.release(into);
  };
  const measure = async (run: () => Promise<unknown>) => {
    for (let i = 0; i < 50; i++) await run();
    const perRound: number[] = [];
    const cpu: number[] = [];
    for (let round = 0; round < 3; round++) {
      const c = process.cpuUsage();
      const t = performance.now();
      for (let i = 0; i < R; i++) await run();
      perRound.push(((performance.now() - t) * 1e3) / R);
      const u = process.cpuUsage(c);
      cpu.push((u.user + u.system) / R);
    }
    return { wall: median(perRound), cpu: median(cpu) };
  };
  const emptyStream = await measure(async () => { const r = fakeRequest(chunks); for await (const c of r) if (c === sink) sink++; });
  const o = await measure(ours);
  const ob = await measure(bare);
  const l = await measure(lib);
  const lp = await measure(libPooled);
  const us = (x: { wall: number; cpu: number }) => `${x.wall.toFixed(0)} µs (CPU ${x.cpu.toFixed(0)} µs)`;
  return [
    { section, measure: `read a ${BODY.toLocaleString('en')}-byte body with Content-Length into one buffer, per request`, result: `ours readBody (budget, pooled, lead 64) ${us(o)}, raw-body ${us(l)}`, ratio: ratio(l.cpu, o.cpu, 'CPU is') },
    { section, measure: 'same, like for like', result: `ours readIncoming alone (chunks dropped) ${us(ob)}; raw-body + copy into the pooled buffer at lead 64 ${us(lp)}; the stream by itself ${us(emptyStream)}`, ratio: ratio(lp.cpu, o.cpu, 'CPU is') },
    { section, measure: 'behaviour: what raw-body can express', result: 'options are length, limit, encoding only: no pause for an admission budget, no stall callback (shrink), no idle timeout (408), no destination buffer or lead offset (always a fresh Buffer.concat)' },
  ];
}

/** Runs the comparisons and returns their rows. */
export async function benchLibraryChoices(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const step = async (name: string, run: () => BenchRow[] | Promise<BenchRow[]>) => {
    const t = performance.now();
    rows.push(...(await run()));
    process.stderr.write(`bench: libraries: ${name} ${((performance.now() - t) / 1e3).toFixed(1)} s\n`);
  };
  await step('router', benchRouter);
  await step('caches', benchCaches);
  await step('float16', benchFloat16);
  await step('onnx', benchOnnx);
  await step('bodies', benchBodies);
  return rows;
}
