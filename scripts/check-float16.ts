// `npx tsx scripts/check-float16.ts`: every float32 bit pattern (2^32) through our float32 → half converter
// (model-tools/convert/tensor/halfFloat.ts) and our double → half rounding (shared/codec/jsonHalfFloat.ts), against
// @petamoriken/float16; then doubles near every half tie (the double-rounding trap) and random doubles against an
// exact BigInt reference, and the JSON decoder's FP16 path on them. Exits 1 on any mismatch. NaN counts as equal
// to NaN (payloads and signs differ by policy; they are counted). Two worker threads (THREADS=n).
// float32ToFloat16 sees all 2^32 patterns; float64ToHalfBits (100+ ns a value below 1) sees every pattern divisible
// by 31 (31 is odd, so every low-bit residue and tie shape occurs) unless FULL=1 sees all 2^32. Measured: about 4
// CPU-minutes (≈2 min wall on 2 idle cores; 13 min on a shared, loaded one); FULL=1 about 5 CPU-minutes.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Float16Array } from '@petamoriken/float16';
import { float32ToFloat16 } from '../model-tools/convert/tensor/halfFloat';
import { float64ToHalfBits } from '../shared/codec/jsonHalfFloat';
import { decodeTensorData } from '../shared/codec/jsonTensorData';
import { JsonCursor } from '../shared/codec/jsonCursor';

/** Half bits as @petamoriken/float16 rounds them (its Float16Array rounds each double directly, ties to even). */
export const libraryHalfBits = (values: Float32Array | Float64Array | number[]): Uint16Array => new Uint16Array(new Float16Array(values).buffer);

export const isHalfNaN = (h: number): boolean => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

/** Equal half bits, any NaN equal to any NaN. */
export const sameHalf = (a: number, b: number): boolean => a === b || (isHalfNaN(a) && isHalfNaN(b));

/** The value of a half's bit pattern (exact in a double). */
export function halfValue(bits: number): number {
  const e = (bits >>> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0x1f) return m ? NaN : bits & 0x8000 ? -Infinity : Infinity;
  return (bits & 0x8000 ? -1 : 1) * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15));
}

/** The correctly rounded half (nearest, ties to even) of any double, by exact integer arithmetic: the reference. */
export function exactHalfBits(x: number): number {
  if (x !== x) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, a);
  const hi = dv.getUint32(0);
  const biased = hi >>> 20;
  // a = M · 2^E exactly.
  let M = (BigInt(hi & 0xfffff) << 32n) | BigInt(dv.getUint32(4));
  let E = -1074;
  if (biased !== 0) {
    M |= 1n << 52n;
    E = biased - 1075;
  }
  const lg = M.toString(2).length - 1 + E; // floor(log2 a)
  const q = Math.max(lg, -14) - 10; // the half quantum at a: 2^q
  const shift = q - E;
  let n: bigint;
  if (shift <= 0) n = M << BigInt(-shift);
  else {
    const t = M >> BigInt(shift);
    const rem = M - (t << BigInt(shift));
    const halfway = 1n << BigInt(shift - 1);
    n = rem > halfway || (rem === halfway && (t & 1n) === 1n) ? t + 1n : t;
  }
  // Subnormal range: the bits are n itself (n = 1024 is the smallest normal); otherwise n ∈ [1024, 2048] carries.
  const bits = q === -24 ? Number(n) : ((lg + 15) << 10) + Number(n) - 1024;
  return sign | Math.min(bits, 0x7c00);
}

/**
 * Doubles a hair off a tie between two halves, close enough that rounding them to float32 first lands exactly on
 * the tie (so a via-float32 conversion rounds to even, which is wrong for half of them). Both signs.
 */
export function doubleRoundingCases(stride = 1): number[] {
  const out: number[] = [];
  const f = new Float32Array(1);
  const push = (v: number, tie: number) => {
    f[0] = v;
    if (f[0] === tie) out.push(v, -v);
  };
  for (let bits = 0; bits < 0x7bff; bits += stride) {
    const mid = (halfValue(bits) + halfValue(bits + 1)) / 2;
    const nudge = mid * 2 ** -30;
    push(mid + nudge, mid);
    push(mid - nudge, mid);
  }
  // 65520 is the tie between the largest half (65504) and infinity.
  push(65520 - 2 ** -20, 65520);
  push(65520 + 2 ** -20, 65520);
  push(1 + 2 ** -11 + 2 ** -40, 1 + 2 ** -11);
  return out;
}

interface ChunkResult {
  checked: number;
  checked64: number;
  bad32: number;
  bad64: number;
  nanPolicy: number;
  examples: string[];
}

const CHUNK_BITS = 24;
const STRIDE64 = 31;

/** Checks the 2^24 float32 patterns whose top 8 bits are `top`. */
function checkChunk(top: number, u: Uint32Array, into: ChunkResult, full: boolean): void {
  for (let i = 0; i < u.length; i++) u[i] = ((top << CHUNK_BITS) | i) >>> 0;
  const f = new Float32Array(u.buffer);
  const ours = float32ToFloat16(f);
  const lib = libraryHalfBits(f);
  for (let i = 0; i < u.length; i++) {
    const want = lib[i];
    const o32 = ours[i];
    const o64 = full || u[i] % STRIDE64 === 0 ? float64ToHalfBits(f[i]) : want;
    if (o32 !== want || o64 !== want) {
      if (!sameHalf(o32, want)) into.bad32++;
      if (!sameHalf(o64, want)) into.bad64++;
      if (sameHalf(o32, want) && sameHalf(o64, want)) into.nanPolicy++;
      else if (into.examples.length < 5) into.examples.push(`0x${u[i].toString(16)} (${f[i]}): float32ToFloat16 0x${o32.toString(16)}, float64ToHalfBits 0x${o64.toString(16)}, library 0x${want.toString(16)}`);
    }
  }
  into.checked += u.length;
  const first = top * 2 ** CHUNK_BITS;
  into.checked64 += full ? u.length : Math.floor((first + u.length - 1) / STRIDE64) - Math.floor((first - 1) / STRIDE64);
}

