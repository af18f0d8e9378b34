/**
 * The main thread's side of the HTTP threads (httpThread.ts): ListenerThreads starts them on copies of the API
 * port's listening socket, replaces one that dies and drains them; this answers their infer calls with the models.
 */
import type { Server } from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import { InferenceError } from '../../../shared/errors';
import { CancelledError } from '../../batching/dynamicBatcher';
import { recordOutcome } from '../../models/inferOutcome';
import type { ModelRegistry } from '../../models/modelRegistry';
import { queueTimeoutMs } from '../../models/queuePolicy';
import type { OutputTensor } from '../../models/types';
import { serializeTaskError } from '../../workers/taskErrors';
import { ListenerThreads } from '../../workers/listenerThreads';
import type { DecodedJsonRequest } from '../../../shared/codec/jsonInferRequest';
import type { FromHttpThread, HttpThreadInit, ToHttpThread } from './messages';

const TASKS_MODULE = new URL(import.meta.url.endsWith('.ts') ? './httpThread.ts' : './httpThread.js', import.meta.url);

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
  private constructor(
    private readonly threads: ListenerThreads,
    private readonly o: HttpThreadsOptions,
  ) {}

  /** Starts `count` threads accepting on the API port; resolves once all of them are listening. */
  static async start(o: HttpThreadsOptions): Promise<HttpThreads> {
    const models = [...o.models.all.values()].map((m) => ({ name: m.name, version: m.version, contract: m.contract }));
    const threads = await ListenerThreads.start<HttpThreadInit>({
      count: o.count,
      server: o.apiServer,
      tasksModule: TASKS_MODULE,
      initFor: (index, fd, port) => ({ index, fd, mainUrl: o.mainUrl, port, models, requireToken: o.requireToken, logLevel: o.logLevel, body: o.body, decodeInPoolFromBytes: o.decodeJson ? o.decodeInPoolFromBytes : undefined, jsonDecoder: o.jsonDecoder }),
      log: o.log,
      what: 'HTTP thread',
    });
    const owner = new HttpThreads(threads, o);
    threads.forEachPort((port) => owner.attach(port));
    return owner;
  }

  get size(): number {
    return this.threads.size;
  }

  /** Asks every thread to stop accepting and finish what it accepted; resolves when all have (or after timeoutMs). */
  drain(timeoutMs: number): Promise<void> {
    return this.threads.drain(timeoutMs);
  }

  close(): Promise<void> {
    return this.threads.close();
  }

  private attach(port: MessagePort): void {
    const calls = new Map<number, AbortController>();
    port.on('message', (m: FromHttpThread) => {
      if (m.t === 'infer') void this.infer(port, calls, m);
      else if (m.t === 'decode') void this.decode(port, m);
      else if (m.t === 'cancel') calls.get(m.id)?.abort();
      else if (m.t === 'failed') this.failed(m);
    });
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
