/**
 * Splits `total` (a concurrency, or a request count) over `threads` as perf_analyzer's managers do
 * (RequestRateManager::ConfigureThreads, ConcurrencyManager): each gets floor(total/threads), and the first
 * total % threads get one more.
 */
export function threadShares(total: number, threads: number): number[] {
  const base = Math.floor(total / threads);
  const extra = total % threads;
  return Array.from({ length: threads }, (_, i) => base + (i < extra ? 1 : 0));
}
