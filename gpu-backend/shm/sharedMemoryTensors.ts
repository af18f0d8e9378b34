/** Inputs read from, and outputs written to, system shared memory: the request-side half of the extension. */
import { decodeBytesElements, encodeBytesElements, tensorBytes, viewTensor, type FixedTensorData } from '../../shared/codec/binaryTensor';
import type { DecodedInput } from '../../shared/codec/jsonInferRequest';
import { sharedMemoryRef, type SharedMemoryRef } from '../../shared/contract/sharedMemoryRef';
import { elementCount } from '../../shared/protocol';
import type { OutputTensor } from '../models/types';
import type { SystemSharedMemory } from './systemSharedMemory';

/**
 * Reads every input that names a region (the request was checked: sizes match shapes); null when none does.
 * BYTES inputs hold the binary extension's length-prefixed elements, as in Triton.
 */
export async function readSharedMemoryInputs(shm: SystemSharedMemory, tensors: readonly DecodedInput[]): Promise<Map<string, FixedTensorData | Uint8Array[]> | null> {
  let out: Map<string, FixedTensorData | Uint8Array[]> | null = null;
  for (const t of tensors) {
    const ref = sharedMemoryRef(t.parameters, t.name);
    if (!ref) continue;
    const bytes = await shm.read(ref, t.name);
    (out ??= new Map()).set(t.name, t.datatype === 'BYTES' ? decodeBytesElements(bytes, t.name) : viewTensor(t.datatype, bytes, elementCount(t.shape)));
  }
  return out;
}

/** Checks, before the request is queued, that each output region exists and holds its range. */
export function checkSharedMemoryOutputs(shm: SystemSharedMemory, outputs: readonly { name: string; shm?: SharedMemoryRef }[]): void {
  for (const o of outputs) if (o.shm) shm.check(o.shm, `output '${o.name}'`);
}

/** Writes the outputs the request asked for in shared memory into their regions. */
export async function writeSharedMemoryOutputs(shm: SystemSharedMemory, requested: readonly { name: string; shm?: SharedMemoryRef }[], outputs: readonly OutputTensor[]): Promise<void> {
  for (const o of requested) {
    if (!o.shm) continue;
    const t = outputs.find((x) => x.name === o.name);
    if (!t) continue;
    const bytes = t.datatype === 'BYTES' ? encodeBytesElements(t.data as unknown as Uint8Array[]) : tensorBytes(t.data);
    await shm.write(o.shm, bytes, `output '${o.name}'`);
  }
}
