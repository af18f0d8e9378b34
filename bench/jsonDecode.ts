/** Bench: decoding an 8 MB KServe v2 JSON request, the hand-written byte decoder against JSON.parse. */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { WorkerPool } from '../gpu-backend/workers/workerPool';
import { decodeJsonInferRequest, decodeJsonInferRequestNaive } from '../shared/codec/jsonInferRequest';
import { median, renderTable, type BenchRow } from './table';
import { mulberry32 } from '../shared/random';

const SHAPE = [1, 3, 384, 384];
const ITERATIONS = 15;


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

/** What a server written the obvious way does: parse the text, then copy the numbers into a Float32Array (no checks). */
function bareJsonParse(body: Uint8Array): Float32Array {
  const root = JSON.parse(new TextDecoder().decode(body)) as { inputs: { data: number[] }[] };
  return Float32Array.from(root.inputs[0].data);
}

// Worker-thread rows: this many requests spread over a pool with one thread per core.
const POOLED_REQUESTS = 16;

/**
 * The JSON decode, labelled for what each row does, all on the same 9 MB seed-style body in one run:
 * - today's baseline (`--json-decoder naive`): JSON.parse, then each element checked and converted;
 * - bare JSON.parse + Float32Array: no checks at all, the floor of the JSON.parse route;
 * - ours (decodeJsonInferRequest): bytes to float32 directly, every check included, one thread;
 * - ours in a worker thread reading the body in shared memory (how the backend runs it), round trip;
 * - throughput with one worker per core, ours against JSON.parse + Float32Array in the same pool size.
 */
export async function benchJsonDecode(): Promise<BenchRow[]> {
  const body = buildPixelRequest();
  const naive: number[] = [];
  const bare: number[] = [];
  const fast: number[] = [];
  // Warm-up lets each reach optimized code before timing; the three are interleaved so drift hits them alike.
  for (let i = 0; i < 3; i++) { decodeJsonInferRequestNaive(body); bareJsonParse(body); decodeJsonInferRequest(body); }
  for (let i = 0; i < ITERATIONS; i++) {
    naive.push(timeOnce(() => decodeJsonInferRequestNaive(body)));
    bare.push(timeOnce(() => bareJsonParse(body)));
    fast.push(timeOnce(() => decodeJsonInferRequest(body)));
  }
  const shared = new Uint8Array(new SharedArrayBuffer(body.byteLength));
  shared.set(body);
  const cores = Math.max(1, Math.min(availableParallelism(), 4));
  const pool = new WorkerPool({ size: cores });
  const roundTrip: number[] = [];
  let oursPooled = 0;
  let bareInPool = 0;
  try {
    await pool.ready;
    for (let i = 0; i < ITERATIONS + 3; i++) {
      const t0 = performance.now();
      await pool.run('decodeJsonInferRequest', shared);
      if (i >= 3) roundTrip.push(performance.now() - t0);
    }
    const throughput = async (kind: 'decodeJsonInferRequest' | 'bareJsonParse') => {
      const t0 = performance.now();
      await Promise.all(Array.from({ length: POOLED_REQUESTS }, () => pool.run(kind, shared)));
      return (performance.now() - t0) / POOLED_REQUESTS;
    };
    await throughput('bareJsonParse');
    bareInPool = await throughput('bareJsonParse');
    oursPooled = await throughput('decodeJsonInferRequest');
  } finally {
    await pool.close();
  }
  const [n, b, f] = [median(naive), median(bare), median(fast)];
  const mb = (body.length / 1e6).toFixed(1);
  const section = `JSON tensor decode (${mb} MB seed-style body, 1×3×384×384 FP32)`;
  const ms = (x: number, runs = ITERATIONS) => `${x.toFixed(1)} ms (median of ${runs})`;
  return [
    { section, measure: "today's baseline (--json-decoder naive): TextDecoder + JSON.parse, each element checked into a Float32Array", result: ms(n) },
    { section, measure: 'bare JSON.parse + Float32Array.from (TextDecoder included, no checks)', result: ms(b) },
    {
      section,
      measure: 'ours: decodeJsonInferRequest, bytes → float32 with every check, one thread',
      result: ms(f),
      ratio: `${(b / f).toFixed(1)}× faster than bare JSON.parse + Float32Array; ${(n / f).toFixed(1)}× the baseline`,
      target: `≥ 6× bare ${b / f >= 6 ? '✔' : '✘'}`,
    },
    { section, measure: 'ours in a worker thread, body read in place from shared memory (as the backend runs it), round trip', result: ms(median(roundTrip)) },
    {
      section,
      measure: `throughput, ${cores} worker threads: bare JSON.parse + Float32Array, wall ms per request`,
      result: `${bareInPool.toFixed(1)} ms (${POOLED_REQUESTS} requests)`,
    },
    {
      section,
      measure: `throughput, ${cores} worker threads: ours, wall ms per request`,
      result: `${oursPooled.toFixed(1)} ms (${POOLED_REQUESTS} requests)`,
      ratio: `${(bareInPool / oursPooled).toFixed(1)}× JSON.parse in the same pool`,
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(renderTable(await benchJsonDecode()));
}
