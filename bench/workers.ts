// The worker-thread primitive against piscina (the library the re-cut preferred), on the same two tasks: many tiny
// messages, and 1.77 MB buffers transferred both ways. Alternating rounds, medians.
import { Piscina } from 'piscina';
import { WorkerPool } from '../gpu-backend/workers/workerPool';
import { median, type BenchRow } from './table';
import type { TASKS } from './workerBenchTasks';

const SMALL = 20_000;
const BIG = 1_000;
const IMAGE_BYTES = 3 * 384 * 384 * 4;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await run();
  return performance.now() - t;
}

/** Runs the comparison and returns its rows. */
export async function benchWorkers(): Promise<BenchRow[]> {
  const ours = new WorkerPool<typeof TASKS>({ size: 2, maxQueue: SMALL, tasksModule: new URL('./workerBenchTasks.ts', import.meta.url) });
  const lib = new Piscina({ filename: new URL('./piscinaBenchTasks.mjs', import.meta.url).href, minThreads: 2, maxThreads: 2 });
  await ours.ready;
  await lib.run({ n: 0 }, { name: 'small' });
  const runs = { oursSmall: [] as number[], libSmall: [] as number[], oursBig: [] as number[], libBig: [] as number[] };
  for (let round = 0; round < 3; round++) {
    runs.oursSmall.push(await timed(() => Promise.all(Array.from({ length: SMALL }, (_, i) => ours.run('small', { n: i })))));
    runs.libSmall.push(await timed(() => Promise.all(Array.from({ length: SMALL }, (_, i) => lib.run({ n: i }, { name: 'small' })))));
    runs.oursBig.push(await timed(async () => {
      for (let b = 0; b < BIG; b += 50) await Promise.all(Array.from({ length: 50 }, () => { const buf = new ArrayBuffer(IMAGE_BYTES); return ours.run('echo', buf, [buf]); }));
    }));
    runs.libBig.push(await timed(async () => {
      for (let b = 0; b < BIG; b += 50) await Promise.all(Array.from({ length: 50 }, () => { const buf = new ArrayBuffer(IMAGE_BYTES); return lib.run(buf, { name: 'echo', transferList: [buf] }); }));
    }));
  }
  await ours.close();
  await lib.destroy();
  const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)])) as Record<keyof typeof runs, number>;
  const section = 'worker primitive';
  return [
    { section, measure: `${SMALL} tiny tasks, 2 threads (median of 3)`, result: `WorkerPool ${m.oursSmall.toFixed(0)} ms, piscina ${m.libSmall.toFixed(0)} ms`, ratio: `piscina takes ${(m.libSmall / m.oursSmall).toFixed(2)}× as long` },
    { section, measure: `${BIG} × 1.77 MB transferred both ways`, result: `WorkerPool ${m.oursBig.toFixed(0)} ms, piscina ${m.libBig.toFixed(0)} ms`, ratio: `piscina takes ${(m.libBig / m.oursBig).toFixed(2)}× as long` },
  ];
}
