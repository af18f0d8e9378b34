/**
 * An HTTP thread: it accepts on its own copy of the API port and serves infer requests itself (reading the body
 * into its own shared-memory pool, decoding and checking it against the model's contract), while the main thread
 * keeps only what must be in one place: the queue, the batches and the models. The request's tensors cross to
 * the main thread without a copy (shared memory, or transferred), the outputs come back, and this thread writes the
 * answer. Every other request (metadata, statistics, health, repository, shared memory, embeddings) is passed to
 * the main thread's loopback listener as it is, and logged there.
 *
 * A WorkerPool tasks module: `init` starts the server; there are no tasks.
 */
import { request as httpRequest, Agent } from 'node:http';
import type { MessagePort } from 'node:worker_threads';
import { decodeJsonInferRequest, decodeJsonInferRequestNaive, type DecodedJsonRequest } from '../../../shared/codec/jsonInferRequest';
import { InferenceError, unavailable } from '../../../shared/errors';
import { BodyBufferPool } from '../../../shared/http/bodyBufferPool';
import { createLogger } from '../../../shared/log/createLogger';
import { CancelledError } from '../../batching/dynamicBatcher';
import type { OutputTensor } from '../../models/types';
import { SystemSharedMemory } from '../../shm/systemSharedMemory';
import { nameThisThread } from '../../workers/threadName';
import { deserializeTaskError } from '../../workers/taskErrors';
import type { TaskTable } from '../../workers/tasks';
import { ByteBudget } from '../body/byteBudget';
import { HttpServer, logElsewhere } from '../httpServer';
import { encodeInferResponse } from '../inferCodec';
import { sendError, sendInferResponse } from '../respond';
import { Router, type RouteContext } from '../router';
import { readInferRequest, ServeOnMainThread, type InferRequestReading } from '../routes/inferRequest';
import { tokenCheck } from '../tokenCheck';
import type { FromHttpThread, HttpThreadInit, ThreadModel, ToHttpThread } from './messages';

export const TASKS = {} satisfies TaskTable;

