/**
 * Runs of JSON number tokens counted and checked by the WebAssembly kernel shared/codec/wasm/numberRun.wat, for
 * the scanner's data arrays (jsonRequestScanner.ts): it takes the same tokens as the JavaScript loop there, several
 * times faster, sixteen or eight digits at a time. Workers forbid compiling WebAssembly at run time: the Worker
 * imports the kernel as a compiled module (numberRun.kernel.wasm) and hands it over with `useNumberRunModule`.
 * Where neither works, the JavaScript loop does it all.
 */
import { copyIn, instantiateKernel } from './wasmKernel';
import { WASM_BASE64 } from './wasm/numberRunWasm';

interface Kernel {
  memory: WebAssembly.Memory;
  pos: WebAssembly.Global;
  after: WebAssembly.Global;
  run(p: number, last: number, n: number): number;
}

const IN = 64;
/** Shorter rests of a chunk are not worth the copy into the kernel's memory. */
export const WASM_RUN_MIN_BYTES = 2048;

let kernel: Kernel | null | undefined;
function loadKernel(): Kernel | null {
  if (kernel === undefined) kernel = instantiateKernel<Kernel>(WASM_BASE64);
  return kernel;
}

/** Instantiates the kernel from a module compiled ahead (the Worker's import of numberRun.kernel.wasm). */
export function useNumberRunModule(module: WebAssembly.Module): void {
  kernel = instantiateKernel<Kernel>(module);
}

/** Whether runs go to the kernel (tests turn it off to compare it with the JavaScript loop). */
export const NumberRunSettings = { useKernel: true };

/** Whether the kernel is usable here (tests run both). */
export function numberRunKernelAvailable(): boolean {
  return loadKernel() !== null;
}

// The chunk last copied in (a scan may come back to the same chunk after a nested array or a newline).
let copied: Uint8Array | null = null;

/** What a run found: tokens, whether it stopped right after one, and where. */
export interface NumberRun {
  count: number;
  afterToken: boolean;
}

/**
 * Counts the run of number tokens at `b[p]` (`last`: the chunk's last comma) into `out`; returns where it stopped,
 * or -1 when the kernel is not available.
 */
export function wasmNumberRun(b: Uint8Array, p: number, last: number, n: number, out: NumberRun): number {
  const k = NumberRunSettings.useKernel ? loadKernel() : null;
  if (!k) return -1;
  if (copied !== b) {
    copyIn(k.memory, b.subarray(0, n), IN);
    copied = b;
  }
  out.count = k.run(IN + p, IN + last, IN + n);
  out.afterToken = k.after.value === 1;
  return (k.pos.value as number) - IN;
}

/** Forgets the chunk copied in, for a caller that reuses a chunk's buffer for other bytes. */
export function forgetCopiedChunk(): void {
  copied = null;
}
