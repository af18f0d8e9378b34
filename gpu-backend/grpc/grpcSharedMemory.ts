/**
 * Triton's system shared-memory extension over gRPC, on the same registry as /v2/systemsharedmemory
 * (gpu-backend/shm): inputs named by shared_memory_region / shared_memory_offset / shared_memory_byte_size
 * parameters are read from their region, and outputs asked for in a region are written there, with the same key
 * and bounds checks as over HTTP.
 */
import { checkSharedMemoryOutputs, readSharedMemoryInputs, writeSharedMemoryOutputs } from '../shm/sharedMemoryTensors';
import type { SystemSharedMemory } from '../shm/systemSharedMemory';
import type { InferSharedMemory } from './modelInfer';

/** ModelInfer's shared-memory hooks over `shm`. */
export function grpcSharedMemory(shm: SystemSharedMemory): InferSharedMemory {
  return {
    get enabled() {
      return shm.enabled;
    },
    readInputs: (decoded) => readSharedMemoryInputs(shm, decoded.tensors),
    checkOutputs: (outputs) => checkSharedMemoryOutputs(shm, outputs),
    writeOutputs: (outputs, tensors) => writeSharedMemoryOutputs(shm, outputs, tensors),
  };
}
