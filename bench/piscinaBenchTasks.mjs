// The same tasks as bench/workerBenchTasks.ts, for piscina.
import { move } from 'piscina';

export function small(x) {
  return { n: x.n + 1 };
}

export function echo(buffer) {
  return move(buffer);
}
