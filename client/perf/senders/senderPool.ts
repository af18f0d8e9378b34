// The profiler's side of the sender threads: starts them, gives each its share of the load, and gathers their
// records. perf_analyzer's LoadManager / ConcurrencyManager / RequestRateManager play this part.
import type { EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { RequestRecord } from '../measure/perfStatus';
import type { RateSchedule } from '../load/rateSchedule';
import { threadShares } from '../load/threadShares';
import type { RequestPlan } from '../requests/preparedRequest';
import { unpackRecords } from './requestRecords';
import type { FromSender, SenderInit, ToSender } from './senderMessages';

// Source (tests, tsx): a plain-JavaScript entry registers tsx in the thread; built (dist/): the bundled thread.
const ENTRY = new URL(import.meta.url.endsWith('.ts') ? './senderEntry.mjs' : './senderThread.js', import.meta.url);

/** What one collect() gathered from all threads. */
export interface Collected {
  records: RequestRecord[];
  /** Requests started since the last collect, all threads together. */
  sent: number;
  /** Every thread has reached its request limit and has no reply outstanding. */
  finished: boolean;
  /** The first thread error, as perf_analyzer's CheckHealth reports it. */
  error: string | null;
}

/** Options of a sender pool. */
export interface SenderPoolOptions {
  plan: RequestPlan;
  threads: number;
  batchSize: number;
  timeBase: bigint;
  /** Keep-alive connections per thread. */
  connections: number;
}

/** A fixed set of sender threads. */
export class SenderPool {
  private nextId = 1;
  private elu: (EventLoopUtilization | undefined)[] = [];

  private constructor(
    private readonly workers: Worker[],
    private readonly timeBase: bigint,
  ) {}

  /** Starts `threads` sender threads and waits until each is ready. */
  static async start(o: SenderPoolOptions): Promise<SenderPool> {
    const init: SenderInit = { plan: o.plan, batchSize: o.batchSize, timeBase: o.timeBase, connections: o.connections };
    const workers = Array.from({ length: o.threads }, () => new Worker(ENTRY, { workerData: init, execArgv: [] }));
    const pool = new SenderPool(workers, o.timeBase);
    try {
      await Promise.all(workers.map((w) => pool.reply(w, 'ready')));
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return pool;
  }

  /** Threads in the pool. */
  get size(): number {
    return this.workers.length;
  }

  /** Nanoseconds on the threads' shared clock. */
  nowNs(): number {
    return Number(process.hrtime.bigint() - this.timeBase);
  }

  /** Closed loop at `concurrency`, spread over the threads; `requestCount` (0 = none) caps the total sent. */
  setConcurrency(concurrency: number, requestCount: number): void {
    const active = Math.min(this.workers.length, concurrency);
    const slotsPer = threadShares(concurrency, active);
    const limits = requestCount ? threadShares(requestCount, active) : null;
    let slot = 0;
    // Threads beyond `active` get no slots (and a limit of 0, so they count as finished).
    this.workers.forEach((_, i) => {
      const slots = Array.from({ length: slotsPer[i] ?? 0 }, () => slot++);
      this.post(i, { type: 'concurrency', slots, totalSlots: concurrency, requestLimit: limits ? (limits[i] ?? 0) : null });
    });
  }

  /** Open loop: thread i follows schedules[i] from `startNs`; `requestCount` (0 = none) caps the total sent. */
  setRate(schedules: RateSchedule[], startNs: number, requestCount: number): void {
    const limits = requestCount ? threadShares(requestCount, schedules.length) : null;
    schedules.forEach((schedule, i) =>
      this.post(i, { type: 'rate', schedule, sender: i, senders: schedules.length, startNs, requestLimit: limits ? limits[i] : null }),
    );
  }

  /** Stops starting requests and waits for the outstanding replies. */
  async pause(): Promise<void> {
    await Promise.all(
      this.workers.map((w, i) => {
        const p = this.reply(w, 'paused');
        this.post(i, { type: 'pause' });
        return p;
      }),
    );
  }

  /** Takes every thread's records since the last collect. */
  async collect(): Promise<Collected> {
    const id = this.nextId++;
    const replies = await Promise.all(
      this.workers.map((w, i) => {
        const p = this.reply(w, 'records', (m) => m.type === 'records' && m.id === id);
        this.post(i, { type: 'collect', id });
        return p;
      }),
    );
    const out: Collected = { records: [], sent: 0, finished: true, error: null };
    replies.forEach((m, i) => {
      if (m.type !== 'records') return;
      unpackRecords(m.records, out.records);
      out.sent += m.sent;
      out.finished &&= m.finished;
      if (m.error !== null && out.error === null) out.error = `Thread [${i}] had error: ${m.error}`;
    });
    return out;
  }

  /**
   * The share of time the sender threads were busy since the previous call (their event loops' utilization,
   * averaged over the threads): perf_analyzer's "client overhead" (InferenceProfiler::SummarizeOverhead).
   */
  busyShare(): number {
    const shares = this.workers.map((w, i) => {
      const now = w.performance.eventLoopUtilization();
      const prev = this.elu[i];
      this.elu[i] = now;
      return prev ? w.performance.eventLoopUtilization(now, prev).utilization : now.utilization;
    });
    return shares.reduce((a, b) => a + b, 0) / shares.length;
  }

  /** Closes the threads' connections and ends them. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map((w, i) => {
        const p = this.reply(w, 'closed').catch(() => {});
        this.post(i, { type: 'close' });
        return p.then(() => w.terminate()).then(() => {});
      }),
    );
  }

  private post(i: number, m: ToSender): void {
    this.workers[i].postMessage(m);
  }

  private reply(w: Worker, type: FromSender['type'], match: (m: FromSender) => boolean = (m) => m.type === type): Promise<FromSender> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromSender) => {
        if (!match(m)) return;
        cleanup();
        resolve(m);
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`a sender thread exited with code ${code} while the profiler waited for '${type}'`));
      };
      const cleanup = () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
    });
  }
}
