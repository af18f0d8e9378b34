import { createHash } from 'node:crypto';
import { mulberry32 } from '../../../shared/random';

/** A deterministic PRNG (mulberry32) in [0, 1), seeded from a string so each choice has its own stream. */
export function seededRandom(seed: string): () => number {
  return mulberry32(createHash('sha256').update(seed).digest().readUInt32LE(0));
}

/**
 * `n` of `count` indices chosen by a seeded Fisher–Yates shuffle, returned in ascending order. The chosen set for
 * n is a subset of the one for n + 1 with the same seed, so growing a subset keeps what was already chosen (and
 * cached). All of them when n is undefined or at least count.
 */
export function seededSample(count: number, n: number | undefined, seed: string): number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  if (n === undefined || n >= count) return all;
  const rand = seededRandom(seed);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (count - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, n).sort((a, b) => a - b);
}
