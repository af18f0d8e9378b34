// Request-rate mode's send schedule: RequestRateManager::GenerateSchedule / CreateWorkerSchedules
// (src/request_rate_manager.cc) with ScheduleDistribution (src/perf_utils.cc), perf_analyzer @019eae2/@15ca5ca.
// One global sequence of send times is drawn and dealt to the sender threads in turn; each thread replays its
// share, and after the last entry starts over shifted by the schedule's duration (RateSchedule::Next).
import { mulberry32 } from '../../../shared/random';

/** Arrival process of `--request-distribution`. */
export type RequestDistribution = 'constant' | 'poisson';

/** One sender thread's share: offsets from the start of the rate (ns), and the period after which they repeat. */
export interface RateSchedule {
  intervalsNs: number[];
  durationNs: number;
}

/**
 * The gap before the next send, in ns: 1/rate exactly for constant; exponential with mean 1/rate for Poisson
 * (std::exponential_distribution), drawn by inverse transform from `random` (uniform [0, 1)).
 */
function nextGapNs(rate: number, distribution: RequestDistribution, random: () => number): number {
  if (distribution === 'constant') return Math.floor(1e9 / rate);
  return Math.floor((-Math.log(1 - random()) / rate) * 1e9);
}

/**
 * Deals send times to `threads` senders. Constant: one entry each (thread i at (i+1)/rate, repeating every
 * threads/rate). Poisson: times are drawn up to `maxDurationNs` (perf_analyzer: max trials × measurement window)
 * and always a whole round, so every thread gets the same number of entries.
 */
export function createRateSchedules(
  rate: number,
  distribution: RequestDistribution,
  threads: number,
  maxDurationNs: number,
  random: () => number,
): RateSchedule[] {
  const schedules: RateSchedule[] = Array.from({ length: threads }, () => ({ intervalsNs: [], durationNs: 0 }));
  const limit = distribution === 'constant' ? 1 : maxDurationNs;
  let t = 0;
  let i = 0;
  while (t < limit || i % threads !== 0) {
    t += nextGapNs(rate, distribution, random);
    schedules[i % threads].intervalsNs.push(t);
    i++;
  }
  // SetScheduleDurations: every thread repeats after the latest entry of any thread.
  const duration = Math.max(...schedules.map((s) => s.intervalsNs.at(-1)!));
  for (const s of schedules) s.durationNs = duration;
  return schedules;
}

/** Replays one RateSchedule: the k-th call returns intervals[k mod n] + duration × floor(k / n). */
export class ScheduleCursor {
  private index = 0;
  private rounds = 0;

  constructor(private readonly schedule: RateSchedule) {}

  /** The next send time, in ns from the start of the rate. */
  next(): number {
    const s = this.schedule;
    const t = s.intervalsNs[this.index] + s.durationNs * this.rounds;
    if (++this.index >= s.intervalsNs.length) {
      this.index = 0;
      this.rounds++;
    }
    return t;
  }
}

/** RequestRateWorker's delay_tolerance_ (src/request_rate_worker.h): 1 ms. */
const DELAY_TOLERANCE_NS = 1_000_000;

/**
 * What a sender does with a due time (RequestRateWorker::SleepIfNecessary): wait `waitNs` when it is in the
 * future; send at once when it is past, and count the request as delayed when it is past by more than the tolerance.
 */
export function sendDecision(nowNs: number, dueNs: number): { waitNs: number; delayed: boolean } {
  const wait = dueNs - nowNs;
  if (wait < 0) return { waitNs: 0, delayed: -wait > DELAY_TOLERANCE_NS };
  return { waitNs: wait, delayed: false };
}

/** A small seeded uniform generator (mulberry32), so a run's Poisson schedule is the same every time. */
export const seededRandom = mulberry32;
