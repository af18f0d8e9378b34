/**
 * Runs of float32 numbers read by the WebAssembly kernel shared/codec/wasm/float32Run.wat (about twice as fast as
 * the JavaScript reader): the JSON decoder hands it the rest of the body, it stops at whatever it does not take
 * (the end of the array, another separator, a token that needs the exact decimal), and the JavaScript reader
 * carries on from there. The result is the same bit for bit; without WebAssembly the JavaScript reader does it all.
 */
import type { JsonCursor } from './jsonCursor';
import { copyIn, ensureMemory, INPUT_PAD, instantiateKernel } from './wasmKernel';
import { WASM_BASE64 } from './wasm/float32RunWasm';

interface Kernel {
  memory: WebAssembly.Memory;
  pos: WebAssembly.Global;
  parse(p: number, out: number, max: number): number;
}

// Bytes below this are the kernel's tables.
const IN = 1024;
/** Shorter rests of a body are not worth the copy into the kernel's memory. */
export const WASM_MIN_BYTES = 4096;

let kernel: Kernel | null | undefined;
function loadKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  kernel = instantiateKernel<Kernel>(WASM_BASE64);
  // 10^-k, k = 0 … 22, each the double nearest to it (JavaScript's parse of "1e-k" is correctly rounded).
  if (kernel) new Float64Array(kernel.memory.buffer, 256, 23).set(Array.from({ length: 23 }, (_, k) => Number(`1e-${k}`)));
  return kernel;
}

// The cursor (one per decode) whose body's rest was last copied in, where in the body that copy starts, and where
// in the kernel's memory it went.
let copiedFrom: JsonCursor | null = null;
let copiedBase = 0;
let copiedEnd = 0;
let copiedAt = IN;

/** Whether the kernel is usable here (tests run both readers). */
export function wasmAvailable(): boolean {
  return loadKernel() !== null;
}

/**
 * Reads as many float32 as the kernel takes from `cur.p` into `out` from index `count` (at most to its end);
 * returns the new count and moves `cur.p` past what was read. Returns `count` unchanged when it took nothing.
 */
export function readFloat32Run(cur: JsonCursor, out: Float32Array, count: number): number {
  const k = loadKernel();
  const room = out.length - count;
  if (!k || room <= 0) return count;
  const b = cur.b;
  if (copiedFrom !== cur || cur.p < copiedBase || cur.p >= copiedEnd) {
    // At the body's own alignment modulo 8: a body in shared memory (the backend's) is then copied word by word,
    // not byte by byte (see shared/copyBytes.ts).
    const at = IN + ((b.byteOffset + cur.p) & 7);
    copyIn(k.memory, b.subarray(cur.p), at);
    copiedFrom = cur;
    copiedBase = cur.p;
    copiedEnd = b.length;
    copiedAt = at;
  }
  const outAt = (copiedAt + (copiedEnd - copiedBase) + INPUT_PAD + 7) & ~7;
  ensureMemory(k.memory, outAt + room * 4);
  const n = k.parse(copiedAt + (cur.p - copiedBase), outAt, room);
  if (n === 0) return count;
  out.set(new Float32Array(k.memory.buffer, outAt, n), count);
  cur.p = copiedBase + ((k.pos.value as number) - copiedAt);
  return count + n;
}
