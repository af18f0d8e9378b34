/**
 * The thread side of WorkerPool: loads a tasks module, runs its `init` (if any) once, reports ready, then answers
 * each `{id, kind, payload}` message with the task's result (and its transfer list) or its error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InferenceError } from '../../shared/errors';
import type { TaskTable } from './tasks';
import { serializeTaskError } from './taskErrors';
import { nameThisThread } from './threadName';

/** A request from the pool. */
export interface TaskMessage {
  id: number;
  kind: string;
  payload: unknown;
}

/** What a thread sends the pool: its init outcome, then one reply per task. */
export type FromWorker =
  | { type: 'ready'; result: unknown }
  | { type: 'init-error'; error: ReturnType<typeof serializeTaskError> }
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: ReturnType<typeof serializeTaskError> };

/** What the pool passes to each worker. */
export interface WorkerInit {
  /** file: URL of the tasks module; it must export `TASKS`, and may export `init(data)`. */
  tasksModule: string;
  /** The thread's name in /proc (see threadName.ts), e.g. siglip-decode. */
  name?: string;
  init?: unknown;
}

const port = parentPort!;
const { tasksModule, init, name } = workerData as WorkerInit;
if (name) nameThisThread(name);
const tasks = (await import(tasksModule)) as { TASKS: TaskTable; init?: (data: unknown) => unknown };
const { TASKS } = tasks;

try {
  port.postMessage({ type: 'ready', result: tasks.init ? await tasks.init(init) : undefined } satisfies FromWorker);
} catch (err) {
  port.postMessage({ type: 'init-error', error: serializeTaskError(err, 'init') } satisfies FromWorker);
}

port.on('message', (message: TaskMessage) => void answer(message));

async function answer({ id, kind, payload }: TaskMessage): Promise<void> {
  let reply: FromWorker;
  let transfer: ArrayBuffer[] = [];
  try {
    const handler = Object.hasOwn(TASKS, kind) ? TASKS[kind] : undefined;
    if (!handler) throw new InferenceError('INTERNAL', `unknown task kind '${kind}'`);
    // The pool typed the payload for this kind when it sent it (WorkerPool.run).
    const out = await handler(payload as never);
    reply = { type: 'reply', id, ok: true, result: out.result };
    transfer = out.transfer ?? [];
  } catch (err) {
    reply = { type: 'reply', id, ok: false, error: serializeTaskError(err, kind) };
  }
  try {
    port.postMessage(reply, transfer);
  } catch (err) {
    // A result that cannot be cloned (a function, say) is the task's bug; report it instead of hanging the caller.
    port.postMessage({ type: 'reply', id, ok: false, error: serializeTaskError(err, kind) } satisfies FromWorker);
  }
}
