/**
 * The gateway main thread's side of its HTTP threads (gatewayThread.ts): each gets its own descriptor of the
 * listening socket (shared/http/listenerCopies.ts) and a MessagePort, over which the main thread takes tokens from
 * the one set of rate-limit buckets, has the keys file read again, and drains the threads at shutdown. A WorkerPool
 * without tasks starts them and replaces one that dies (with a spare descriptor).
 */
import type { Server } from 'node:http';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { listenerCopies, type ListenerCopies } from '../../shared/http/listenerCopies';
import type { Logger } from '../../shared/log/logger';
import { WorkerPool } from '../../gpu-backend/workers/workerPool';
import type { GatewayOptions } from '../nodeOptions';
import type { RateLimiter } from '../types';
import type { FromGatewayThread, GatewayThreadInit, ToGatewayThread } from './messages';

const TASKS_MODULE = new URL(import.meta.url.endsWith('.ts') ? './gatewayThread.ts' : './gatewayThread.js', import.meta.url);
// Descriptors kept for replacing threads that die.
const SPARES = 4;

export interface GatewayThreadsOptions {
  count: number;
  /** The main thread's listener: copied for the threads. */
  server: Server;
  options: GatewayOptions;
  limiter: RateLimiter;
  log: Logger;
}

export class GatewayThreads {
  private readonly ports = new Set<MessagePort>();
  private readonly waits = new Map<MessagePort, { drained?: () => void; reloaded: Map<number, (error?: string) => void> }>();
  private nextId = 0;

  private constructor(
    private readonly pool: WorkerPool<Record<string, never>>,
    private readonly o: GatewayThreadsOptions,
    private readonly copies: ListenerCopies,
  ) {}

  /** Starts `count` threads accepting on the gateway's port; resolves once all of them listen. */
  static async start(o: GatewayThreadsOptions): Promise<GatewayThreads> {
    const copies = await listenerCopies(o.server, o.count + SPARES);
    let threads: GatewayThreads | undefined;
    const pending: MessagePort[] = [];
    const pool = new WorkerPool<Record<string, never>>({
      size: o.count,
      tasksModule: TASKS_MODULE,
      initFor: (index) => {
        const { port1, port2 } = new MessageChannel();
        if (threads) threads.attach(port1);
        else pending.push(port1);
        const init: GatewayThreadInit = { index, fd: copies.fds.shift() ?? -1, port: port2, options: o.options };
        return { init, transfer: [port2] };
      },
      onCrash: (message) => o.log.error({ error: message }, 'gateway HTTP thread crashed; starting another'),
      onRestored: () => o.log.info({}, 'gateway HTTP thread replaced; serving again'),
      onRestoreFailed: (message, retryInMs) => o.log.error({ error: message, retryInMs }, 'gateway HTTP thread failed to start'),
    });
    threads = new GatewayThreads(pool, o, copies);
    for (const p of pending) threads.attach(p);
    try {
      await pool.ready;
    } catch (err) {
      await threads.close();
      throw err;
    }
    return threads;
  }

  get size(): number {
    return this.pool.size;
  }

  /** Has every thread read the keys again; rejects with the first thread's error. */
  async reloadKeys(): Promise<void> {
    const answers = [...this.ports].map((port) => {
      const id = ++this.nextId;
      return new Promise<string | undefined>((resolve) => {
        this.waits.get(port)?.reloaded.set(id, resolve);
        port.postMessage({ t: 'reloadKeys', id } satisfies ToGatewayThread);
      });
    });
    const failed = (await Promise.all(answers)).find((e) => e !== undefined);
    if (failed) throw new Error(failed);
  }

  /** Asks every thread to stop accepting and finish what it accepted; resolves when all have (or after timeoutMs). */
  async drain(timeoutMs: number): Promise<void> {
    const done = [...this.ports].map((port) => new Promise<void>((resolve) => {
      const w = this.waits.get(port);
      if (w) w.drained = resolve;
    }));
    for (const port of this.ports) port.postMessage({ t: 'drain', timeoutMs } satisfies ToGatewayThread);
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
    const w = { reloaded: new Map<number, (error?: string) => void>() } as { drained?: () => void; reloaded: Map<number, (error?: string) => void> };
    this.waits.set(port, w);
    port.on('message', (m: FromGatewayThread) => {
      if (m.t === 'take') void this.take(port, m);
      else if (m.t === 'reloaded') {
        w.reloaded.get(m.id)?.(m.error);
        w.reloaded.delete(m.id);
      } else if (m.t === 'drained') w.drained?.();
    });
    port.once('close', () => {
      this.ports.delete(port);
      for (const resolve of w.reloaded.values()) resolve();
      w.drained?.();
      this.waits.delete(port);
    });
  }

  private async take(port: MessagePort, m: Extract<FromGatewayThread, { t: 'take' }>): Promise<void> {
    try {
      const decision = await this.o.limiter.take(m.tenant, m.cost);
      port.postMessage({ t: 'taken', id: m.id, decision } satisfies ToGatewayThread);
    } catch (err) {
      port.postMessage({ t: 'takeFailed', id: m.id, message: (err as Error).message } satisfies ToGatewayThread);
    }
  }
}
