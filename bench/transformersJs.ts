/**
 * Bench: embed_image on 200 distinct 1920×1080 JPEGs through the real backend (binary protocol, c = 16, 32, 60)
 * against transformers.js in the bench's own process (batch 32), with the same tiny model, in the same run and
 * alternating; then transformers.js's pixel values and embeddings against HF's on the fixture photos, beside ours.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as TransformersModule from '@huggingface/transformers';
import { Agent, request } from 'undici';
import { DEFAULT_IMAGE_LIMITS } from '../gpu-backend/models/preprocess/imageLimits';
import { loadImageProcessorConfig } from '../gpu-backend/models/preprocess/imageProcessorConfig';
import { pixelValuesLength, preprocessImage } from '../gpu-backend/models/preprocess/preprocessImage';
import { binaryImageRequest } from './embedImage';
import { describeLoad, loadResult, type LoadResult } from './loadgen';
import { makeFullHdJpegs } from './preprocess';
import { startCli } from './processes';
import { cpuPerRequest } from './threadCpu';
import { median, renderTable, type BenchRow } from './table';

const ROOT = new URL('../', import.meta.url);
const IMAGES = 200;
const CONCURRENCY = [16, 32, 60];
const BATCH = 32;
const ROUNDS = 2;
const TARGET = 1.3;
const PHOTOS = ['astronaut', 'chelsea', 'coffee'];
const PER_IMAGE = 3 * 384 * 384;

type Transformers = typeof TransformersModule;

// The files are never in shared memory; Blob's types only want to hear it.
const blobOf = (bytes: Uint8Array) => new Blob([bytes as Uint8Array<ArrayBuffer>]);

/**
 * The demo vision tower as a transformers.js model folder (HF layout): config.json, preprocessor_config.json
 * and onnx/vision_model.onnx, the file name transformers.js's SiglipVisionModel loads.
 */
async function hfLayoutModel(dir: string): Promise<string> {
  const model = join(dir, 'siglip-vision-tiny');
  await mkdir(join(model, 'onnx'), { recursive: true });
  const from = (p: string) => fileURLToPath(new URL(p, ROOT));
  await copyFile(from('test/fixtures/siglip/siglip_vision_tiny/config.json'), join(model, 'config.json'));
  await copyFile(from('model_repository/embed_image/preprocessor_config.json'), join(model, 'preprocessor_config.json'));
  await copyFile(from('model_repository/siglip_vision/1/model.onnx'), join(model, 'onnx', 'vision_model.onnx'));
  return model;
}

