// Runs inside a worker thread: one ONNX Runtime session, fed by threadedRunner.ts. onnxruntime-node's run()
// computes synchronously on the calling thread, so hosting it here keeps the server's event loop free.
import { parentPort } from 'node:worker_threads';
import { InferenceError } from '../../shared/errors';
import { createOrtRunner, type OrtRunnerOptions } from './ortRunner';
import type { ModelRunner, RunnerTensor } from './types';

/** Messages from the main thread. */
export type ToOrtThread =
  | { type: 'init'; options: Omit<OrtRunnerOptions, 'onFallback'> }
  | { type: 'run'; id: number; inputs: Record<string, RunnerTensor>; outputNames: string[] }
  | { type: 'release' };

/** Messages to the main thread. */
export type FromOrtThread =
  | { type: 'ready'; provider: string }
  | { type: 'fallback'; message: string }
  | { type: 'result'; id: number; outputs: Record<string, RunnerTensor> }
  | { type: 'error'; id: number; code: string; message: string; reason: string }
  | { type: 'init-error'; message: string }
  | { type: 'released' };

const port = parentPort!;
let runner: ModelRunner | null = null;
const post = (m: FromOrtThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on('message', async (m: ToOrtThread) => {
  if (m.type === 'init') {
    try {
      runner = await createOrtRunner({ ...m.options, onFallback: (message) => post({ type: 'fallback', message }) });
      post({ type: 'ready', provider: runner.provider });
    } catch (err) {
      post({ type: 'init-error', message: (err as Error).message });
    }
  } else if (m.type === 'run') {
    try {
      const outputs = await runner!.run(m.inputs, m.outputNames);
      const transfer = Object.values(outputs).map((t) => t.data.buffer);
      post({ type: 'result', id: m.id, outputs }, [...new Set(transfer)].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer));
    } catch (err) {
      const e = err instanceof InferenceError ? err : new InferenceError('INTERNAL', (err as Error).message);
      post({ type: 'error', id: m.id, code: e.code, message: e.message, reason: e.reason });
    }
  } else if (m.type === 'release') {
    await runner?.release();
    post({ type: 'released' });
  }
});
