/**
 * CPU time per request, per thread, read from /proc/<pid>/task/<tid>/stat around a bounded load: steadier than
 * wall time on a shared machine, and it shows where the work lands (one event loop can only do so much).
 * Threads are grouped by name: the backend names its worker threads (`siglip-decode`, `siglip-ort`) through
 * /proc/thread-self/comm; the main thread is the one whose tid is the pid.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU ms of each thread of a process so far, by tid, with its name. */
export type ThreadTimes = Map<number, { name: string; ms: number }>;

/** Reads every thread's user + system time. */
export function readThreadTimes(pid: number): ThreadTimes {
  const out: ThreadTimes = new Map();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // comm is in parentheses and may hold spaces: the fields after its closing parenthesis are fixed.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted from 1 with pid and comm as 1 and 2.
    const ticks = Number(fields[11]) + Number(fields[12]);
    out.set(Number(t), { name, ms: (ticks * 1000) / CLK_TCK });
  }
  return out;
}

/** CPU ms per thread group between two readings: `main`, then one entry per thread name (threads that ended are lost). */
function cpuByGroup(pid: number, before: ThreadTimes, after: ThreadTimes): Record<string, number> {
  const groups: Record<string, number> = { main: 0 };
  for (const [tid, t] of after) {
    const ms = t.ms - (before.get(tid)?.ms ?? 0);
    const group = tid === pid ? 'main' : t.name.startsWith('siglip-') ? t.name.replace(/-\d+$/, '') : 'other threads';
    groups[group] = (groups[group] ?? 0) + ms;
  }
  return groups;
}

/** Runs `load` and returns CPU ms per completed request for each thread group of `pid`. */
export async function cpuPerRequest<T extends { ok: number }>(pid: number, load: () => Promise<T>): Promise<{ result: T; perRequest: Record<string, number> }> {
  const before = readThreadTimes(pid);
  const result = await load();
  const groups = cpuByGroup(pid, before, readThreadTimes(pid));
  const perRequest: Record<string, number> = {};
  for (const [g, ms] of Object.entries(groups)) perRequest[g] = result.ok ? ms / result.ok : NaN;
  return { result, perRequest };
}

/** "main 1.2 ms, siglip-decode 18.0 ms, …" */
export function describeCpu(perRequest: Record<string, number>): string {
  return Object.entries(perRequest)
    .filter(([g, ms]) => g === 'main' || ms >= 0.05)
    .map(([g, ms]) => `${g} ${ms.toFixed(2)} ms`)
    .join(', ');
}
