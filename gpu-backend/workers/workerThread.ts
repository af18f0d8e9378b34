/** The worker side of WorkerPool: loads a tasks module and answers each `{id, kind, payload}` message. */
import { parentPort, workerData } from 'node:worker_threads';
import { InferenceError } from '../../shared/errors';
import type { TaskTable } from './tasks';
import { serializeTaskError } from './taskErrors';

/** A request from the pool. */
export interface TaskMessage {
  id: number;
  kind: string;
  payload: unknown;
}

/** A reply to the pool. */
export type ReplyMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: ReturnType<typeof serializeTaskError> };

/** What the pool passes to each worker. */
export interface WorkerInit {
  /** file: URL of the tasks module; it must export `TASKS`. */
  tasksModule: string;
}

const port = parentPort!;
const { tasksModule } = workerData as WorkerInit;
const { TASKS } = (await import(tasksModule)) as { TASKS: TaskTable };

port.on('message', async ({ id, kind, payload }: TaskMessage) => {
  let reply: ReplyMessage;
  let transfer: ArrayBuffer[] = [];
  try {
    const handler = Object.hasOwn(TASKS, kind) ? TASKS[kind] : undefined;
    if (!handler) throw new InferenceError('INTERNAL', `unknown task kind '${kind}'`);
    const out = await handler(payload);
    reply = { id, ok: true, result: out.result };
    transfer = out.transfer ?? [];
  } catch (err) {
    reply = { id, ok: false, error: serializeTaskError(err, kind) };
  }
  try {
    port.postMessage(reply, transfer);
  } catch (err) {
    // A result that cannot be cloned (a function, say) is the task's bug; report it instead of hanging the caller.
    port.postMessage({ id, ok: false, error: serializeTaskError(err, kind) } satisfies ReplyMessage);
  }
});
