/** Bench: decoding an 8 MB KServe v2 JSON request, the hand-written byte decoder against JSON.parse. */
import { pathToFileURL } from 'node:url';
import { WorkerPool } from '../gpu-backend/workers/workerPool';
import { decodeJsonInferRequest, decodeJsonInferRequestNaive } from '../shared/codec/jsonInferRequest';
import { median, renderTable, type BenchRow } from './table';

const SHAPE = [1, 3, 384, 384];
const ITERATIONS = 15;

/** Deterministic PRNG (mulberry32), so every run decodes the same body. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `repr(float(x))` as Python prints it: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pythonRepr(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const s = String(x);
  return s.includes('.') ? s : `${s}.0`;
}

/** A 1×3×384×384 FP32 request as a Python client with numpy would print it: repr(float(np.float32(v))). */
export function buildPixelRequest(seed = 1): Uint8Array {
  const rand = mulberry32(seed);
  const n = SHAPE.reduce((a, b) => a * b, 1);
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    // Box–Muller: normal(0.5, 0.5), rounded to float32 as np.float32 would.
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    parts[i] = pythonRepr(Math.fround(0.5 + 0.5 * z));
  }
  const json =
    `{"id": "bench", "inputs": [{"name": "PIXEL_VALUES", "shape": [${SHAPE.join(', ')}], "datatype": "FP32", ` +
    `"data": [${parts.join(', ')}]}], "outputs": [{"name": "EMBEDDING", "parameters": {"binary_data": true}}]}`;
  return new TextEncoder().encode(json);
}

function timeOnce(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Medians of JSON.parse + Float32Array against decodeJsonInferRequest on the same body (interleaved), and in a worker. */
export async function benchJsonDecode(): Promise<BenchRow[]> {
  const body = buildPixelRequest();
  const naive: number[] = [];
  const fast: number[] = [];
  // Warm-up lets both reach optimized code before timing.
  for (let i = 0; i < 3; i++) { decodeJsonInferRequestNaive(body); decodeJsonInferRequest(body); }
  for (let i = 0; i < ITERATIONS; i++) {
    naive.push(timeOnce(() => decodeJsonInferRequestNaive(body)));
    fast.push(timeOnce(() => decodeJsonInferRequest(body)));
  }
  // The same decode in a worker thread, body transferred in and tensor transferred out: what the server pays.
  const pool = new WorkerPool({ size: 1 });
  const pooled: number[] = [];
  try {
    for (let i = 0; i < ITERATIONS + 3; i++) {
      const copy = body.slice();
      const t0 = performance.now();
      await pool.run('decodeJsonInferRequest', copy.buffer, [copy.buffer]);
      if (i >= 3) pooled.push(performance.now() - t0);
    }
  } finally {
    await pool.close();
  }
  const n = median(naive);
  const f = median(fast);
  const ratio = n / f;
  const mb = (body.length / 1e6).toFixed(1);
  const section = 'JSON tensor decode';
  return [
    { section, measure: `naive: TextDecoder + JSON.parse + Float32Array (${mb} MB, 1×3×384×384 FP32)`, result: `${n.toFixed(1)} ms (median of ${ITERATIONS})` },
    {
      section,
      measure: `decodeJsonInferRequest (${mb} MB, 1×3×384×384 FP32)`,
      result: `${f.toFixed(1)} ms (median of ${ITERATIONS})`,
      ratio: `${ratio.toFixed(1)}× faster than JSON.parse + Float32Array`,
      target: `≥ 3× ${ratio >= 3 ? '(met)' : '(not met)'}`,
    },
    {
      section,
      measure: `decodeJsonInferRequest in a worker thread, round trip with transfers (${mb} MB)`,
      result: `${median(pooled).toFixed(1)} ms (median of ${ITERATIONS})`,
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(renderTable(await benchJsonDecode()));
}
