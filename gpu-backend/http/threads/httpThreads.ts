/**
 * The main thread's side of the HTTP threads (httpThread.ts): it gives each thread its own descriptor of the API
 * port's listening socket (listenerCopies.ts) and a MessagePort, answers their infer calls with the models, and
 * drains them at shutdown. The threads are a WorkerPool without tasks: it starts them with their init, and replaces
 * one that dies (with a spare descriptor).
 */
import type { Server } from 'node:net';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import { InferenceError } from '../../../shared/errors';
import { CancelledError } from '../../batching/dynamicBatcher';
import { recordOutcome } from '../../models/inferOutcome';
import type { ModelRegistry } from '../../models/modelRegistry';
import { queueTimeoutMs } from '../../models/queuePolicy';
import type { OutputTensor } from '../../models/types';
import { serializeTaskError } from '../../workers/taskErrors';
import { WorkerPool } from '../../workers/workerPool';
import { listenerCopies, type ListenerCopies } from '../../../shared/http/listenerCopies';
import type { DecodedJsonRequest } from '../../../shared/codec/jsonInferRequest';
import type { FromHttpThread, HttpThreadInit, ToHttpThread } from './messages';

const TASKS_MODULE = new URL(import.meta.url.endsWith('.ts') ? './httpThread.ts' : './httpThread.js', import.meta.url);
// Descriptors kept for replacing threads that die.
const SPARES = 4;

/** What the HTTP threads are started with. */
export interface HttpThreadsOptions {
  count: number;
  /** The main thread's listener on the API port: copied for the threads, then it stops accepting. */
  apiServer: Server;
  /** The main thread's loopback listener (HttpServer.listenInternal). */
  mainUrl: string;
  models: ModelRegistry;
  log: Logger;
  requireToken?: string;
  logLevel: string;
  body: HttpThreadInit['body'];
  /** The decode pool's JSON decoder, for bodies of `decodeInPoolFromBytes` or more (absent: the threads decode). */
  decodeJson?: (body: Uint8Array) => Promise<DecodedJsonRequest>;
  decodeInPoolFromBytes?: number;
  jsonDecoder: 'fast' | 'naive';
}

export class HttpThreads {
  private readonly ports = new Set<MessagePort>();
  private readonly drained = new Map<MessagePort, () => void>();

  private constructor(
    private readonly pool: WorkerPool<Record<string, never>>,
    private readonly o: HttpThreadsOptions,
    private readonly copies: ListenerCopies,
  ) {}

  /** Starts `count` threads accepting on the API port; resolves once all of them are listening. */
  static async start(o: HttpThreadsOptions): Promise<HttpThreads> {
    const copies = await listenerCopies(o.apiServer, o.count + SPARES);
    const models = [...o.models.all.values()].map((m) => ({ name: m.name, version: m.version, contract: m.contract }));
    let threads: HttpThreads | undefined;
    const pending: MessagePort[] = [];
    const pool = new WorkerPool<Record<string, never>>({
      size: o.count,
      tasksModule: TASKS_MODULE,
      initFor: (index) => {
        const { port1, port2 } = new MessageChannel();
        if (threads) threads.attach(port1);
        else pending.push(port1);
        const init: HttpThreadInit = { index, fd: copies.fds.shift() ?? -1, mainUrl: o.mainUrl, port: port2, models, requireToken: o.requireToken, logLevel: o.logLevel, body: o.body, decodeInPoolFromBytes: o.decodeJson ? o.decodeInPoolFromBytes : undefined, jsonDecoder: o.jsonDecoder };
        return { init, transfer: [port2] };
      },
      onCrash: (message) => o.log.error({ error: message }, 'HTTP thread crashed; starting another'),
      onRestored: () => o.log.info('HTTP thread replaced; serving again'),
      onRestoreFailed: (message, retryInMs) => o.log.error({ error: message, retryInMs }, 'HTTP thread failed to start'),
    });
    threads = new HttpThreads(pool, o, copies);
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

  /** Asks every thread to stop accepting and finish what it accepted; resolves when all have (or after timeoutMs). */
  async drain(timeoutMs: number): Promise<void> {
    const done = [...this.ports].map((port) => new Promise<void>((resolve) => this.drained.set(port, resolve)));
    for (const port of this.ports) port.postMessage({ t: 'drain', timeoutMs } satisfies ToHttpThread);
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
    const calls = new Map<number, AbortController>();
    port.on('message', (m: FromHttpThread) => {
      if (m.t === 'infer') void this.infer(port, calls, m);
      else if (m.t === 'decode') void this.decode(port, m);
      else if (m.t === 'cancel') calls.get(m.id)?.abort();
      else if (m.t === 'failed') this.failed(m);
      else if (m.t === 'drained') this.drained.get(port)?.();
    });
    port.once('close', () => this.ports.delete(port));
  }

  private async infer(port: MessagePort, calls: Map<number, AbortController>, m: Extract<FromHttpThread, { t: 'infer' }>): Promise<void> {
    const t0 = performance.now();
    const abort = new AbortController();
    calls.set(m.id, abort);
    const model = this.o.models.all.get(m.model);
    const durationNs = () => (performance.now() - t0 + m.elapsedMs) * 1e6;
    try {
      if (!model) throw new InferenceError('NOT_FOUND', `Request for unknown model: '${m.model}' is not found`);
      // No shutdown check here: the thread accepted this request (it refuses new ones once it drains).
      const outputs = await model.infer(m.inputs, { timeoutMs: queueTimeoutMs(model, m.parameters), signal: abort.signal, parameters: m.parameters, outputs: m.outputs });
      recordOutcome(model, durationNs(), null);
      // Each output alone: a view into a batch's buffer would carry the whole buffer across.
      const own: OutputTensor[] = outputs.map((t) => ({ ...t, data: ArrayBuffer.isView(t.data) ? t.data.slice() : t.data }));
      port.postMessage({ t: 'result', id: m.id, outputs: own } satisfies ToHttpThread);
    } catch (err) {
      if (err instanceof CancelledError) {
        port.postMessage({ t: 'error', id: m.id, cancelled: true, error: serializeTaskError(err, 'infer') } satisfies ToHttpThread);
        return;
      }
      if (model) recordOutcome(model, durationNs(), err);
      if (!(err instanceof InferenceError)) this.o.log.error({ err, requestId: m.requestId }, 'request failed');
      port.postMessage({ t: 'error', id: m.id, error: serializeTaskError(err, 'infer') } satisfies ToHttpThread);
    } finally {
      calls.delete(m.id);
    }
  }

  private async decode(port: MessagePort, m: Extract<FromHttpThread, { t: 'decode' }>): Promise<void> {
    try {
      const decoded = await this.o.decodeJson!(m.body);
      // The decoded arrays are new (made by the decode worker): they move on to the thread without a copy.
      const transfer = new Set<ArrayBuffer>();
      for (const t of decoded.tensors) if (ArrayBuffer.isView(t.data) && t.data.buffer instanceof ArrayBuffer) transfer.add(t.data.buffer);
      port.postMessage({ t: 'decoded', id: m.id, decoded } satisfies ToHttpThread, [...transfer]);
    } catch (err) {
      port.postMessage({ t: 'error', id: m.id, error: serializeTaskError(err, 'decode') } satisfies ToHttpThread);
    }
  }

  private failed(m: Extract<FromHttpThread, { t: 'failed' }>): void {
    this.o.models.all.get(m.model)?.telemetry.requestFailed(m.elapsedMs * 1e6, m.reason);
  }
}
