/**
 * The tasks module of a threaded ONNX Runtime instance (a WorkerPool of one): `init` opens the session in the
 * thread, `run` computes a batch there. onnxruntime-node's run() computes synchronously on the calling thread, so
 * hosting it here keeps the server's event loop free.
 */
import type { TaskOutput } from '../workers/tasks';
import { createOrtRunner, type OrtRunnerOptions } from './ortRunner';
import type { ModelRunner, RunnerTensor } from './types';

let runner: ModelRunner | null = null;

/** What opening the session found: the provider in use, and why the preferred one did not load, if it did not. */
export interface OrtThreadReady {
  provider: string;
  fallbacks: string[];
}

/** Opens the session (run once per thread, before any task). */
export async function init(options: Omit<OrtRunnerOptions, 'onFallback'>): Promise<OrtThreadReady> {
  const fallbacks: string[] = [];
  runner = await createOrtRunner({ ...options, onFallback: (m) => fallbacks.push(m) });
  return { provider: runner.provider, fallbacks };
}

/** The instance's tasks. */
export const TASKS = {
  /** One batch; inputs may live in shared memory (read in place), outputs move back without a copy. */
  async run(p: { inputs: Record<string, RunnerTensor>; outputNames: string[] }): Promise<TaskOutput<Record<string, RunnerTensor>>> {
    const outputs = await runner!.run(p.inputs, p.outputNames);
    const transfer = [...new Set(Object.values(outputs).map((t) => t.data.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    return { result: outputs, transfer };
  },
  /** Frees the session. */
  async release(): Promise<TaskOutput<boolean>> {
    await runner?.release();
    runner = null;
    return { result: true };
  },
};