/** Closed-loop load over a set of requests: `concurrency` clients take the next image until each was sent once. */
async function embedEach(url: string, requests: { body: Uint8Array; headers: Record<string, string> }[], concurrency: number): Promise<LoadResult> {
  const agent = new Agent({ connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const send = async (i: number) => {
    const r = requests[i % requests.length];
    const res = await request(url, { method: 'POST', body: r.body, headers: r.headers, dispatcher: agent });
    await res.body.arrayBuffer();
    return res.statusCode === 200;
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, (_, i) => send(i))); // warm-up: connections, worker threads
    const latencies: number[] = [];
    let next = 0;
    let ok = 0;
    let failed = 0;
    const start = performance.now();
    const client = async () => {
      while (next < requests.length) {
        const i = next++;
        const t = performance.now();
        const good = await send(i).catch(() => false);
        latencies.push(performance.now() - t);
        if (good) ok++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
    return loadResult(latencies, ok, failed, (performance.now() - start) / 1000);
  } finally {
    await agent.close();
  }
}

/** transformers.js end to end, as its docs show it: RawImage from the file, the processor on a batch, the model. */
async function transformersJsRun(t: Transformers, modelId: string, jpegs: Uint8Array[]): Promise<{ rps: number; cpuMs: number }> {
  const processor = await t.AutoImageProcessor.from_pretrained(modelId);
  const model = await t.SiglipVisionModel.from_pretrained(modelId, { dtype: 'fp32', device: 'cpu' });
  const embedBatch = async (files: Uint8Array[]) => {
    const images = await Promise.all(files.map((f) => t.RawImage.fromBlob(blobOf(f))));
    const { pixel_values } = await processor(images);
    const { pooler_output } = await model({ pixel_values });
    if (pooler_output.dims[0] !== files.length) throw new Error(`transformers.js: ${pooler_output.dims[0]} embeddings for ${files.length} images`);
  };
  await embedBatch(jpegs.slice(0, BATCH)); // warm-up
  const cpu = process.cpuUsage(); // every thread of this process: ONNX Runtime's, libuv's (sharp)
  const start = performance.now();
  for (let i = 0; i < jpegs.length; i += BATCH) await embedBatch(jpegs.slice(i, i + BATCH));
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  await model.dispose();
  return { rps: jpegs.length / seconds, cpuMs: (used.user + used.system) / 1000 / jpegs.length };
}

/** How far pixel values are from HF's, in 8-bit levels (1 level = 2/255 after normalisation with mean = std = 0.5). */
function levelsOff(actual: Float32Array, expected: Float32Array): { max: number; overOne: number } {
  let max = 0;
  let over = 0;
  for (let i = 0; i < expected.length; i++) {
    const levels = Math.abs(actual[i] - expected[i]) * 127.5;
    max = Math.max(max, levels);
    if (levels > 1 + 1e-3) over++;
  }
  return { max, overOne: over / expected.length };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** The rows: images/s for both at each concurrency and their ratio, then preprocessing time and accuracy. */
export async function benchTransformersJs(): Promise<BenchRow[]> {
  // The backend runs dist/ (bin/siglip.js): rebuild it so that it is these sources that get measured.
  if (existsSync(new URL('scripts/build.mjs', ROOT))) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: fileURLToPath(ROOT), stdio: 'inherit' });
  const t: Transformers = await import('@huggingface/transformers');
  const dir = await mkdtemp(join(tmpdir(), 'siglip-transformersjs-'));
  t.env.allowRemoteModels = false;
  t.env.localModelPath = dir;
  const modelId = (await hfLayoutModel(dir)).slice(dir.length + 1);

  const jpegs = await makeFullHdJpegs(IMAGES);
  const requests = jpegs.map(binaryImageRequest);
  const megabytes = jpegs.reduce((s, j) => s + j.byteLength, 0) / IMAGES / 1024;

  const ours = new Map<number, LoadResult[]>(CONCURRENCY.map((c) => [c, []]));
  const theirs: number[] = [];
  // CPU ms per image, where it went: steadier than images/s on a shared machine.
  const oursCpu: Record<string, number>[] = [];
  const theirsCpu: number[] = [];
  const backend = await startCli(['backend', '--port', '0', '--providers', 'cpu', '--log-level', 'info'], 'backend ready');
  try {
    const url = `${backend.url}/v2/models/embed_image/infer`;
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CONCURRENCY) {
        const client = process.cpuUsage();
        const { result, perRequest } = await cpuPerRequest(backend.child.pid!, () => embedEach(url, requests, c));
        const used = process.cpuUsage(client);
        ours.get(c)!.push(result);
        oursCpu.push({ ...perRequest, 'load generator': (used.user + used.system) / 1000 / result.ok });
      }
      const run = await transformersJsRun(t, modelId, jpegs);
      theirs.push(run.rps);
      theirsCpu.push(run.cpuMs);
    }
  } finally {
    await backend.stop();
  }

  // Accuracy on the fixture photos against HF SiglipImageProcessor + SiglipVisionModel (transformers 5.17).
  const fixtures = new URL('test/fixtures/siglip/', ROOT);
  const raw = readFileSync(new URL('photos_pixel_values_3x3x384x384.f32', fixtures));
  const hfPixels = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const hfEmbeddings = (JSON.parse(readFileSync(new URL('reference.json', fixtures), 'utf8')) as { photos: { pooler_output: number[][] } }).photos.pooler_output;
  const cfg = await loadImageProcessorConfig(fileURLToPath(new URL('model_repository/embed_image/', ROOT)));
  const processor = await t.AutoImageProcessor.from_pretrained(modelId);
  const model = await t.SiglipVisionModel.from_pretrained(modelId, { dtype: 'fp32', device: 'cpu' });
  const accuracy = [];
  for (const [i, photo] of PHOTOS.entries()) {
    const file = readFileSync(new URL(`${photo}.png`, fixtures));
    const expected = hfPixels.subarray(i * PER_IMAGE, (i + 1) * PER_IMAGE);
    const { pixel_values } = await processor(await t.RawImage.fromBlob(blobOf(file)));
    const { pooler_output } = await model({ pixel_values });
    const mine = await preprocessImage(file, cfg, DEFAULT_IMAGE_LIMITS, new Float32Array(pixelValuesLength(cfg)));
    accuracy.push({
      photo,
      theirs: levelsOff(pixel_values.data as Float32Array, expected),
      ours: levelsOff(mine, expected),
      embedding: maxAbsDiff(pooler_output.data as Float32Array, hfEmbeddings[i]),
    });
  }

  // One image's preprocessing, file → pixel values, each side's own way, round-robin.
  const jpeg = jpegs[0];
  const times = { ours: [] as number[], theirs: [] as number[] };
  for (let r = 0; r < 23; r++) {
    let t0 = performance.now();
    await preprocessImage(jpeg, cfg, DEFAULT_IMAGE_LIMITS);
    if (r >= 3) times.ours.push(performance.now() - t0);
    t0 = performance.now();
    await processor(await t.RawImage.fromBlob(blobOf(jpeg)));
    if (r >= 3) times.theirs.push(performance.now() - t0);
  }
  await model.dispose();
  await rm(dir, { recursive: true, force: true });

  const section = `embed_image vs transformers.js ${t.env.version} (CPU, demo model)`;
  const tjs = median(theirs);
  const rows: BenchRow[] = [];
  for (const c of CONCURRENCY) {
    const runs = ours.get(c)!;
    const best = runs.reduce((a, b) => (a.rps >= b.rps ? a : b));
    const rps = median(runs.map((r) => r.rps));
    const ratio = rps / tjs;
    rows.push({
      section,
      measure: `ours: ${IMAGES} 1920×1080 JPEGs (${megabytes.toFixed(0)} KiB each) to embed_image as binary BYTES, c=${c}, through the backend`,
      result: `${rps.toFixed(1)} images/s (median of ${ROUNDS}; best: ${describeLoad(best, 'images/s')})`,
      ratio: `${ratio.toFixed(2)}× transformers.js`,
      target: `≥ ${TARGET}× ${ratio >= TARGET ? '✔' : '✘'}`,
    });
  }
  rows.push({
    section,
    measure: `transformers.js: the same ${IMAGES} JPEGs in-process, batch ${BATCH} (RawImage.fromBlob → processor → SiglipVisionModel)`,
    result: `${tjs.toFixed(1)} images/s (median of ${ROUNDS}: ${theirs.map((x) => x.toFixed(1)).join(', ')})`,
  });
  const groups = [...new Set(oursCpu.flatMap((g) => Object.keys(g)))];
  const cpuOf = (g: string) => median(oursCpu.map((r) => r[g] ?? 0));
  const oursTotal = median(oursCpu.map((r) => Object.values(r).reduce((a, b) => a + b, 0)));
  const theirsTotal = median(theirsCpu);
  rows.push({
    section,
    measure: `CPU per image, ours (backend threads by group, and this process's load generator; median over c and rounds)`,
    result: `${oursTotal.toFixed(1)} ms: ${groups.map((g) => `${g} ${cpuOf(g).toFixed(1)}`).join(', ')}`,
    ratio: `${(theirsTotal / oursTotal).toFixed(2)}× less than transformers.js`,
  });
  rows.push({ section, measure: 'CPU per image, transformers.js (the whole bench process while it runs)', result: `${theirsTotal.toFixed(1)} ms` });
  rows.push({
    section,
    measure: '1920×1080 JPEG → pixel values, one image: ours (exact)',
    result: `${median(times.ours).toFixed(1)} ms (median of 20)`,
    ratio: `${(median(times.theirs) / median(times.ours)).toFixed(2)}× transformers.js's speed`,
  });
  rows.push({ section, measure: "1920×1080 JPEG → pixel values, one image: transformers.js (sharp's affine bicubic, no antialias)", result: `${median(times.theirs).toFixed(1)} ms (median of 20)` });
  for (const a of accuracy) {
    rows.push({
      section,
      measure: `${a.photo}.png pixel values vs HF's processor: transformers.js`,
      result: `up to ${a.theirs.max.toFixed(0)} levels off, ${(100 * a.theirs.overOne).toFixed(1)}% of values off by > 1 level; embedding max |diff| ${a.embedding.toExponential(2)}`,
    });
    rows.push({
      section,
      measure: `${a.photo}.png pixel values vs HF's processor: ours`,
      result: a.ours.max === 0 ? 'identical (max diff 0)' : `up to ${a.ours.max.toFixed(2)} levels off`,
    });
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchTransformersJs();
  // `npm run bench` runs this suite in a process of its own (see bench/run.ts) and reads the rows as JSON.
  console.log(process.argv.includes('--rows-json') ? JSON.stringify(rows) : renderTable(rows));
}
