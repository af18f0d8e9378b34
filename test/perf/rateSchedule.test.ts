// Request-rate scheduling (perf_analyzer's RequestRateManager::CreateWorkerSchedules, ScheduleDistribution in
// src/perf_utils.cc, RequestRateWorker::SleepIfNecessary): inter-arrival statistics on a seeded generator and a
// sender loop on a fake clock. Nothing here waits for real time.
import { describe, expect, it } from 'vitest';
import { runRateLoop } from '../../client/perf/load/rateLoop';
import { createRateSchedules, ScheduleCursor, seededRandom, sendDecision } from '../../client/perf/load/rateSchedule';
import { threadShares } from '../../client/perf/load/threadShares';

/** All threads' send times in the first `n` sends of each thread, merged and sorted. */
function mergedTimes(rate: number, dist: 'constant' | 'poisson', threads: number, perThread: number, seed = 1): number[] {
  const schedules = createRateSchedules(rate, dist, threads, 20e9, seededRandom(seed));
  const times: number[] = [];
  for (const s of schedules) {
    const c = new ScheduleCursor(s);
    for (let i = 0; i < perThread; i++) times.push(c.next());
  }
  return times.sort((a, b) => a - b);
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

describe('constant distribution', () => {
  it('sends exactly every 1/rate, dealt to the threads in turn', () => {
    const schedules = createRateSchedules(200, 'constant', 4, 20e9, seededRandom(1));
    // One entry per thread (thread i at (i+1)/rate), repeating every threads/rate.
    expect(schedules.map((s) => s.intervalsNs)).toEqual([[5e6], [10e6], [15e6], [20e6]]);
    expect(schedules.every((s) => s.durationNs === 20e6)).toBe(true);
    const g = gaps(mergedTimes(200, 'constant', 4, 50));
    expect(new Set(g)).toEqual(new Set([5e6]));
  });
});

describe('Poisson distribution', () => {
  const rate = 500;
  const g = gaps(mergedTimes(rate, 'poisson', 3, 4000, 42));

  it('has exponential gaps: mean 1/rate, standard deviation equal to the mean', () => {
    expect(mean(g) / (1e9 / rate)).toBeGreaterThan(0.97);
    expect(mean(g) / (1e9 / rate)).toBeLessThan(1.03);
    expect(std(g) / mean(g)).toBeGreaterThan(0.95);
    expect(std(g) / mean(g)).toBeLessThan(1.05);
  });

  it('has the exponential distribution\'s shape: P(gap > mean) = 1/e', () => {
    const over = g.filter((x) => x > 1e9 / rate).length / g.length;
    expect(over).toBeGreaterThan(Math.exp(-1) - 0.02);
    expect(over).toBeLessThan(Math.exp(-1) + 0.02);
  });

  it('draws up to the longest a point can run (max trials × window), a whole round per thread, then repeats', () => {
    const s = createRateSchedules(100, 'poisson', 3, 2e9, seededRandom(7));
    expect(new Set(s.map((x) => x.intervalsNs.length)).size).toBe(1);
    expect(Math.max(...s.map((x) => x.intervalsNs.at(-1)!))).toBeGreaterThanOrEqual(2e9);
    const c = new ScheduleCursor(s[0]);
    const first = Array.from({ length: s[0].intervalsNs.length }, () => c.next());
    expect(c.next()).toBe(first[0] + s[0].durationNs);
  });

  it('is the same schedule for the same seed', () => {
    expect(mergedTimes(rate, 'poisson', 2, 50, 5)).toEqual(mergedTimes(rate, 'poisson', 2, 50, 5));
  });
});

describe('sendDecision', () => {
  it('waits for a future time, sends a past one at once, and counts it delayed only beyond 1 ms', () => {
    expect(sendDecision(1_000, 4_000_000)).toEqual({ waitNs: 3_999_000, delayed: false });
    expect(sendDecision(5_000_000, 4_500_000)).toEqual({ waitNs: 0, delayed: false });
    expect(sendDecision(5_600_000, 4_500_000)).toEqual({ waitNs: 0, delayed: true });
  });
});

describe('runRateLoop on a fake clock', () => {
  function fakeClock() {
    let now = 0;
    const timers: { at: number; fn: () => void }[] = [];
    return {
      nowNs: () => now,
      setTimer: (fn: () => void, ms: number) => timers.push({ at: now + ms * 1e6, fn }),
      /** Runs timers in order until `untilNs`, or until `stall` ns of lag is injected before each firing. */
      run(untilNs: number, lagNs = 0) {
        for (;;) {
          timers.sort((a, b) => a.at - b.at);
          const t = timers.shift();
          if (!t || t.at > untilNs) return;
          now = t.at + lagNs;
          t.fn();
        }
      },
    };
  }

  it('sends at the scheduled times, open loop (no reply is awaited)', () => {
    const clock = fakeClock();
    const sent: { at: number; delayed: boolean }[] = [];
    const cursor = new ScheduleCursor(createRateSchedules(100, 'constant', 1, 0, seededRandom(1))[0]);
    runRateLoop({ cursor, startNs: 0, nowNs: clock.nowNs, setTimer: clock.setTimer, mayStart: () => sent.length < 5, send: (d) => sent.push({ at: clock.nowNs(), delayed: d }) });
    clock.run(1e9);
    expect(sent).toEqual([10e6, 20e6, 30e6, 40e6, 50e6].map((at) => ({ at, delayed: false })));
  });

  it('catches up when it falls behind, counting the late sends as delayed', () => {
    const clock = fakeClock();
    const sent: { at: number; delayed: boolean }[] = [];
    const cursor = new ScheduleCursor(createRateSchedules(1000, 'constant', 1, 0, seededRandom(1))[0]);
    runRateLoop({ cursor, startNs: 0, nowNs: clock.nowNs, setTimer: clock.setTimer, mayStart: () => sent.length < 4, send: (d) => sent.push({ at: clock.nowNs(), delayed: d }) });
    // The first timer (for t = 1 ms) fires 2.5 ms late: the sends due at 1, 2 and 3 ms go at 3.5 ms.
    clock.run(1e9, 2_500_000);
    expect(sent.slice(0, 3)).toEqual([
      { at: 3_500_000, delayed: true },
      { at: 3_500_000, delayed: true },
      { at: 3_500_000, delayed: false },
    ]);
  });
});

describe('threadShares', () => {
  it('gives each thread floor(total/threads) and the first ones the remainder', () => {
    expect(threadShares(10, 4)).toEqual([3, 3, 2, 2]);
    expect(threadShares(3, 4)).toEqual([1, 1, 1, 0]);
  });
});
