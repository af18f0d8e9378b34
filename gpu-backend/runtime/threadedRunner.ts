import { Worker } from 'node:worker_threads';
import { InferenceError, type ErrorCode } from '../../shared/errors';
import type { OrtRunnerOptions } from './ortRunner';
import type { FromOrtThread, ToOrtThread } from './ortThread';
import type { ModelRunner, RunnerTensor } from './types';

const ENTRY = new URL('./ortThreadEntry.mjs', import.meta.url);

/** What a threaded runner reports besides its results. */
export interface ThreadedRunnerEvents {
  /** The thread died (a crash, not a release); a replacement is being loaded. */
  onCrash?(message: string): void;
  /** The replacement is loaded and serving. */
  onRestored?(): void;
  /** The replacement could not be loaded; another attempt follows after `retryInMs`. */
  onRestoreFailed?(message: string, retryInMs: number): void;
}

type Pending = { resolve: (o: Record<string, RunnerTensor>) => void; reject: (e: Error) => void };

/** One ONNX Runtime thread with its model loaded. */
interface LoadedThread {
  worker: Worker;
  provider: string;
}

// Starts a thread and loads the model in it; rejects if loading fails or the thread dies while loading.
function loadThread(options: Omit<OrtRunnerOptions, 'onFallback'>, onFallback?: (message: string) => void): Promise<LoadedThread> {
  const worker = new Worker(ENTRY, { execArgv: [] });
  return new Promise<LoadedThread>((resolve, reject) => {
    const onMessage = (m: FromOrtThread) => {
      if (m.type === 'fallback') onFallback?.(m.message);
      else if (m.type === 'ready') settle(() => resolve({ worker, provider: m.provider }));
      else if (m.type === 'init-error') settle(() => (void worker.terminate(), reject(new Error(m.message))));
    };
    const onError = (err: Error) => settle(() => reject(err));
    const onExit = (code: number) => settle(() => reject(new Error(`ONNX Runtime thread exited with code ${code} while loading ${options.modelPath}`)));
    const settle = (then: () => void) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      then();
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.postMessage({ type: 'init', options } satisfies ToOrtThread);
  });
}

/**
 * A model instance whose ONNX Runtime session lives in its own worker thread. Inputs backed by a
 * SharedArrayBuffer (the batcher's reused batch buffers) reach it without a copy; outputs come back transferred.
 * If the thread dies, the runs it held fail, `healthy` is false, and a replacement thread loads the model again
 * (retrying with backoff) while runs are refused with 503.
 */
export async function createThreadedOrtRunner(options: OrtRunnerOptions, events: ThreadedRunnerEvents = {}): Promise<ModelRunner> {
  const { onFallback, ...rest } = options;
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let released = false;
  let healthy = true;
  let current = await loadThread(rest, onFallback);

  const fail = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  const attach = (thread: LoadedThread) => {
    const { worker } = thread;
    worker.on('message', (m: FromOrtThread) => {
      if (m.type === 'result' || m.type === 'error') {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (!pending.size) worker.unref();
        if (m.type === 'result') p?.resolve(m.outputs);
        else p?.reject(new InferenceError(m.code as ErrorCode, m.message, m.reason));
      }
    });
    let crash = '';
    worker.on('error', (err) => (crash = err.message));
    worker.on('exit', (code) => {
      if (released || worker !== current.worker) return;
      const message = `ONNX Runtime thread ${crash ? `crashed: ${crash}` : `exited with code ${code}`}`;
      healthy = false;
      fail(new InferenceError('INTERNAL', message));
      events.onCrash?.(message);
      void restore();
    });
    // Idle, the thread does not keep the process alive; with a run pending it does.
    worker.unref();
  };

  const restore = async () => {
    for (let attempt = 0; !released; attempt++) {
      try {
        const thread = await loadThread(rest, onFallback);
        if (released) return void thread.worker.terminate();
        current = thread;
        attach(thread);
        healthy = true;
        events.onRestored?.();
        return;
      } catch (err) {
        const retryInMs = Math.min(30_000, 500 * 2 ** attempt);
        events.onRestoreFailed?.((err as Error).message, retryInMs);
        await new Promise((r) => setTimeout(r, retryInMs).unref());
      }
    }
  };

  attach(current);

  return {
    get provider() {
      return current.provider;
    },
    get healthy() {
      return healthy && !released;
    },
    run(inputs, outputNames) {
      if (released) return Promise.reject(new InferenceError('UNAVAILABLE', 'model instance released'));
      if (!healthy) return Promise.reject(new InferenceError('UNAVAILABLE', 'model instance is restarting after a crash; retry shortly', 'restarting'));
      const { worker } = current;
      const id = nextId++;
      return new Promise((resolve, reject) => {
        if (!pending.size) worker.ref();
        pending.set(id, { resolve, reject });
        // Shared batch buffers are shared, not copied. (Moving plain buffers to the thread and back would avoid
        // the copy too, but V8 counts each returning buffer as new external memory and runs a full GC per batch.)
        worker.postMessage({ type: 'run', id, inputs, outputNames: [...outputNames] } satisfies ToOrtThread);
      });
    },
    async kill() {
      await current.worker.terminate();
    },
    async release() {
      if (released) return;
      released = true;
      if (!healthy) return;
      const { worker } = current;
      worker.ref();
      await new Promise<void>((resolve) => {
        const done = (m: FromOrtThread) => m.type === 'released' && resolve();
        worker.on('message', done);
        worker.once('exit', () => resolve());
        worker.postMessage({ type: 'release' } satisfies ToOrtThread);
      });
      await worker.terminate();
    },
  };
}
