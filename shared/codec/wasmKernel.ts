/**
 * What the WebAssembly kernels of shared/codec have in common: each is instantiated once, from its base64 bytes or
 * from a module compiled ahead (Workers compile no WebAssembly at run time), and is null where neither works (its
 * caller then does the work in JavaScript); and each copies its input into memory it grows as needed.
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
