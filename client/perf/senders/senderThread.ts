// A sender thread: keeps its share of the load going and records every request. It runs in a worker thread so
// that the profiler's own work (summaries, server stats, printing) never delays a send.
import { parentPort, workerData, type Transferable } from 'node:worker_threads';
import { requestStep } from '../inputs/inputDataset';
import { runRateLoop } from '../load/rateLoop';
import { ScheduleCursor } from '../load/rateSchedule';
import type { PreparedRequest } from '../requests/preparedRequest';
import { createGrpcSender } from './grpcSender';
import { createHttpSender, type RequestSender, type SendResult } from './httpSender';
import { RecordBuffer } from './requestRecords';
import type { FromSender, SenderInit, ToSender } from './senderMessages';

const init = workerData as SenderInit;
const port = parentPort!;
const post = (m: FromSender, transfer: Transferable[] = []) => port.postMessage(m, transfer);
const nowNs = () => Number(process.hrtime.bigint() - init.timeBase);

// The transport seam: each plan names its sender.
const sender: RequestSender =
  init.plan.transport === 'grpc' ? createGrpcSender(init.plan, nowNs) : createHttpSender(init.plan, init.connections, nowNs);
const bodies = init.plan.bodies;
const total = bodies.length;

const records = new RecordBuffer();
let sent = 0;
let inFlight = 0;
let error: string | null = null;
let running = false;
let generation = 0;
let limit: number | null = null;
let started = 0;
let pauseWaiter = false;

function bodyFor(context: number, contexts: number, k: number): PreparedRequest {
  return bodies[requestStep(context, contexts, k, init.batchSize, total)]!;
}

function mayStart(): boolean {
  return running && error === null && (limit === null || started < limit);
}

function send(body: PreparedRequest, delayed: boolean, then: () => void): void {
  started++;
  sent++;
  inFlight++;
  sender.send(body, (r: SendResult) => {
    inFlight--;
    if (r.error !== null) error ??= r.error;
    else records.push(r.startNs, r.endNs, r.sendNs, r.recvNs, delayed);
    then();
    if (pauseWaiter && inFlight === 0) {
      pauseWaiter = false;
      post({ type: 'paused' });
    }
  });
}

function runConcurrency(slots: number[], totalSlots: number): void {
  const gen = generation;
  for (const slot of slots) {
    let k = 0;
    const next = () => {
      if (gen !== generation || !mayStart()) return;
      send(bodyFor(slot, totalSlots, k++), false, next);
    };
    next();
  }
}

function runRate(m: Extract<ToSender, { type: 'rate' }>): void {
  const gen = generation;
  let k = 0;
  runRateLoop({
    cursor: new ScheduleCursor(m.schedule),
    startNs: m.startNs,
    nowNs,
    setTimer: (fn, ms) => setTimeout(fn, ms),
    mayStart: () => gen === generation && mayStart(),
    send: (delayed) => send(bodyFor(m.sender, m.senders, k++), delayed, () => {}),
  });
}

port.on('message', (m: ToSender) => {
  switch (m.type) {
    case 'concurrency':
    case 'rate':
      generation++;
      running = true;
      limit = m.requestLimit;
      started = 0;
      if (m.type === 'concurrency') runConcurrency(m.slots, m.totalSlots);
      else runRate(m);
      break;
    case 'pause':
      running = false;
      generation++;
      if (inFlight === 0) post({ type: 'paused' });
      else pauseWaiter = true;
      break;
    case 'collect': {
      const buf = records.take();
      const finished = limit !== null && started >= limit && inFlight === 0;
      post({ type: 'records', id: m.id, records: buf, sent, finished, error }, [buf.buffer as ArrayBuffer]);
      sent = 0;
      break;
    }
    case 'close':
      running = false;
      void sender.close().finally(() => {
        post({ type: 'closed' });
        port.close();
      });
      break;
  }
});

post({ type: 'ready' });
