import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPixelRequest } from './jsonDecode';
import { describeLoad, runLoad, type LoadResult } from './loadgen';
import { startCli } from './processes';
import { measureIdle } from './busyFraction';
import { writeNullModelRepository } from './nullModel';
import type { BenchRow } from './table';

const IMAGE = 3 * 384 * 384;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

/** A binary-extension request for one image, with a binary output. */
export function binaryPixelRequest(pixels: Float32Array): { body: Uint8Array; headers: Record<string, string> } {
  const header = new TextEncoder().encode(
    JSON.stringify({
      inputs: [{ name: 'PIXEL_VALUES', shape: [1, 3, 384, 384], datatype: 'FP32', parameters: { binary_data_size: pixels.byteLength } }],
      outputs: [{ name: 'EMBEDDING', parameters: { binary_data: true } }],
    }),
  );
  const body = new Uint8Array(header.length + pixels.byteLength);
  body.set(header);
  body.set(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength), header.length);
  return { body, headers: { 'inference-header-content-length': String(header.length), 'content-type': 'application/octet-stream' } };
}

/** The first fixture image's pixel values. */
export function fixturePixels(): Float32Array {
  const buf = readFileSync(fileURLToPath(new URL('../test/fixtures/siglip/random_pixels_2x3x384x384.f32', import.meta.url)));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + IMAGE * 4));
}

const backendArgs = (extra: string[] = []) => ['backend', '--port', '0', '--providers', 'cpu', '--log-level', 'info', ...extra];

/**
 * End-to-end requests/s at concurrency 60 with the demo model on CPU: naive JSON, fast JSON, binary; then JSON and
 * binary again with a compute-free model, where the demo model's CPU arithmetic no longer caps binary.
 */
export async function benchEndToEnd(): Promise<BenchRow[]> {
  const jsonBody = buildPixelRequest(7);
  const bin = binaryPixelRequest(fixturePixels());
  const load = (url: string, body: Uint8Array, headers: Record<string, string>, concurrency: number) =>
    runLoad({ url: `${url}/v2/models/siglip_vision/infer`, body, headers }, { concurrency, seconds: SECONDS, maxRequests: 20_000 });
  const json = { 'content-type': 'application/json' };

  const naive = await startCli(backendArgs(['--json-decoder', 'naive', '--workers', '0', '--http-threads', '0']), 'backend ready');
  let naiveRes: LoadResult;
  try {
    naiveRes = await load(naive.url, jsonBody, json, 60);
  } finally {
    await naive.stop();
  }
  const fast = await startCli(backendArgs(), 'backend ready');
  let fastRes: LoadResult, binRes: LoadResult, bin1: LoadResult, idle: number;
  try {
    fastRes = await load(fast.url, jsonBody, json, 60);
    ({ result: binRes, idle } = await measureIdle(fast.url, () => load(fast.url, bin.body, bin.headers, 60)));
    bin1 = await load(fast.url, bin.body, bin.headers, 1);
  } finally {
    await fast.stop();
  }
  // The same server with a compute-free siglip_vision: what decoding, HTTP and batching sustain by themselves,
  // which is what a GPU (whose arithmetic does not share these cores) sees.
  const nullRepo = await writeNullModelRepository(await mkdtemp(join(tmpdir(), 'siglip-null-model-')));
  const ceiling = await startCli(backendArgs(['--model-repository', nullRepo]), 'backend ready');
  let ceilJson: LoadResult, ceilBin: LoadResult;
  try {
    ceilJson = await load(ceiling.url, jsonBody, json, 60);
    ceilBin = await load(ceiling.url, bin.body, bin.headers, 60);
  } finally {
    await ceiling.stop();
    await rm(nullRepo, { recursive: true, force: true });
  }
  const jsonRatio = fastRes.rps / naiveRes.rps;
  const binRatio = binRes.rps / fastRes.rps;
  const ceilRatio = ceilBin.rps / ceilJson.rps;
  const ceilSection = 'server path (CPU, compute-free model: bench/nullModel.ts)';
  return [
    { section: 'backend e2e (CPU, demo model)', measure: 'naive baseline: JSON.parse on the event loop, c=60', result: describeLoad(naiveRes) },
    { section: 'backend e2e (CPU, demo model)', measure: 'JSON, fast decoder in worker threads, c=60', result: describeLoad(fastRes), ratio: `${jsonRatio.toFixed(2)}× naive`, target: `≥ 2× ${jsonRatio >= 2 ? '✔' : '✘'}` },
    { section: 'backend e2e (CPU, demo model)', measure: 'binary tensor extension, c=60', result: describeLoad(binRes), ratio: `${binRatio.toFixed(2)}× JSON`, target: `≥ 10× ${binRatio >= 10 ? '✔' : '✘'}` },
    { section: 'backend e2e (CPU, demo model)', measure: 'model idle share during the saturated binary run', result: `${(idle * 100).toFixed(1)}% of wall time with no batch computing`, target: `< 5% ${idle < 0.05 ? '✔' : '✘'}` },
    { section: 'backend e2e (CPU, demo model)', measure: 'binary, c=1 (latency)', result: describeLoad(bin1) },
    { section: ceilSection, measure: 'JSON, fast decoder in worker threads, c=60', result: describeLoad(ceilJson) },
    { section: ceilSection, measure: 'binary tensor extension, c=60', result: describeLoad(ceilBin), ratio: `${ceilRatio.toFixed(1)}× JSON`, target: `≥ 10× ${ceilRatio >= 10 ? '✔' : '✘'}` },
  ];
}
