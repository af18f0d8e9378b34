import { InferenceError } from '../../shared/errors';
import { WorkerPool, type WorkerPoolEvents } from '../workers/workerPool';
import type { OrtRunnerOptions } from './ortRunner';
import type { OrtThreadReady, TASKS } from './ortTasks';
import type { ModelRunner } from './types';

/** What a threaded runner reports besides its results (its thread dying and coming back). */
export type ThreadedRunnerEvents = WorkerPoolEvents;

// The tasks module of the instance thread, next to this file (ortTasks.ts in the sources, .js when built).
const ORT_TASKS = new URL(import.meta.url.endsWith('.ts') ? './ortTasks.ts' : './ortTasks.js', import.meta.url);

/**
 * A model instance whose ONNX Runtime session lives in its own worker thread (a WorkerPool of one). Inputs backed
 * by a SharedArrayBuffer (the batcher's reused batch buffers) reach it without a copy; outputs come back
 * transferred. If the thread dies, the runs it held fail, `healthy` is false, and the pool starts a replacement
 * that opens the session again (retrying with backoff) while runs are refused with a retryable 503.
 */
export async function createThreadedOrtRunner(options: OrtRunnerOptions, events: ThreadedRunnerEvents = {}): Promise<ModelRunner> {
  const { onFallback, ...rest } = options;
  const pool = new WorkerPool<typeof TASKS>({ size: 1, maxQueue: 64, tasksModule: ORT_TASKS, init: rest, name: 'siglip-ort', ...events });
  let ready: OrtThreadReady;
  try {
    ready = (await pool.ready) as OrtThreadReady;
  } catch (err) {
    await pool.close();
    throw new Error((err as Error).message);
  }
  for (const message of ready.fallbacks) onFallback?.(message);
  let released = false;
  return {
    provider: ready.provider,
    get healthy() {
      return pool.healthy;
    },
    run(inputs, outputNames) {
      if (released) return Promise.reject(new InferenceError('UNAVAILABLE', 'model instance released'));
      if (!pool.healthy) return Promise.reject(new InferenceError('UNAVAILABLE', 'model instance is restarting after a crash; retry shortly', 'restarting'));
      // Shared batch buffers are shared, not copied. (Moving plain buffers to the thread and back would avoid the
      // copy too, but V8 counts each returning buffer as new external memory and runs a full GC per batch.)
      return pool.run('run', { inputs, outputNames: [...outputNames] });
    },
    kill: () => pool.kill(0),
    async release() {
      if (released) return;
      released = true;
      if (pool.healthy) await pool.run('release', undefined).catch(() => {});
      await pool.close();
    },
  };
}