function fmt(r: ChunkResult): string {
  return `float32ToFloat16 ${r.bad32} mismatches in ${r.checked.toLocaleString('en')} patterns, float64ToHalfBits ${r.bad64} mismatches in ${r.checked64.toLocaleString('en')}; ${r.nanPolicy.toLocaleString('en')} NaNs differ only in sign/payload`;
}

async function exhaustive(threads: number, full: boolean): Promise<ChunkResult> {
  const total: ChunkResult = { checked: 0, checked64: 0, bad32: 0, bad64: 0, nanPolicy: 0, examples: [] };
  const tops = Array.from({ length: 1 << (32 - CHUNK_BITS) }, (_, i) => i);
  await Promise.all(
    Array.from({ length: threads }, (_, w) =>
      new Promise<void>((resolve, reject) => {
        // The thread registers tsx itself, then loads this file, which sees workerData and checks its chunks.
        const entry = `import('tsx/esm/api').then((t) => t.register()).then(() => import(${JSON.stringify(import.meta.url)}))`;
        const worker = new Worker(entry, { eval: true, workerData: { full, tops: tops.filter((t) => t % threads === w) } });
        worker.on('message', (r: ChunkResult & { top: number }) => {
          total.checked += r.checked;
          total.checked64 += r.checked64;
          total.bad32 += r.bad32;
          total.bad64 += r.bad64;
          total.nanPolicy += r.nanPolicy;
          total.examples.push(...r.examples.slice(0, 5 - total.examples.length));
          const done = total.checked / 2 ** CHUNK_BITS;
          if (done % 32 === 0) process.stderr.write(`  ${done}/256 chunks\n`);
        });
        worker.on('error', reject);
        worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
      }),
    ),
  );
  return total;
}

/** Doubles: the double-rounding cases, random doubles over the whole half range, and the JSON decoder on them. */
function doubles(): { cases: number; ours: number; json: number; library: number; examples: string[] } {
  const values = doubleRoundingCases(1);
  let s = 0x9e3779b9;
  const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  for (let i = 0; i < 500_000; i++) values.push((rand() < 0.5 ? -1 : 1) * 2 ** (rand() * 44 - 28) * (1 + rand()));
  const lib = libraryHalfBits(values);
  const decoded = decodeTensorData(new JsonCursor(new TextEncoder().encode(JSON.stringify(values))), 'FP16', values.length);
  if (!decoded.ok) throw new Error(`JSON decode failed: ${decoded.reason}`);
  const json = decoded.data as Uint16Array;
  const r = { cases: values.length, ours: 0, json: 0, library: 0, examples: [] as string[] };
  for (let i = 0; i < values.length; i++) {
    const want = exactHalfBits(values[i]);
    const o = float64ToHalfBits(values[i]);
    if (o !== want) r.ours++;
    if (json[i] !== want) r.json++;
    if (lib[i] !== want) r.library++;
    if ((o !== want || json[i] !== want || lib[i] !== want) && r.examples.length < 5) {
      r.examples.push(`${values[i]}: exact 0x${want.toString(16)}, float64ToHalfBits 0x${o.toString(16)}, JSON FP16 0x${json[i].toString(16)}, library 0x${lib[i].toString(16)}`);
    }
  }
  return r;
}

async function main(): Promise<void> {
  const threads = Math.max(1, Math.min(Number(process.env.THREADS ?? 2), availableParallelism()));
  const t = performance.now();
  process.stderr.write(`every float32 bit pattern, ${threads} thread(s)${process.env.FULL === '1' ? ', FULL' : ''}...\n`);
  const all = await exhaustive(threads, process.env.FULL === '1');
  console.log(`float32 → half, exhaustive: ${fmt(all)} (${((performance.now() - t) / 1e3).toFixed(0)} s)`);
  for (const e of all.examples) console.log(`  ${e}`);
  const d = doubles();
  console.log(`double → half against an exact reference, ${d.cases.toLocaleString('en')} doubles (double-rounding traps + random): float64ToHalfBits ${d.ours}, JSON FP16 decoder ${d.json}, library ${d.library} mismatches`);
  for (const e of d.examples) console.log(`  ${e}`);
  const failed = all.bad32 + all.bad64 + d.ours + d.json > 0;
  console.log(failed ? 'FAIL: our float16 conversions differ' : 'OK: our float16 conversions match the library and the exact reference');
  process.exitCode = failed ? 1 : 0;
}

const job = workerData as { tops?: number[]; full?: boolean } | null;
if (!isMainThread && job?.tops) {
  const u = new Uint32Array(1 << CHUNK_BITS);
  for (const top of job.tops) {
    const r: ChunkResult = { checked: 0, checked64: 0, bad32: 0, bad64: 0, nanPolicy: 0, examples: [] };
    checkChunk(top, u, r, job.full === true);
    parentPort!.postMessage({ ...r, top });
  }
} else if (isMainThread && process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
