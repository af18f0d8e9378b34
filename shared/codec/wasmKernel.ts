/**
 * What the WebAssembly kernels of shared/codec have in common: each is instantiated once, from its base64 bytes or
 * from a module compiled ahead (Workers compile no WebAssembly at run time), and is null where neither works (its
 * caller then does the work in JavaScript); and each copies its input into memory it grows as needed, with zeros
 * after it (`copyIn`).
 */
const PAGE = 65536;

/** The kernel's exports, or null where WebAssembly cannot run it. */
export function instantiateKernel<K>(source: string | WebAssembly.Module): K | null {
  try {
    const module = typeof source === 'string' ? new WebAssembly.Module(Uint8Array.from(atob(source), (c) => c.charCodeAt(0))) : source;
    return new WebAssembly.Instance(module).exports as unknown as K;
  } catch {
    return null;
  }
}

/** Grows `memory` to at least `bytes`. */
export function ensureMemory(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
}

/** Zero bytes after a kernel's input: a 0 ends every token, and the kernels' 16-byte reads stay inside them. */
export const INPUT_PAD = 16;

/** Copies `input` into `memory` at byte `at`, followed by INPUT_PAD zero bytes, growing the memory as needed. */
export function copyIn(memory: WebAssembly.Memory, input: Uint8Array, at: number): void {
  const end = at + input.length;
  ensureMemory(memory, end + INPUT_PAD);
  const mem = new Uint8Array(memory.buffer);
  mem.set(input, at);
  mem.fill(0, end, end + INPUT_PAD);
}
