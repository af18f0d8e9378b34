/**
 * The gateway main thread's side of its HTTP threads (gatewayThread.ts): ListenerThreads starts them on copies of
 * the gateway's listening socket, replaces one that dies and drains them; over each thread's port, this takes
 * tokens from the one set of rate-limit buckets and hands over the keys the main thread has read.
 */
import type { Server } from 'node:http';
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from '../../shared/log/logger';
import type { KeysFile } from '../auth/keysFile';
import { ListenerThreads } from '../../gpu-backend/workers/listenerThreads';
import type { GatewayOptions } from '../nodeOptions';
import type { RateLimiter } from '../types';
import type { FromGatewayThread, GatewayThreadInit, ToGatewayThread } from './messages';

const TASKS_MODULE = new URL(import.meta.url.endsWith('.ts') ? './gatewayThread.ts' : './gatewayThread.js', import.meta.url);

export interface GatewayThreadsOptions {
  count: number;
  /** The main thread's listener: copied for the threads. */
  server: Server;
  options: GatewayOptions;
  /** The keys the threads start with. */
  keys: KeysFile;
  limiter: RateLimiter;
  log: Logger;
}

export class GatewayThreads {
  private readonly reloads = new Map<MessagePort, Map<number, (error?: string) => void>>();
  private nextId = 0;

  private constructor(
    private readonly threads: ListenerThreads,
    private readonly o: GatewayThreadsOptions,
    /** The keys a thread starts with, a replacement thread's too: the last sent. */
    private readonly current: { keys: KeysFile },
  ) {}

  /** Starts `count` threads accepting on the gateway's port; resolves once all of them listen. */
  static async start(o: GatewayThreadsOptions): Promise<GatewayThreads> {
    const current = { keys: o.keys };
    const threads = await ListenerThreads.start<GatewayThreadInit>({
      count: o.count,
      server: o.server,
      tasksModule: TASKS_MODULE,
      initFor: (index, fd, port) => ({ index, fd, port, options: o.options, keys: current.keys }),
      log: o.log,
      what: 'gateway HTTP thread',
    });
    const owner = new GatewayThreads(threads, o, current);
    threads.forEachPort((port) => owner.attach(port));
    return owner;
  }

  get size(): number {
    return this.threads.size;
  }

  /** Gives every thread these keys (the main thread read them once); rejects with the first thread's error. */
  async reloadKeys(keys: KeysFile): Promise<void> {
    this.current.keys = keys;
    const answers = [...this.threads.ports].map((port) => {
      const id = ++this.nextId;
      return new Promise<string | undefined>((resolve) => {
        this.reloads.get(port)?.set(id, resolve);
        port.postMessage({ t: 'reloadKeys', id, keys } satisfies ToGatewayThread);
      });
    });
    const failed = (await Promise.all(answers)).find((e) => e !== undefined);
    if (failed) throw new Error(failed);
  }

  /** Asks every thread to stop accepting and finish what it accepted; resolves when all have (or after timeoutMs). */
  drain(timeoutMs: number): Promise<void> {
    return this.threads.drain(timeoutMs);
  }

  close(): Promise<void> {
    return this.threads.close();
  }

  private attach(port: MessagePort): void {
    const reloads = new Map<number, (error?: string) => void>();
    this.reloads.set(port, reloads);
    port.on('message', (m: FromGatewayThread) => {
      if (m.t === 'take') void this.take(port, m);
      else if (m.t === 'reloaded') {
        reloads.get(m.id)?.(m.error);
        reloads.delete(m.id);
      }
    });
    port.once('close', () => {
      for (const resolve of reloads.values()) resolve();
      this.reloads.delete(port);
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
