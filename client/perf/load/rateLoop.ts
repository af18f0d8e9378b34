// A sender's open loop in request-rate mode (RequestRateWorker::Infer / SleepIfNecessary,
// src/request_rate_worker.cc): wait for each scheduled time, send, never wait for the reply. Clock, timer and
// send are injected, so tests run it on a fake clock.
import { sendDecision, type ScheduleCursor } from './rateSchedule';

/** What the loop runs on. */
export interface RateLoopDeps {
  cursor: ScheduleCursor;
  /** The schedule's zero on the clock, ns. */
  startNs: number;
  nowNs(): number;
  /** Calls `fn` after about `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): void;
  /** Whether another request may start (not paused, no error, under the request limit). */
  mayStart(): boolean;
  /** Sends the next request; `delayed` when it goes out more than the tolerance after its time. */
  send(delayed: boolean): void;
}

// Node's timers have millisecond resolution: a send due within half a millisecond goes now rather than after
// a timer that may fire a millisecond late.
const SEND_NOW_WITHIN_NS = 500_000;

/** Starts the loop; it stops by itself once mayStart() turns false. */
export function runRateLoop(d: RateLoopDeps): void {
  let due = d.startNs + d.cursor.next();
  const tick = () => {
    // Sends everything that is due: more than one when the thread fell behind (those count as delayed).
    while (d.mayStart()) {
      const { waitNs, delayed } = sendDecision(d.nowNs(), due);
      if (waitNs > SEND_NOW_WITHIN_NS) {
        d.setTimer(tick, Math.floor(waitNs / 1e6));
        return;
      }
      d.send(delayed);
      due = d.startNs + d.cursor.next();
    }
  };
  tick();
}
