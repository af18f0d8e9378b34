/**
 * The one worker-thread primitive: a fixed pool of threads running named tasks from a tasks module, with
 * zero-copy transfer both ways, a bounded queue served fairly between groups (requests), cancellation of tasks
 * not yet started, an optional per-thread `init` (a loaded model), and respawn of a thread that dies.
 *
 * Used for the decode/preprocess pool and for each ONNX Runtime instance (a pool of one whose init opens the
 * session). piscina measured no faster (bench suite `workers`) and would abort a running task by terminating its
 * thread and keep abortable tasks out of a custom queue, which breaks queued-only cancellation and fairness.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InferenceError } from '../../shared/errors';
import { CancelledError } from '../batching/dynamicBatcher';
import type { TASKS, TaskPayload, TaskResult, TaskTable } from './tasks';
import { deserializeTaskError } from './taskErrors';
import type { FromWorker, TaskMessage, WorkerInit } from './workerThread';

/** What a pool reports about its threads. */
export interface WorkerPoolEvents {
  /** A thread died (not closed by the pool); a replacement is being started. */
  onCrash?(message: string): void;
  /** A replacement thread finished its init and serves again. */
  onRestored?(): void;
  /** A replacement's init failed; another attempt follows after `retryInMs`. */
  onRestoreFailed?(message: string, retryInMs: number): void;
}

/** Options of a WorkerPool; all optional. */
export interface WorkerPoolOptions extends WorkerPoolEvents {
  /** Worker threads (default: os.availableParallelism()). */
  size?: number;
  /** Tasks waiting for a free worker beyond which run() answers UNAVAILABLE at once (default 1024). */
  maxQueue?: number;
  /** The tasks module the workers load (default: ./tasks.ts); it must export `TASKS`, and may export `init`. */
  tasksModule?: URL;
  /** Passed to the tasks module's `init` in each thread before it serves (e.g. the model to open). */
  init?: unknown;
  /** Its threads' name in /proc, for per-thread CPU readings (e.g. siglip-decode). */
  name?: string;
  /**
   * Per-thread init instead of `init`, called for every thread started (first and replacement), with what to
   * transfer to it (e.g. a MessagePort of its own, so that the thread can also make requests of its owner).
   */
  initFor?: (slot: number) => { init: unknown; transfer?: Transferable[] };
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
  /** Its init is done and it takes tasks. */
  ready: boolean;
  job?: Job;
  /** Set by the 'error' event, which comes before 'exit' when a task throws outside its promise. */
  crash?: Error;
}

// Source (tests, tsx): a plain-JavaScript entry registers tsx in the thread; built (dist/, scripts/build.mjs): the
// bundled thread and tasks, beside this module.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const DEFAULT_TASKS = new URL(FROM_SOURCE ? './tasks.ts' : './tasks.js', import.meta.url);
const ENTRY = new URL(FROM_SOURCE ? './workerEntry.mjs' : './workerThread.js', import.meta.url);

