/** Tasks of the worker-primitive bench, for our WorkerPool (a TASKS table). */
import type { TaskOutput } from '../gpu-backend/workers/tasks';

export const TASKS = {
  /** A tiny message both ways: the per-task cost. */
  small(x: { n: number }): TaskOutput<{ n: number }> {
    return { result: { n: x.n + 1 } };
  },
  /** A buffer in and out, transferred: the cost of moving a 1.77 MB tensor. */
  echo(buffer: ArrayBuffer): TaskOutput<ArrayBuffer> {
    return { result: buffer, transfer: [buffer] };
  },
};
