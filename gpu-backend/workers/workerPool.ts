/** A fixed pool of worker threads running named tasks, with zero-copy ArrayBuffer transfer both ways. */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InferenceError } from '../../shared/errors';
import { CancelledError } from '../batching/dynamicBatcher';
import type { TASKS, TaskPayload, TaskResult, TaskTable } from './tasks';
import { deserializeTaskError } from './taskErrors';
import type { ReplyMessage, TaskMessage, WorkerInit } from './workerThread';

/** Options of a WorkerPool; all optional. */
export interface WorkerPoolOptions {
  /** Worker threads (default: os.availableParallelism()). */
  size?: number;
  /** Tasks waiting for a free worker beyond which run() answers UNAVAILABLE at once (default 1024). */
  maxQueue?: number;
  /** The tasks module the workers load (default: ./tasks.ts); it must export `TASKS`. */
  tasksModule?: URL;
}

/** Per-task options of `run`. */
export interface RunOptions {
  /**
   * Tasks of one group (one request) wait in their own line; free workers take from the groups in turn, so a
   * request of many expensive tasks cannot make another request's single task wait behind all of them.
   */
  group?: object;
  /** Aborting drops the task if it has not started (it rejects with CancelledError); a running task finishes. */
  signal?: AbortSignal;
}

interface Job {
  id: number;
  group: object;
  kind: string;
  payload: unknown;
  transfer: Transferable[];
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job?: Job;
  /** Set by the 'error' event, which comes before 'exit' when a task throws outside its promise. */
  crash?: Error;
}

const ENTRY = new URL('./workerEntry.mjs', import.meta.url);
const DEFAULT_TASKS = new URL('./tasks.ts', import.meta.url);

/** Runs tasks from a tasks table in worker threads; `T` is that table's type. */
export class WorkerPool<T extends TaskTable = typeof TASKS> {
  readonly size: number;
  private readonly maxQueue: number;
  private readonly init: WorkerInit;
  private readonly slots: Slot[] = [];
  /** Waiting tasks per group, groups in the order they will be served. */
  private readonly lines = new Map<object, Job[]>();
  private waitingJobs = 0;
  private nextId = 1;
  private closed = false;
  private readonly idle: (() => void)[] = [];

  constructor(options: WorkerPoolOptions = {}) {
    this.size = options.size ?? availableParallelism();
    this.maxQueue = options.maxQueue ?? 1024;
    if (!Number.isInteger(this.size) || this.size < 1) throw new Error(`WorkerPool size must be a positive integer, got ${this.size}`);
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 0) throw new Error(`WorkerPool maxQueue must be a non-negative integer, got ${this.maxQueue}`);
    this.init = { tasksModule: (options.tasksModule ?? DEFAULT_TASKS).href };
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  /**
   * Runs `kind` in a worker. Buffers in `transfer` move to the worker without copying (they are detached here
   * once the task starts); the buffers the task lists come back the same way.
   */
  run<K extends keyof T & string>(kind: K, payload: TaskPayload<T, K>, transfer: Transferable[] = [], options: RunOptions = {}): Promise<TaskResult<T, K>> {
    if (this.closed) return Promise.reject(new InferenceError('UNAVAILABLE', 'worker pool is closed'));
    if (options.signal?.aborted) return Promise.reject(new CancelledError());
    const free = this.slots.find((s) => !s.job);
    if (!free && this.waitingJobs >= this.maxQueue) {
      return Promise.reject(new InferenceError('UNAVAILABLE', `worker pool queue is full (${this.maxQueue} tasks waiting)`, 'queue_full'));
    }
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, group: options.group ?? {}, kind, payload, transfer, resolve: resolve as (v: unknown) => void, reject };
      if (free) return this.start(free, job);
      const line = this.lines.get(job.group);
      if (line) line.push(job);
      else this.lines.set(job.group, [job]);
      this.waitingJobs++;
      options.signal?.addEventListener('abort', () => this.drop(job), { once: true });
    });
  }

  /** Tasks started so far (each a task that a worker ran or is running). */
  started = 0;

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.waitingJobs;
  }

  // A task whose request was abandoned, still waiting: it never runs.
  private drop(job: Job): void {
    const line = this.lines.get(job.group);
    const i = line ? line.indexOf(job) : -1;
    if (i < 0) return;
    line!.splice(i, 1);
    if (!line!.length) this.lines.delete(job.group);
    this.waitingJobs--;
    job.reject(new CancelledError());
  }

  // The next task in turn: the first of the group served longest ago (its line then goes to the back).
  private nextJob(): Job | undefined {
    for (const [group, line] of this.lines) {
      const job = line.shift()!;
      this.lines.delete(group);
      if (line.length) this.lines.set(group, line);
      this.waitingJobs--;
      return job;
    }
    return undefined;
  }

  /** Rejects waiting tasks, lets running ones finish, then stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (let job = this.nextJob(); job; job = this.nextJob()) job.reject(new InferenceError('UNAVAILABLE', 'worker pool is closed'));
    while (this.slots.some((s) => s.job)) await new Promise<void>((r) => this.idle.push(r));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    // Empty execArgv: the entry registers tsx itself, whatever loader flags the parent was started with.
    const worker = new Worker(ENTRY, { workerData: this.init, execArgv: [] });
    const slot: Slot = { worker };
    worker.on('message', (reply: ReplyMessage) => this.finish(slot, reply));
    worker.on('messageerror', (err) => this.fail(slot, new InferenceError('INTERNAL', `task reply could not be read: ${err.message}`)));
    worker.on('error', (err) => { slot.crash = err; });
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private start(slot: Slot, job: Job): void {
    slot.job = job;
    this.started++;
    const message: TaskMessage = { id: job.id, kind: job.kind, payload: job.payload };
    try {
      slot.worker.postMessage(message, job.transfer as never);
    } catch (err) {
      // An uncloneable payload, or a buffer that is already detached: the caller's mistake, not the worker's.
      slot.job = undefined;
      job.reject(new InferenceError('INTERNAL', `task '${job.kind}' payload could not be sent: ${(err as Error).message}`));
      this.dispatch();
    }
  }

  private finish(slot: Slot, reply: ReplyMessage): void {
    const job = slot.job;
    if (!job || job.id !== reply.id) return;
    slot.job = undefined;
    if (reply.ok) job.resolve(reply.result);
    else job.reject(deserializeTaskError(reply.error));
    this.dispatch();
  }

  private fail(slot: Slot, err: InferenceError): void {
    const job = slot.job;
    slot.job = undefined;
    job?.reject(err);
    this.dispatch();
  }

  private onExit(slot: Slot, code: number): void {
    const i = this.slots.indexOf(slot);
    const job = slot.job;
    slot.job = undefined;
    if (job) {
      const why = slot.crash ? slot.crash.message : `exit code ${code}`;
      job.reject(new InferenceError('INTERNAL', `worker crashed while running task '${job.kind}': ${why}`, 'worker_crash'));
    }
    if (this.closed) { this.dispatch(); return; }
    if (i >= 0) this.slots[i] = this.spawn();
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.waitingJobs === 0) break;
      if (!slot.job) this.start(slot, this.nextJob()!);
    }
    if (!this.slots.some((s) => s.job)) for (const wake of this.idle.splice(0)) wake();
  }
}
