/**
 * Threads that each accept on their own descriptor of one listening socket (shared/http/listenerCopies.ts): the
 * backend's HTTP threads and the Node gateway's. It starts them as a WorkerPool without tasks (which replaces one
 * that dies, with a spare descriptor), gives each a MessagePort whose main-thread end goes to the owner, drains them
 * (`{t: 'drain', timeoutMs}` → `{t: 'drained'}`), and at close gives back the spare descriptors.
 */
import type { Server } from 'node:net';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { listenerCopies, type ListenerCopies } from '../../shared/http/listenerCopies';
import type { Logger } from '../../shared/log/logger';
import { WorkerPool } from './workerPool';

// Descriptors kept for replacing threads that die.
const SPARES = 4;

export interface ListenerThreadsOptions<Init> {
  count: number;
  /** The listener whose socket the threads accept on. */
  server: Server;
  /** The threads' tasks module: its `init(Init)` starts the thread's server on the descriptor it is given. */
  tasksModule: URL;
  /** Thread `index`'s init, with its descriptor and its end of the port (transferred with it). */
  initFor: (index: number, fd: number, port: MessagePort) => Init;
  log: Logger;
  /** What a thread is called in log lines ("HTTP thread"). */
  what: string;
}

export class ListenerThreads {
  readonly ports = new Set<MessagePort>();
  private readonly drained = new Map<MessagePort, () => void>();
  private readonly owners: ((port: MessagePort) => void)[] = [];
  private pool!: WorkerPool<Record<string, never>>;
  private copies!: ListenerCopies;

  private constructor() {}

  /** Starts `count` threads accepting on `server`'s socket; resolves once all of them listen. */
  static async start<Init>(o: ListenerThreadsOptions<Init>): Promise<ListenerThreads> {
    const threads = new ListenerThreads();
    threads.copies = await listenerCopies(o.server, o.count + SPARES);
    threads.pool = new WorkerPool<Record<string, never>>({
      size: o.count,
      tasksModule: o.tasksModule,
      initFor: (index) => {
        const { port1, port2 } = new MessageChannel();
        threads.attach(port1);
        return { init: o.initFor(index, threads.copies.fds.shift() ?? -1, port2), transfer: [port2] };
      },
      onCrash: (message) => o.log.error({ error: message }, `${o.what} crashed; starting another`),
      onRestored: () => o.log.info({}, `${o.what} replaced; serving again`),
      onRestoreFailed: (message, retryInMs) => o.log.error({ error: message, retryInMs }, `${o.what} failed to start`),
    });
    try {
      await threads.pool.ready;
    } catch (err) {
      await threads.close();
      throw err;
    }
    return threads;
  }

  get size(): number {
    return this.pool.size;
  }

  /** Hands `owner` the main thread's end of every thread's port: those of now, and a replacement thread's later. */
  forEachPort(owner: (port: MessagePort) => void): void {
    this.owners.push(owner);
    for (const port of this.ports) owner(port);
  }

  /** Ends thread `i` abruptly, as a crash would (fault injection): it is replaced, on a spare descriptor. */
  kill(i = 0): Promise<void> {
    return this.pool.kill(i);
  }

  /** Asks every thread to stop accepting and finish what it accepted; resolves when all have (or after timeoutMs). */
  async drain(timeoutMs: number): Promise<void> {
    const done = [...this.ports].map((port) => new Promise<void>((resolve) => this.drained.set(port, resolve)));
    for (const port of this.ports) port.postMessage({ t: 'drain', timeoutMs });
    await Promise.race([Promise.all(done), new Promise((r) => setTimeout(r, timeoutMs + 1000).unref())]);
  }

  async close(): Promise<void> {
    await this.pool.close();
    // The spare descriptors: left open, they would go on queueing connections that nobody accepts.
    this.copies.closeUnused();
    for (const port of this.ports) port.close();
    this.ports.clear();
  }

  private attach(port: MessagePort): void {
    this.ports.add(port);
    for (const owner of this.owners) owner(port);
    port.on('message', (m: { t?: string }) => {
      if (m.t === 'drained') this.drained.get(port)?.();
    });
    port.once('close', () => {
      this.ports.delete(port);
      this.drained.get(port)?.();
    });
  }
}
