// Messages between the profiler (main thread) and its sender threads.
import type { RequestPlan } from '../requests/preparedRequest';
import type { RateSchedule } from '../load/rateSchedule';

/** What a sender thread starts with. */
export interface SenderInit {
  plan: RequestPlan;
  batchSize: number;
  /** process.hrtime.bigint() at the profiler's time zero: every thread stamps requests on this one clock. */
  timeBase: bigint;
  /** Keep-alive connections this thread may open. */
  connections: number;
}

/** Profiler -> sender. */
export type ToSender =
  /** Run closed-loop: one request in flight per slot; slots are global context ids (data step order). */
  | { type: 'concurrency'; slots: number[]; totalSlots: number; requestLimit: number | null }
  /** Run open-loop: send at the schedule's times, counted from `startNs`, whether or not replies came back. */
  | { type: 'rate'; schedule: RateSchedule; sender: number; senders: number; startNs: number; requestLimit: number | null }
  /** Stop starting requests; answer 'paused' once none is in flight. */
  | { type: 'pause' }
  /** Hand over the records completed since the last collect. */
  | { type: 'collect'; id: number }
  | { type: 'close' };

/** Sender -> profiler. */
export type FromSender =
  | { type: 'ready' }
  | {
      type: 'records';
      id: number;
      /** RECORD_FIELDS numbers per completed request (see requestRecords.ts). */
      records: Float64Array;
      /** Requests started since the last collect. */
      sent: number;
      /** True once a request limit was reached and every reply is in. */
      finished: boolean;
      /** The first failed request's error; the thread stops sending after it. */
      error: string | null;
    }
  | { type: 'paused' }
  | { type: 'closed' };
