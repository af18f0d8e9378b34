/**
 * Triton's shared-memory tensor parameters (`shared_memory_region`, `shared_memory_offset`,
 * `shared_memory_byte_size`), on an input or a requested output, in HTTP and gRPC alike.
 */
import { invalidArgument } from '../errors';

/** Where a tensor lives in a registered region. */
export interface SharedMemoryRef {
  region: string;
  /** Bytes into the region (not into the underlying object). */
  offset: number;
  byteSize: number;
}

/** Parameters a shared-memory tensor is named by; a tensor without `shared_memory_region` is not one. */
export function sharedMemoryRef(parameters: Record<string, unknown> | undefined, label: string): SharedMemoryRef | null {
  if (!parameters) return null;
  const { shared_memory_region: region, shared_memory_offset: offset = 0, shared_memory_byte_size: byteSize } = parameters;
  if (region === undefined) {
    if (byteSize !== undefined || parameters.shared_memory_offset !== undefined) {
      throw invalidArgument(`${label}: shared_memory_byte_size and shared_memory_offset need shared_memory_region`);
    }
    return null;
  }
  if (typeof region !== 'string' || !region) throw invalidArgument(`${label}: shared_memory_region must be the name of a registered region`);
  if (byteSize === undefined) throw invalidArgument(`${label}: shared_memory_region needs shared_memory_byte_size`);
  const count = (v: unknown, name: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalidArgument(`${label}: ${name} must be a non-negative integer`);
    return v;
  };
  return { region, offset: count(offset, 'shared_memory_offset'), byteSize: count(byteSize, 'shared_memory_byte_size') };
}

/** Whether any input or requested output of a request names a shared-memory region. */
export function usesSharedMemory(decoded: { header: { outputs?: readonly { parameters?: Record<string, unknown> }[] }; tensors: readonly { parameters?: Record<string, unknown> }[] }): boolean {
  const named = (p?: Record<string, unknown>) => p !== undefined && p.shared_memory_region !== undefined;
  return decoded.tensors.some((t) => named(t.parameters)) || (decoded.header.outputs ?? []).some((o) => named(o.parameters));
}
