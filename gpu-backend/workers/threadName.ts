import { writeFileSync } from 'node:fs';

/**
 * Names the calling thread in /proc (Linux; 15 characters), so that per-thread CPU readings (bench/threadCpu.ts,
 * top -H) can tell the backend's threads apart; threads it starts afterwards (ONNX Runtime's pool) inherit the
 * name. Elsewhere it does nothing.
 */
export function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // Not Linux, or /proc not mounted: names are only for observation.
  }
}