// Headers that belong to one connection, not to the request passed on.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export async function init(d: HttpThreadInit): Promise<string> {
  if (d.fd < 0) throw new Error('no copy of the listening socket for this HTTP thread');
  nameThisThread(`siglip-http-${d.index}`);
  const log = createLogger({ level: d.logLevel as never }).child({ service: 'backend', thread: `http-${d.index}` });
  const lifecycle = { shuttingDown: false };
  const main = new MainThread(d.port);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const mainUrl = new URL(d.mainUrl);

  // Everything but infer, to the main thread as it came (that body too when an infer must be served there).
  const toMain = ({ req, res }: RouteContext, body?: Uint8Array): Promise<void> =>
    new Promise<void>((resolve) => {
      logElsewhere(res);
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
      headers['x-request-id'] = res.getHeader('x-request-id') as string;
      if (body) headers['content-length'] = String(body.byteLength);
      const out = httpRequest({ host: mainUrl.hostname, port: mainUrl.port, method: req.method, path: req.url, headers, agent }, (answer) => {
        const back: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) back[k] = v;
        res.writeHead(answer.statusCode ?? 502, back);
        answer.pipe(res);
        answer.once('end', resolve);
        answer.once('error', () => (res.destroy(), resolve()));
      });
      out.once('error', (err) => {
        sendError(res, unavailable(`backend main thread did not answer (${err.message}); retry shortly`, 'unavailable'), log);
        resolve();
      });
      res.once('close', () => {
        if (!res.writableFinished) out.destroy();
        resolve();
      });
      if (body) out.end(body);
      else req.pipe(out);
    });

  const decodeHere = d.jsonDecoder === 'naive' ? decodeJsonInferRequestNaive : decodeJsonInferRequest;
  const reading: InferRequestReading = {
    admission: {
      budget: new ByteBudget({ capacity: d.body.capacity, maxWaiting: d.body.maxWaiting, maxWaitMs: d.body.maxWaitMs }),
      maxBodyBytes: d.body.maxBodyBytes,
      bodyIdleTimeoutMs: d.body.idleTimeoutMs,
    },
    bodyPool: new BodyBufferPool(Math.max(d.body.capacity, 64 * 1024 * 1024), undefined, true),
    // A big JSON body is read in place by the main thread's decode pool (several at once); a small one here.
    decodeJson: async (body) => (d.decodeInPoolFromBytes !== undefined && body.byteLength >= d.decodeInPoolFromBytes ? main.decode(body) : decodeHere(body)),
    decodeJsonInline: decodeHere,
    shm: new SystemSharedMemory({ enabled: false }),
    sharedMemoryElsewhere: true,
  };

  const infer = async (c: RouteContext, model: ThreadModel): Promise<void> => {
    const { req, res } = c;
    const started = performance.now();
    const id = main.nextId();
    let asked = false;
    let release: ((reuse?: boolean) => void) | undefined;
    res.once('close', () => {
      if (!res.writableFinished && asked) main.send({ t: 'cancel', id });
    });
    try {
      if (lifecycle.shuttingDown) throw unavailable('Server is shutting down', 'shutdown');
      const read = await readInferRequest(reading, req, model);
      const parsed = read.request;
      release = read.release;
      asked = true;
      const outputs = await main.infer({
        t: 'infer',
        id,
        model: model.name,
        version: c.params.version,
        inputs: parsed.inputs,
        parameters: parsed.parameters,
        outputs: parsed.outputs.map((o) => o.name),
        elapsedMs: performance.now() - started,
        requestId: res.getHeader('x-request-id') as string,
      });
      release();
      sendInferResponse(res, encodeInferResponse(model.name, model.version, parsed, outputs));
    } catch (err) {
      release?.(false);
      if (err instanceof ServeOnMainThread) return toMain(c, err.body);
      if (err instanceof CancelledError) return void res.destroy();
      // Refused before inference (a bad body): the main thread counts it as the HTTP path would.
      if (!asked) main.send({ t: 'failed', model: model.name, elapsedMs: performance.now() - started, reason: err instanceof InferenceError ? err.reason.toLowerCase() : 'internal' });
      sendError(res, err, log);
    }
  };

  const byName = new Map(d.models.map((m) => [m.name, m]));
  const router = new Router();
  // An infer of a model this thread knows (at its version); anything else, the main thread answers.
  const local = (c: RouteContext) => {
    const m = byName.get(c.params.model);
    if (!m || (c.params.version !== undefined && c.params.version !== m.version)) return toMain(c);
    return infer(c, m);
  };
  router.add('POST', '/v2/models/:model/infer', local);
  router.add('POST', '/v2/models/:model/versions/:version/infer', local);

  const http = new HttpServer({ log, lifecycle, checkToken: tokenCheck(d.requireToken), fallback: (c) => toMain(c) });
  http.serve(router);
  await http.listenOnDescriptor(d.fd);

  main.onDrain = async (timeoutMs) => {
    lifecycle.shuttingDown = true;
    await http.drain(timeoutMs);
    await http.close();
    agent.destroy();
    main.send({ t: 'drained' });
  };
  return `http-${d.index} listening`;
}

/** The main thread, over this thread's port: infer calls by id, and the drain order. */
class MainThread {
  private id = 0;
  private readonly waiting = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void }>();
  onDrain: (timeoutMs: number) => Promise<void> = async () => {};

  constructor(private readonly port: MessagePort) {
    port.on('message', (m: ToHttpThread) => {
      if (m.t === 'drain') return void this.onDrain(m.timeoutMs);
      const call = this.waiting.get(m.id);
      if (!call) return;
      this.waiting.delete(m.id);
      if (m.t === 'result') call.resolve(m.outputs as never);
      else if (m.t === 'decoded') call.resolve(m.decoded as never);
      else call.reject(m.cancelled ? new CancelledError() : deserializeTaskError(m.error));
    });
  }

  nextId(): number {
    return ++this.id;
  }

  send(m: FromHttpThread): void {
    this.port.postMessage(m);
  }

  /** Has the decode pool read a JSON body in shared memory; its typed arrays come back transferred. */
  decode(body: Uint8Array): Promise<DecodedJsonRequest> {
    const id = this.nextId();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.port.postMessage({ t: 'decode', id, body } satisfies FromHttpThread);
    });
  }

  /** Asks for inference; the request's own buffers move across (shared memory is shared, not copied). */
  infer(m: Extract<FromHttpThread, { t: 'infer' }>): Promise<OutputTensor[]> {
    const transfer = new Set<ArrayBuffer>();
    for (const t of m.inputs) {
      const data = t.data as unknown;
      if (ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer && data.byteLength === data.buffer.byteLength) transfer.add(data.buffer);
    }
    return new Promise((resolve, reject) => {
      this.waiting.set(m.id, { resolve, reject });
      this.port.postMessage(m, [...transfer]);
    });
  }
}

