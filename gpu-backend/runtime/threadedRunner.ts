import { Worker } from 'node:worker_threads';
import { InferenceError, type ErrorCode } from '../../shared/errors';
import type { OrtRunnerOptions } from './ortRunner';
import type { FromOrtThread, ToOrtThread } from './ortThread';
import type { ModelRunner, RunnerTensor } from './types';

const ENTRY = new URL('./ortThreadEntry.mjs', import.meta.url);

/**
 * A model instance whose ONNX Runtime session lives in its own worker thread. Inputs backed by a
 * SharedArrayBuffer (the batcher's reused batch buffers) reach it without a copy; outputs come back transferred.
 */
export async function createThreadedOrtRunner(options: OrtRunnerOptions): Promise<ModelRunner> {
  const { onFallback, ...rest } = options;
  const worker = new Worker(ENTRY, { execArgv: [] });
  type Pending = { resolve: (o: Record<string, RunnerTensor>) => void; reject: (e: Error) => void };
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let dead: Error | null = null;

  const provider = await new Promise<string>((resolve, reject) => {
    const onMessage = (m: FromOrtThread) => {
      if (m.type === 'fallback') onFallback?.(m.message);
      else if (m.type === 'ready') resolve(m.provider);
      else if (m.type === 'init-error') reject(new Error(m.message));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`ONNX Runtime thread exited with code ${code} while loading ${options.modelPath}`)));
    worker.postMessage({ type: 'init', options: rest } satisfies ToOrtThread);
  });

  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  worker.on('message', (m: FromOrtThread) => {
    if (m.type === 'result' || m.type === 'error') {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (!pending.size) worker.unref();
      if (m.type === 'result') p?.resolve(m.outputs);
      else p?.reject(new InferenceError(m.code as ErrorCode, m.message, m.reason));
    }
  });
  const fail = (err: Error) => {
    dead ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('error', (err) => fail(new InferenceError('INTERNAL', `ONNX Runtime thread crashed: ${err.message}`)));
  worker.on('exit', (code) => fail(new InferenceError('INTERNAL', `ONNX Runtime thread exited with code ${code}`)));
  // Idle, the thread does not keep the process alive; with a run pending it does.
  worker.unref();

  return {
    provider,
    run(inputs, outputNames) {
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        if (!pending.size) worker.ref();
        pending.set(id, { resolve, reject });
        // Shared batch buffers are shared, not copied. (Moving plain buffers to the thread and back would avoid
        // the copy too, but V8 counts each returning buffer as new external memory and runs a full GC per batch.)
        worker.postMessage({ type: 'run', id, inputs, outputNames: [...outputNames] } satisfies ToOrtThread);
      });
    },
    async release() {
      if (dead) return;
      worker.ref();
      await new Promise<void>((resolve) => {
        const done = (m: FromOrtThread) => m.type === 'released' && resolve();
        worker.on('message', done);
        worker.postMessage({ type: 'release' } satisfies ToOrtThread);
      });
      dead = new InferenceError('UNAVAILABLE', 'model instance released');
      await worker.terminate();
    },
  };
}