/** Runs tasks from a tasks table in worker threads; `T` is that table's type. */
export class WorkerPool<T extends TaskTable = typeof TASKS> {
  readonly size: number;
  /** Tasks started so far (each a task that a worker ran or is running). */
  started = 0;
  /** Resolves with the first thread's init result once every thread is ready; rejects if an init fails. */
  readonly ready: Promise<unknown>;
  private readonly maxQueue: number;
  private readonly workerInit: WorkerInit;
  private readonly initFor: WorkerPoolOptions['initFor'];
  private readonly events: WorkerPoolEvents;
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
    this.workerInit = { tasksModule: (options.tasksModule ?? DEFAULT_TASKS).href, init: options.init, name: options.name };
    this.events = options;
    this.initFor = options.initFor;
    const inits: Promise<unknown>[] = [];
    for (let i = 0; i < this.size; i++) {
      const { slot, initialized } = this.spawn(i);
      this.slots.push(slot);
      inits.push(initialized);
    }
    this.ready = Promise.all(inits).then((results) => results[0]);
    // A pool whose owner never awaits `ready` must not crash the process with an unhandled rejection.
    this.ready.catch(() => {});
  }

  /** Every thread is ready (none is being replaced). */
  get healthy(): boolean {
    return !this.closed && this.slots.every((s) => s.ready);
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.waitingJobs;
  }

  /**
   * Runs `kind` in a worker. Buffers in `transfer` move to the worker without copying (they are detached here
   * once the task starts); the buffers the task lists come back the same way.
   */
  run<K extends keyof T & string>(kind: K, payload: TaskPayload<T, K>, transfer: Transferable[] = [], options: RunOptions = {}): Promise<TaskResult<T, K>> {
    if (this.closed) return Promise.reject(new InferenceError('UNAVAILABLE', 'worker pool is closed'));
    if (options.signal?.aborted) return Promise.reject(new CancelledError());
    const free = this.slots.find((s) => s.ready && !s.job);
    if (!free && this.waitingJobs >= this.maxQueue) {
      return Promise.reject(new InferenceError('UNAVAILABLE', `worker pool queue is full (${this.maxQueue} tasks waiting)`, 'queue_full'));
    }
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, group: options.group ?? {}, kind, payload, transfer, resolve: resolve, reject };
      if (free) return this.start(free, job);
      const line = this.lines.get(job.group);
      if (line) line.push(job);
      else this.lines.set(job.group, [job]);
      this.waitingJobs++;
      // Waiting work keeps the process alive, as running work does.
      for (const s of this.slots) s.worker.ref();
      options.signal?.addEventListener('abort', () => this.drop(job), { once: true });
    });
  }

  /** Ends thread `i` abruptly, as a crash would (fault injection): it is replaced like a crashed one. */
  async kill(i = 0): Promise<void> {
    await this.slots[i]?.worker.terminate();
  }

  /** Rejects waiting tasks, lets running ones finish, then stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (let job = this.nextJob(); job; job = this.nextJob()) job.reject(new InferenceError('UNAVAILABLE', 'worker pool is closed'));
    while (this.slots.some((s) => s.job)) await new Promise<void>((r) => this.idle.push(r));
    // Held while they stop, so that whoever awaits close() sees it finish.
    for (const s of this.slots) s.worker.ref();
    // A timer of its own keeps the process alive until every thread has exited: a worker's handle may already be
    // gone while its terminate() is still settling, and an awaited promise alone keeps nothing alive (a script
    // awaiting close() would then end with exit code 13).
    const alive = setInterval(() => {}, 1000);
    try {
      await Promise.all(this.slots.map((s) => s.worker.terminate()));
    } finally {
      clearInterval(alive);
    }
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

  private spawn(index: number): { slot: Slot; initialized: Promise<unknown> } {
    const own = this.initFor?.(index);
    const workerData: WorkerInit = own ? { ...this.workerInit, init: own.init } : this.workerInit;
    // Empty execArgv: the entry registers tsx itself, whatever loader flags the parent was started with.
    const worker = new Worker(ENTRY, { workerData, transferList: own?.transfer as never, execArgv: [] });
    const slot: Slot = { worker, ready: false };
    let settleInit!: { resolve: (v: unknown) => void; reject: (e: Error) => void };
    const initialized = new Promise<unknown>((resolve, reject) => (settleInit = { resolve, reject }));
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        slot.ready = true;
        settleInit.resolve(m.result);
        this.dispatch();
      } else if (m.type === 'init-error') {
        settleInit.reject(deserializeTaskError(m.error));
        void worker.terminate();
      } else this.finish(slot, m);
    });
    worker.on('messageerror', (err) => this.fail(slot, new InferenceError('INTERNAL', `task reply could not be read: ${err.message}`)));
    worker.on('error', (err) => {
      slot.crash = err;
    });
    worker.on('exit', (code) => {
      settleInit.reject(new Error(`worker thread exited with code ${code} before it was ready${slot.crash ? `: ${slot.crash.message}` : ''}`));
      this.onExit(slot, code);
    });
    // A thread keeps the process alive while it starts (someone awaits `ready`) and while it has work; idle, it
    // does not (see dispatch).
    return { slot, initialized };
  }

  private start(slot: Slot, job: Job): void {
    slot.job = job;
    this.started++;
    slot.worker.ref();
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

  private finish(slot: Slot, reply: Extract<FromWorker, { type: 'reply' }>): void {
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
    const wasReady = slot.ready;
    slot.job = undefined;
    slot.ready = false;
    const why = slot.crash ? slot.crash.message : `exit code ${code}`;
    if (job) job.reject(new InferenceError('INTERNAL', `worker crashed while running task '${job.kind}': ${why}`, 'worker_crash'));
    if (this.closed || i < 0) return this.dispatch();
    // A thread that never got ready failed its init: the caller of `ready` (or the restore loop) handles it.
    if (!wasReady) return;
    this.events.onCrash?.(`worker thread died (${why})`);
    void this.replace(i);
  }

  // Starts a replacement for slot i, retrying its init with backoff; tasks wait in the queue meanwhile.
  private async replace(i: number): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      const { slot, initialized } = this.spawn(i);
      this.slots[i] = slot;
      try {
        await initialized;
        this.events.onRestored?.();
        return;
      } catch (err) {
        const retryInMs = Math.min(30_000, 500 * 2 ** attempt);
        this.events.onRestoreFailed?.((err as Error).message, retryInMs);
        await new Promise((r) => setTimeout(r, retryInMs).unref());
      }
    }
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.waitingJobs === 0) break;
      if (slot.ready && !slot.job) this.start(slot, this.nextJob()!);
    }
    if (this.waitingJobs === 0) for (const s of this.slots) if (s.ready && !s.job) s.worker.unref();
    if (!this.slots.some((s) => s.job)) for (const wake of this.idle.splice(0)) wake();
  }
}
