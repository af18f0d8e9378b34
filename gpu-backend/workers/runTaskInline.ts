/** Runs a task on the calling thread, with the same results and errors as WorkerPool.run (for small inputs). */
import { InferenceError } from '../../shared/errors';
import { TASKS, type TaskKind, type TaskPayload, type TaskResult, type TaskTable } from './tasks';
import { toTaskError } from './taskErrors';

/** Runs `kind` from `tasks` (the production table by default) without a worker; nothing is transferred. */
export async function runTaskInline<T extends TaskTable = typeof TASKS, K extends keyof T & string = keyof T & string>(
  kind: K,
  payload: TaskPayload<T, K>,
  tasks: T = TASKS as unknown as T,
): Promise<TaskResult<T, K>> {
  const handler = Object.hasOwn(tasks, kind) ? tasks[kind] : undefined;
  if (!handler) throw new InferenceError('INTERNAL', `unknown task kind '${kind}'`);
  try {
    return (await handler(payload)).result;
  } catch (err) {
    throw toTaskError(err, kind);
  }
}

export type { TaskKind };
