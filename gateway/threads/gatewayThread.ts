/**
 * A gateway HTTP thread: it accepts on its own descriptor of the gateway's port and serves every route with an app
 * of its own (its own backend pools, health checks, key store and cache), so that reading, checking and relaying bodies
 * runs on as many event loops as there are threads. Only the rate limits stay in one place: each take goes to the
 * main thread's buckets over this thread's port.
 *
 * A WorkerPool tasks module: `init` starts the server; there are no tasks.
 */
import type { Server } from 'node:http';
import type { MessagePort } from 'node:worker_threads';
import { createAdaptorServer } from '@hono/node-server';
import { createLogger } from '../../shared/log/createLogger';
import { nameThisThread } from '../../gpu-backend/workers/threadName';
import type { TaskTable } from '../../gpu-backend/workers/tasks';
import { MemoryKeyStore } from '../auth/memoryKeyStore';
import type { KeysFile } from '../auth/keysFile';
import { closeHttpServer, createNodeGatewayApp } from '../node';
import type { RateDecision, RateLimiter, TenantPolicy } from '../types';
import type { FromGatewayThread, GatewayThreadInit, ToGatewayThread } from './messages';

export const TASKS = {} satisfies TaskTable;

export async function init(d: GatewayThreadInit): Promise<string> {
  if (d.fd < 0) throw new Error('no copy of the listening socket for this gateway thread');
  nameThisThread(`siglip-gw-${d.index}`);
  const opts = d.options;
  const log = createLogger({ level: opts.logLevel }).child({ service: 'gateway', thread: `http-${d.index}` });
  const main = new MainThread(d.port);
  let keyStore = new MemoryKeyStore(d.keys);
  const app = createNodeGatewayApp(opts, log, { lookup: (key) => keyStore.lookup(key) }, main);
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd: d.fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  main.onReloadKeys = (keys) => {
    keyStore = new MemoryKeyStore(keys);
  };
  main.onDrain = async (timeoutMs) => {
    await closeHttpServer(server, timeoutMs);
    await app.close();
    main.send({ t: 'drained' });
  };
  return `gateway http-${d.index} listening`;
}

/** The main thread, over this thread's port: the rate limiter, the keys reload and the drain order. */
class MainThread implements RateLimiter {
  private id = 0;
  private readonly waiting = new Map<number, { resolve: (d: RateDecision) => void; reject: (e: Error) => void }>();
  onReloadKeys: (keys: KeysFile) => void = () => {};
  onDrain: (timeoutMs: number) => Promise<void> = async () => {};

  constructor(private readonly port: MessagePort) {
    port.on('message', (m: ToGatewayThread) => {
      if (m.t === 'drain') return void this.onDrain(m.timeoutMs);
      if (m.t === 'reloadKeys') {
        try {
          this.onReloadKeys(m.keys);
          this.send({ t: 'reloaded', id: m.id });
        } catch (err) {
          this.send({ t: 'reloaded', id: m.id, error: (err as Error).message });
        }
        return;
      }
      const call = this.waiting.get(m.id);
      if (!call) return;
      this.waiting.delete(m.id);
      if (m.t === 'taken') call.resolve(m.decision);
      else call.reject(new Error(m.message));
    });
  }

  send(m: FromGatewayThread): void {
    this.port.postMessage(m);
  }

  take(tenant: TenantPolicy, cost: number): Promise<RateDecision> {
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.send({ t: 'take', id, tenant, cost });
    });
  }
}
